"""What a computer-plane session starts, written down before and as it starts it, so that the next server
to start after a crash ends exactly what the dead one left, and nothing else.

One JSON file per session in the ledger folder: the owning server process, the session's tag (in every
child's environment), the folders it owns, its X display, and each process group it started with the
process's start time (a pid reused by a stranger since has another one). Nothing is ever found by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mantis.planes.subproc import sweep
from mantis.planes.xserver import remove_display_files

SWEEP_GRACE_S = 5.0


@dataclass
class Entry:
    owner: str
    tag: str
    sweep_paths: list[str]  # folders whose name on a command line marks a process as the session's
    scratch: list[str]  # folders removed with the session
    display: int | None = None
    groups: list[tuple[int, int]] = field(default_factory=list)  # (pid = pgid, start time in ticks)


class Ledger:
    def __init__(self, folder: Path, owner: str) -> None:
        self.folder = folder
        self.owner = owner

    def open(self, tag: str, sweep_paths: list[str], scratch: list[str]) -> Record:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        record = Record(self.folder / f"{tag}.json", Entry(self.owner, tag, sweep_paths, scratch))
        record.write()
        return record

    def entries(self) -> list[tuple[Path, Entry]]:
        found = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                raw = json.loads(path.read_text())
                raw["groups"] = [tuple(group) for group in raw.get("groups", [])]
                found.append((path, Entry(**raw)))
            except (OSError, ValueError, TypeError):
                continue
        return found


@dataclass
class Record:
    path: Path
    entry: Entry

    def write(self) -> None:
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(self.entry)))
        partial.replace(self.path)

    def started(self, pid: int) -> None:
        """A child started in a session (and so a process group) of its own."""
        start = start_time(pid)
        if start is not None:
            self.entry.groups.append((pid, start))
            self.write()

    def on_display(self, number: int) -> None:
        self.entry.display = number
        self.write()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


async def reap(entry: Entry) -> None:
    """Ends a dead server's session: its process groups (a leader alive with another start time is a
    stranger with a reused pid, and is spared), then whatever else carries its tag or names its
    folders, then its display's files and its scratch folders."""
    for pid, start in entry.groups:
        if start_time(pid) not in (start, None):
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    await sweep(entry.tag, entry.sweep_paths, SWEEP_GRACE_S)
    if entry.display is not None:
        remove_display_files(entry.display, {pid for pid, _ in entry.groups})
    for folder in entry.scratch:
        await asyncio.to_thread(shutil.rmtree, folder, True)

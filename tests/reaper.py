"""Ends what the tests started and left running. Every process a test starts lives in one of the test
session's folders (a server's MANTIS_HOME, a plane's HOME and profile, a Temporal log): so a process whose
environment or command line names the folder is the test's, whatever its parent or process group, and one
still alive once the test (or the session) is over is ended. Run as a script, it is the session's
watchdog: it waits for pytest to die, however it dies (a SIGKILL runs no teardown), and then ends what the
session left in its folder.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Collection
from pathlib import Path

# What a process gets to exit on SIGTERM before SIGKILL: a server stops its runs and browsers within
# conftest's stop_server grace; a stray one here has already outlived its test, so it gets less.
GRACE_S = 5.0
POLL_S = 0.05


def _mentions(pid: str, needles: tuple[bytes, ...]) -> bool:
    try:
        seen = Path(f"/proc/{pid}/environ").read_bytes() + b"\0" + Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone, or a kernel thread
        return False
    return any(needle in seen for needle in needles)


def _ancestors() -> set[int]:
    """This process and its parents: pytest's own command line may name its base temp folder."""
    found, pid = set(), os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def holders(folder: Path, spare: Collection[int] = ()) -> list[int]:
    """Live processes naming the folder, or anything in it, in their environment or command line
    (zombies show neither, and are their parent's to reap), but for these."""
    name = str(folder).rstrip("/").encode()
    needles = (name + b"/", name + b"\0")
    spared = _ancestors() | set(spare)
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and int(entry.name) not in spared and _mentions(entry.name, needles)
    ]


def end(folder: Path, spare: Collection[int] = (), grace_s: float = GRACE_S) -> list[str]:
    """Ends every process holding the folder but these: SIGTERM, then SIGKILL once the grace is over.
    Returns the command lines it found, for the caller to report."""
    pids = holders(folder, spare)
    found = [_command(pid) for pid in pids]
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, grace_s)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                continue
        deadline = time.monotonic() + wait_s
        while pids and time.monotonic() < deadline:
            time.sleep(POLL_S)
            pids = holders(folder, spare)
        if not pids:
            break
    return found


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"{pid} (gone)"
    words = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    return f"{pid} {words[:120]}"


def watch(folder: Path) -> None:
    """Blocks until pytest, which holds the other end of our stdin, is gone; then ends what is left."""
    while sys.stdin.buffer.read(65536):
        pass
    end(folder)


if __name__ == "__main__":
    watch(Path(sys.argv[1]))

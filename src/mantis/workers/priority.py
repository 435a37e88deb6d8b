"""The browsers' share of the CPU below the API's, so that when the cores are short the API answers first.

Two kernel mechanisms decide who runs. A task's nice value orders it against the tasks of its own
scheduling group; the runner loop starts every process `RUNNER_NICE` below itself (`workers.loops`).
But where autogroup is on (`/proc/sys/kernel/sched_autogroup_enabled`, the default on most
distributions), every session is a group of its own with the weight of one nice-0 task, and Playwright
starts Chromium in a new session: each browser then weighed as much as the whole server, four browsers
four times as much, whatever their nice value (bench/README.md, "status_load"). So the executor also
lowers the autogroup of every session below the server's process (`/proc/<pid>/autogroup`, the
interface sched(7) gives it), once, as the browser appears.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from pathlib import Path

log = logging.getLogger("mantis.workers")

PROC = Path("/proc")
MAX_NICE = 19


def lowered(nice: int, by: int) -> int:
    return min(nice + by, MAX_NICE)


def _own_group_nice() -> int:
    """The nice value of this process's autogroup ("/autogroup-130 nice 0"), 0 where there is none."""
    try:
        return int((PROC / "self" / "autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return 0


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, session id), from /proc/<pid>/stat."""
    found: dict[int, tuple[int, int]] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = (PROC / entry.name / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        found[int(entry.name)] = (int(fields[1]), int(fields[3]))
    return found


class SessionLowering:
    """Lowers the autogroup of each new session started below `root` by `by` against the server's."""

    def __init__(self, root: int, by: int) -> None:
        self._root = root
        self._by = by
        self._done: set[int] = set()

    def step(self) -> None:
        processes = _processes()
        children: defaultdict[int, list[int]] = defaultdict(list)
        for pid, (ppid, _sid) in processes.items():
            children[ppid].append(pid)
        below: list[int] = []
        frontier = [self._root]
        while frontier:
            found = children[frontier.pop()]
            below.extend(found)
            frontier.extend(found)
        own_session = processes.get(self._root, (0, 0))[1]
        leaders = {pid for pid in below if processes[pid][1] == pid != own_session}
        target = lowered(_own_group_nice(), self._by)
        for pid in leaders - self._done:
            try:
                (PROC / str(pid) / "autogroup").write_text(str(target))
            except OSError as exc:  # no autogroup here, or it ended: nice alone orders it
                log.debug("session %s keeps its autogroup priority: %s", pid, exc)
        self._done = leaders

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

import contextlib
import logging
import os
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


def _session(pid: int) -> int | None:
    """The session id of a process (from /proc/<pid>/stat); None when it ended meanwhile."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])  # after the command name, which may hold spaces


def _children(pid: int) -> list[int]:
    """The processes `pid` started, from each of its threads' /proc/<pid>/task/<tid>/children (what a
    thread forks is listed under that thread; kernels built with CONFIG_PROC_CHILDREN, as Debian's and
    Ubuntu's are, list them; elsewhere none is found and nice alone orders the browsers)."""
    found: list[int] = []
    try:
        threads = os.listdir(PROC / str(pid) / "task")
    except OSError:  # it ended meanwhile
        return found
    for thread in threads:
        with contextlib.suppress(OSError):
            found.extend(map(int, (PROC / str(pid) / "task" / thread / "children").read_text().split()))
    return found


class SessionLowering:
    """Lowers the autogroup of each new session started below `root` by `by` against the server's.

    It walks down from `root` through its own session only (the server's threads, Playwright's driver):
    a new session's leader is lowered and not gone into, since what it starts stays in its session, as
    Chromium's zygotes, renderers and GPU process do. A look reads a few dozen small files, not the stat
    of every process on the machine as a scan of /proc did (6.9 ms of CPU a look with 163 processes,
    once a second while runs go; bench/README.md "dom-speed, afternoon round")."""

    def __init__(self, root: int, by: int) -> None:
        self._root = root
        self._by = by
        self._done: set[int] = set()

    def step(self) -> None:
        own_session = _session(self._root)
        leaders: set[int] = set()
        frontier = [self._root]
        while frontier:
            for pid in _children(frontier.pop()):
                session = _session(pid)
                if session == pid != own_session:
                    leaders.add(pid)
                elif session == own_session:
                    frontier.append(pid)
        target = lowered(_own_group_nice(), self._by)
        for pid in leaders - self._done:
            try:
                (PROC / str(pid) / "autogroup").write_text(str(target))
            except OSError as exc:  # no autogroup here, or it ended: nice alone orders it
                log.debug("session %s keeps its autogroup priority: %s", pid, exc)
        self._done = leaders

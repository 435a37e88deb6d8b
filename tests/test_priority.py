"""The executor lowers the autogroup of each new session below the server (workers/priority.py), through
the server's own session, as the browsers Playwright's driver starts appear: real processes, real /proc."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mantis.workers.priority import SessionLowering

BY = 3

# A child in this session that starts a grandchild in a new session (as Playwright's driver starts
# Chromium) and prints its pid.
_DRIVER = """
import subprocess, sys
leader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
print(leader.pid, flush=True)
sys.stdin.read()
leader.kill()
"""

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="no autogroup on this kernel: nice alone orders"
)


def _group_nice(pid: int) -> int:
    """A process's autogroup nice ("/autogroup-85 nice 0"); 0 for the kernel's default group, whose file
    reads empty (the session of pid 1 and what never left it, as a container's processes or CI's)."""
    text = Path(f"/proc/{pid}/autogroup").read_text()
    return int(text.split()[-1]) if text else 0


@pytest.fixture
def driver() -> Iterator[tuple[int, int]]:
    """(the driver's pid, its new session's leader's pid)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield proc.pid, int(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_a_new_session_two_levels_down_is_lowered(driver: tuple[int, int]) -> None:
    _, leader = driver
    own = _group_nice(os.getpid())
    SessionLowering(os.getpid(), BY).step()
    assert _group_nice(leader) == min(own + BY, 19)
    assert _group_nice(os.getpid()) == own  # the server's own group stays where it was


def test_a_session_outside_the_root_is_left_alone(driver: tuple[int, int]) -> None:
    _, leader = driver
    outside = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        before = _group_nice(outside.pid)
        SessionLowering(driver[0], BY).step()
        assert _group_nice(outside.pid) == before
        assert _group_nice(leader) == min(_group_nice(os.getpid()) + BY, 19)
    finally:
        outside.kill()
        outside.wait()

"""The tests' reaper (tests/reaper.py, wired in conftest): what a test leaves running ends with the test,
and what a killed pytest leaves running ends with it too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests import reaper
from tests.conftest import REPO

INNER = """
import os, subprocess, time
from pathlib import Path

def test_starts_a_child(tmp_path):
    # In a session of its own, as Xvfb and Chromium are: the reaper finds it by the folder its HOME names.
    child = subprocess.Popen(["sleep", "600"], env={"HOME": str(tmp_path / "home")}, start_new_session=True)
    Path(os.environ["INNER_MARKER"]).write_text(str(child.pid))
    if os.environ["INNER_HANG"]:
        time.sleep(600)
"""
# What the inner pytest gets to start and write its marker: it took 30 s at a load average of 23 on 2 cores
# (2026-12-03), where it takes 2 s on a quiet machine.
LIMIT_S = 180


def inner_pytest(root: Path, hang: bool) -> tuple[subprocess.Popen[str], Path]:
    """A pytest of its own with this suite's conftest, running one test that starts a child process in
    the test's folder; returns it and the path its child's pid is written to."""
    marker = root / "child.pid"
    (root / "test_inner.py").write_text(INNER)
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'tests'}",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # the suite's plugins (schemathesis, asyncio) are not needed
        "INNER_MARKER": str(marker),
        "INNER_HANG": "1" if hang else "",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            f"--basetemp={root / 'base'}",
            "--rootdir",
            str(root),
            str(root / "test_inner.py"),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, marker


def wait_for(marker: Path, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + LIMIT_S
    while not marker.exists() or not marker.read_text():
        assert process.poll() is None and time.monotonic() < deadline, "the inner test never started"
        time.sleep(0.1)
    return int(marker.read_text())


def gone(root: Path) -> bool:
    """Whether nothing alive names the inner session's folder any more (the reaper's own test: it ends
    what it finds within its grace, and the watchdog then exits)."""
    deadline = time.monotonic() + LIMIT_S
    while reaper.holders(root / "base") and time.monotonic() < deadline:
        time.sleep(0.1)
    return not reaper.holders(root / "base")


def test_a_process_a_test_leaves_running_ends_with_the_test(tmp_path: Path) -> None:
    process, marker = inner_pytest(tmp_path, hang=False)
    wait_for(marker, process)
    out, _ = process.communicate(timeout=LIMIT_S)
    assert process.returncode == 0, out
    assert "LeftRunning" in out and "sleep 600" in out
    assert gone(tmp_path)


def test_a_killed_pytest_leaves_nothing_running(tmp_path: Path) -> None:
    process, marker = inner_pytest(tmp_path, hang=True)
    child = wait_for(marker, process)
    assert child in reaper.holders(tmp_path / "base")
    process.send_signal(signal.SIGKILL)  # no teardown, no session finish: only the watchdog is left
    process.communicate(timeout=LIMIT_S)
    assert gone(tmp_path)

"""A server killed while a computer-plane run has Xvfb, Chromium and ffmpeg up: the next server to start
ends every one of those processes and removes the run's scratch folders (checked with `ps` and the file
system), from what the dead server recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import start_server, stop_server


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def session_pids(tag: str, run_dir: Path) -> set[int]:
    """The test's own look: the session's tag in a process's environment, or its run folder in `ps`."""
    found = set()
    listing = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        pid, _, args = line.strip().partition(" ")
        if str(run_dir) in args:
            found.add(int(pid))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"MANTIS_PLANE_SESSION={tag}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
    return {pid for pid in found if alive(pid)}


def test_a_restart_ends_what_a_killed_server_left_running(tmp_path: Path, site: str) -> None:
    home = tmp_path / "home"
    env = {"MANTIS_AUTO_RESUME": "0"}
    plan = [
        {"type": "navigate", "intent": "Open the shop", "params": {"url": site}},
        {"type": "wait", "intent": "Stay a while", "params": {"seconds": 60}},
    ]
    server = start_server(home, **env)
    try:
        response = server.predict({"micro": plan, "compute_backend": "computer_plane", "record_video": True})
        run_id = response.json()["run_id"]
        deadline = time.monotonic() + 90
        while server.status(run_id)["progress"]["current_intent"] != "Stay a while":
            assert time.monotonic() < deadline, "the run never reached its wait"
            time.sleep(0.2)
    finally:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()

    run_dir = home / "runs" / run_id
    [ledger] = list((home / "sessions").glob("*.json"))
    entry = json.loads(ledger.read_text())
    left = session_pids(entry["tag"], run_dir)
    commands = {Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].rsplit(b"/", 1)[-1] for pid in left}
    assert {b"Xvfb", b"chromium", b"ffmpeg"} <= commands, commands  # what a crash leaves behind
    assert (run_dir / ".computer" / "home").is_dir() and (run_dir / ".computer" / "profile").is_dir()

    server = start_server(home, **env)
    try:
        assert server.wait(run_id)["error"]["code"] == "worker_lost"
        deadline = time.monotonic() + 30
        while session_pids(entry["tag"], run_dir) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session_pids(entry["tag"], run_dir) == set()
        assert not [pid for pid in left if alive(pid)]
        assert not (run_dir / ".computer" / "home").exists()
        assert not (run_dir / ".computer" / "profile").exists()
        assert not ledger.exists()
        assert not Path(f"/tmp/.X{entry['display']}-lock").exists()
    finally:
        stop_server(server)

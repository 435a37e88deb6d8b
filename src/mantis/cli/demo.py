"""`mantis demo`: the main job. Starts the embedded server, runs the example plan through the HTTP API
as the seed's minimal client does, and shows the rows."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import typer

from mantis.cli import runs
from mantis.cli.serve import local_token_file
from mantis.client import MantisClient
from mantis.config import Settings
from mantis.services import Services

# The recordings are made after the run, at about 0.3x the video's length on this project's 2-core machines
# (bench/README.md); a 28-step demo records well under a minute, so two minutes leave room on a busy one.
RECORDING_WAIT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_token(settings: Settings) -> str:
    """The token kept in MANTIS_HOME, or a new tenant's when there is none."""
    path = local_token_file(settings)
    if path.exists():
        return path.read_text().strip()
    services = Services(settings)
    try:
        _tenant, token = services.tenants.create(f"local-{secrets.token_hex(3)}")
    finally:
        services.engine.dispose()
    path.touch(mode=0o600)
    path.write_text(token + "\n")
    return token


def start_server(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "mantis.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )


def wait_healthy(client: MantisClient, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited while starting")
        if client.healthy():
            return
        time.sleep(0.2)
    raise RuntimeError("the server did not become healthy in time")


def wait_for_recordings(client: MantisClient, run_id: str) -> None:
    """Keeps the server up until the recordings it makes after the run are written (or given up on)."""
    deadline = time.monotonic() + RECORDING_WAIT_S
    while client.recording(run_id).state == "pending" and time.monotonic() < deadline:
        time.sleep(0.5)


def demo(
    plan: str = typer.Option("plans/example/extract_listings.json", help="Plan path in the plan library."),
    record_video: bool = typer.Option(True, help="Ask for a recording, as the seed's client does."),
) -> None:
    """Start the embedded server, run the example plan over HTTP, and print its rows."""
    settings = Settings.from_env()
    settings.home.mkdir(parents=True, exist_ok=True)
    token = local_token(settings)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    _say(f"starting the embedded server at {endpoint} (log: {settings.home / 'server.log'})")
    server = start_server(port, settings.home / "server.log")
    try:
        with runs.connect(endpoint, token) as client:
            wait_healthy(client, server)
            queued = client.submit(
                micro=plan,
                state_key="marketplace-demo",
                max_cost=2,
                max_time_minutes=20,
                record_video=record_video,
            )
            runs.console.print(f"run {queued.run_id} queued")
            final = runs.follow(client, queued.run_id, poll_s=0.3)
            if record_video:
                wait_for_recordings(client, queued.run_id)
            result = client.result(queued.run_id)
        runs.show_outcome(result)
        run_dir = settings.runs_dir / queued.run_id
        _say(f"leads.csv: {run_dir / 'leads.csv'}")
        _say(f"artifacts: {run_dir}  ({', '.join(sorted(result.artifacts))})")
        if final.status != "succeeded":
            raise typer.Exit(1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _say(line: str) -> None:
    """A line naming a path, unwrapped: a path broken at the terminal's width can no longer be copied."""
    runs.console.print(line, soft_wrap=True)

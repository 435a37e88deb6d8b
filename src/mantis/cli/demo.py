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
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mantis.cli.serve import local_token_file
from mantis.config import Settings
from mantis.services import Services

FINAL = {"succeeded", "failed", "cancelled"}
console = Console()


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


def wait_healthy(client: httpx.Client, server: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited while starting")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become healthy in time")


def follow(client: httpx.Client, headers: dict[str, str], run_id: str) -> dict[str, Any]:
    """Polls `action: status` with a live progress bar until the run ends."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("queued", total=None)
        while True:
            body = client.post(
                "/v1/predict", headers=headers, json={"action": "status", "run_id": run_id}
            ).json()
            step = body["progress"]
            progress.update(
                bar,
                total=step["steps_total"] or None,
                completed=step["step_index"],
                description=f"{body['status']}: {step['current_intent'] or ''}"[:70],
            )
            if body["status"] in FINAL:
                return body
            time.sleep(0.3)


def show(result: dict[str, Any], status: dict[str, Any], run_dir: Path) -> None:
    rows = result["result"]["rows"]
    if rows:
        columns = [c for c in rows[0] if c != "_rejection"]
        table = Table(*columns, title=f"{len(rows)} rows", show_lines=False)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        console.print(table)
    colour = "green" if status["status"] == "succeeded" else "red"
    console.print(f"[bold {colour}]{status['summary']}[/]")
    console.print(f"leads.csv: {run_dir / 'leads.csv'}")
    console.print(f"artifacts: {run_dir}  ({', '.join(sorted(result['result']['artifacts']))})")


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
    console.print(f"starting the embedded server at {endpoint} (log: {settings.home / 'server.log'})")
    server = start_server(port, settings.home / "server.log")
    try:
        with httpx.Client(base_url=endpoint, timeout=60) as client:
            wait_healthy(client, server)
            headers = {"X-Mantis-Token": token, "Content-Type": "application/json"}
            queued = client.post(
                "/v1/predict",
                headers=headers,
                json={
                    "detached": True,
                    "micro": plan,
                    "state_key": "marketplace-demo",
                    "max_cost": 2,
                    "max_time_minutes": 20,
                    "record_video": record_video,
                },
            )
            if queued.status_code != 200:
                console.print(f"[red]submission refused ({queued.status_code}): {queued.text}[/]")
                raise typer.Exit(1)
            run_id = queued.json()["run_id"]
            console.print(f"run {run_id} queued")
            final = follow(client, headers, run_id)
            result = client.post(
                "/v1/predict", headers=headers, json={"action": "result", "run_id": run_id}
            ).json()
            show(result, final, settings.runs_dir / run_id)
            if final["status"] != "succeeded":
                raise typer.Exit(1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

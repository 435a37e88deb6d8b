"""Shared fixtures: a real `mantis serve` process on loopback, with its own workspace and tenant."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    token: str
    home: Path
    process: subprocess.Popen[bytes]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"X-Mantis-Token": token or self.token}

    def predict(self, body: Any, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.url}/v1/predict", json=body, headers=self.headers(token), timeout=120, **kwargs)

    def wait(self, run_id: str, timeout_s: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            body = self.predict({"action": "status", "run_id": run_id}).json()
            if body["status"] in ("succeeded", "failed", "cancelled"):
                return dict(body)
            time.sleep(0.2)
        raise AssertionError(f"run {run_id} did not end in {timeout_s} s")

    def tenant(self, name: str, *args: str) -> str:
        """Creates a tenant with the real command line and returns its token (the last line)."""
        out = subprocess.run(
            [sys.executable, "-m", "mantis.cli.main", "tenants", "create", name, *args],
            env=server_env(self.home), capture_output=True, text=True, check=True,
        )
        return out.stdout.strip().splitlines()[-1]


def server_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTIS_")}
    env.update(MANTIS_HOME=str(home), MANTIS_PLANS_DIR=str(REPO), **extra)
    return env


def start_server(home: Path, **env: str) -> Server:
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "mantis.cli.main", "serve", "--port", str(port)],
        env=server_env(home, **env), stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (home / "server.log").read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    token = (home / "local-token").read_text().strip()
    return Server(url, token, home, process)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("mantis-home"))
    yield running
    stop_server(running)

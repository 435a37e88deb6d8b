"""Shared fixtures: a real `mantis serve` process on loopback, with its own workspace and tenant; and the
reaper (tests/reaper.py) that ends whatever a test or the session left running."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from tests import reaper
from tests.pages_server import serve_pages

from brains_standin import StandIn

REPO = Path(__file__).resolve().parent.parent
# An administrative connection that may create databases; each PostgreSQL server gets a fresh one.
POSTGRES = os.environ.get("MANTIS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")
FINAL = ("succeeded", "failed", "cancelled")
WATCHDOG = pytest.StashKey[subprocess.Popen[bytes]]()


class LeftRunning(UserWarning):
    """A test ended with processes of its own still alive; the reaper ended them."""


def _basetemp(config: pytest.Config) -> Path:
    # pytest keeps its TempPathFactory here; pytest-xdist reads it the same way to place its workers'.
    return Path(config._tmp_path_factory.getbasetemp())  # type: ignore[attr-defined]


def pytest_sessionstart(session: pytest.Session) -> None:
    """The outermost pytest (not an xdist worker: their folders are inside its own) starts the watchdog
    that ends the session's processes if pytest dies without its teardown."""
    if hasattr(session.config, "workerinput"):
        return
    session.config.stash[WATCHDOG] = subprocess.Popen(
        [sys.executable, reaper.__file__, str(_basetemp(session.config))],
        stdin=subprocess.PIPE,
        start_new_session=True,  # a Ctrl-C to pytest's process group must not end it before it sweeps
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    watchdog = session.config.stash.get(WATCHDOG, None)
    if watchdog is None:
        return
    left = reaper.end(_basetemp(session.config), spare={watchdog.pid})  # its command line names the folder
    for line in left:
        print(f"reaper: ended a process left running by the session: {line}", file=sys.stderr)
    assert watchdog.stdin is not None
    watchdog.stdin.close()
    watchdog.wait()


@pytest.fixture(autouse=True)
def _reaped(request: pytest.FixtureRequest) -> Iterator[None]:
    """What a test started in its own folder ends with it: a test that fails half-way skips its own
    cleanup, and a browser outliving its test holds a display and a core for the rest of the suite."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if folder is not None and (left := reaper.end(folder)):
        warnings.warn(LeftRunning(f"{request.node.nodeid} left running: {'; '.join(left)}"), stacklevel=1)


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
    env: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.env.get("MANTIS_DATABASE_URL") or f"sqlite:///{self.home / 'mantis.db'}"

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"X-Mantis-Token": token or self.token}

    def predict(self, body: Any, token: str | None = None, **kwargs: Any) -> httpx.Response:
        url = f"{self.url}/v1/predict"
        return httpx.post(url, json=body, headers=self.headers(token), timeout=120, **kwargs)

    def status(self, run_id: str, token: str | None = None) -> dict[str, Any]:
        return dict(self.predict({"action": "status", "run_id": run_id}, token=token).json())

    def wait(
        self, run_id: str, timeout_s: float = 120, token: str | None = None, until: tuple[str, ...] = FINAL
    ) -> dict[str, Any]:
        """Polls the run until its status is one of `until` (by default: until it ends)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            body = self.status(run_id, token)
            if body["status"] in until:
                return body
            time.sleep(0.2)
        raise AssertionError(f"run {run_id} did not reach {until} in {timeout_s} s")

    def tenant(self, name: str, *args: str) -> str:
        """Creates a tenant with the real command line and returns its token (the last line)."""
        out = subprocess.run(
            [sys.executable, "-m", "mantis.cli.main", "tenants", "create", name, *args],
            env=server_env(self.home, **self.env),
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().splitlines()[-1]


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The tests' pages are on loopback, which the fence refuses unless the operator allows private
    addresses: the tests' servers allow them, but for a test that says otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTIS_")}
    env.update(MANTIS_HOME=str(home), MANTIS_PLANS_DIR=str(REPO), MANTIS_ALLOW_PRIVATE_BROWSING="1")
    env.update(extra)
    return env


# A server starts in 2-5 s on a quiet machine; at a load average of 35 on 2 cores one took over 60 s
# (2026-12-03), and a test that went on without it failed later as "connection refused".
SERVER_START_S = 180


def start_server(home: Path, **env: str) -> Server:
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "mantis.cli.main", "serve", "--port", str(port)],
        env=server_env(home, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        assert process.poll() is None, (home / "server.log").read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        process.wait()
        raise AssertionError(f"the server did not answer /healthz in {SERVER_START_S} s: {log.name}")
    token_file = home / "local-token"  # absent when a tenants file declared the tenants
    token = token_file.read_text().strip() if token_file.exists() else ""
    return Server(url, token, home, process, dict(env))


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def postgres(statement: str, database_name: str) -> None:
    """Runs a CREATE or DROP DATABASE; `{}` in the statement stands for the quoted name."""
    with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(database_name)))


@contextmanager
def database(backend: str) -> Iterator[dict[str, str]]:
    """The server environment for a backend: SQLite in the server's home, or a fresh PostgreSQL database
    dropped afterwards. Skips when PostgreSQL is not reachable."""
    if backend == "sqlite":
        yield {}
        return
    name = f"mantis_test_{secrets.token_hex(6)}"
    try:
        postgres("CREATE DATABASE {}", name)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES}: {exc}")
    base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield {"MANTIS_DATABASE_URL": f"{base}/{name}"}
    finally:
        postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Runs a module's tests once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture(scope="module")
def backend_env(backend: str) -> Iterator[dict[str, str]]:
    """A database on the module's backend, shared by the module's tests."""
    with database(backend) as env:
        yield env


@pytest.fixture
def fresh_env(backend: str) -> Iterator[dict[str, str]]:
    """A database on the module's backend for one test (restarts, several servers)."""
    with database(backend) as env:
        yield env


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    """A model provider's stand-in on 127.0.0.1 (tests/brains_standin.py), one per test module."""
    server = StandIn()
    yield server
    server.close()


def openai_standin_env(standin: StandIn, input_per_mtok: float, output_per_mtok: float) -> dict[str, str]:
    """A server's environment for the OpenAI-compatible model served by `standin`, at these prices."""
    return {
        "MANTIS_OPENAI_BASE_URL": f"{standin.url}/v1",
        "MANTIS_OPENAI_MODEL": "qwen3-vl",
        "MANTIS_OPENAI_API_KEY": "sk-test",
        "MANTIS_PRICE_INPUT_PER_MTOK": str(input_per_mtok),
        "MANTIS_PRICE_OUTPUT_PER_MTOK": str(output_per_mtok),
    }


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """A small shop of the tests' own on 127.0.0.1 (tests/pages_server.py)."""
    with serve_pages() as url:
        yield url


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("mantis-home"))
    yield running
    stop_server(running)

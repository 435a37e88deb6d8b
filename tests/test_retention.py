"""Retention against real servers and stores: `mantis runs prune --older-than` and the server's own
schedule delete ended runs past the age (store rows and artifacts together) and leave the rest alone."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, update
from tests.conftest import Server, server_env, start_server, stop_server

from mantis.store.models import Run, RunEvent

QUICK = {"micro": [{"type": "wait", "params": {"seconds": 0}}], "compute_backend": "browser_use_plane"}
SLOW = {"micro": [{"type": "wait", "params": {"seconds": 60}}], "compute_backend": "browser_use_plane"}


def ended_run(server: Server) -> str:
    run_id = str(server.predict(QUICK).json()["run_id"])
    assert server.wait(run_id)["status"] == "succeeded"
    return run_id


def age(server: Server, run_id: str, days: float) -> None:
    """Moves a run back in time, as if it had ended `days` ago."""
    engine = create_engine(server.database_url)
    then = datetime.now(UTC) - timedelta(days=days)
    with engine.begin() as conn:
        conn.execute(update(Run).where(Run.id == run_id).values(created_at=then, finished_at=then))
    engine.dispose()


def events_of(server: Server, run_id: str) -> int:
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.run_id == run_id))
    engine.dispose()
    return int(count or 0)


def gone(server: Server, run_id: str) -> bool:
    answer = server.predict({"action": "status", "run_id": run_id})
    return answer.status_code == 404 and not (server.home / "runs" / run_id).exists()


@pytest.fixture
def store(tmp_path: Path, fresh_env: dict[str, str]) -> Iterator[Server]:
    running = start_server(tmp_path / "home", **fresh_env)
    yield running
    stop_server(running)


def test_prune_deletes_old_ended_runs_only(store: Server) -> None:
    old, recent = ended_run(store), ended_run(store)
    running = store.predict(SLOW).json()["run_id"]
    store.wait(running, until=("running",))
    age(store, old, 10)
    age(store, running, 10)  # old, but not ended: kept
    assert events_of(store, old) > 0

    def prune(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mantis.cli.main", "runs", "prune", *args],
            env=server_env(store.home, **store.env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert prune("--older-than", "7d", "--dry-run").startswith("would prune 1 runs")
    assert (store.home / "runs" / old).is_dir()
    assert prune("--older-than", "7d").startswith("pruned 1 runs")
    assert gone(store, old) and events_of(store, old) == 0
    assert store.status(recent)["status"] == "succeeded" and (store.home / "runs" / recent).is_dir()
    assert store.status(running)["status"] == "running"
    assert prune("--older-than", "7d").startswith("pruned 0 runs")
    listed = [r["run_id"] for r in store.predict({"action": "list"}).json()["runs"]]
    assert old not in listed and recent in listed
    store.predict({"action": "cancel", "run_id": running})


def test_prune_refuses_an_age_it_cannot_read(store: Server) -> None:
    for bad in ("7", "-1d", "0d", "seven days", "7x"):
        done = subprocess.run(
            [sys.executable, "-m", "mantis.cli.main", "runs", "prune", "--older-than", bad],
            env=server_env(store.home, **store.env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr, bad


def test_the_server_prunes_on_its_schedule(tmp_path: Path, fresh_env: dict[str, str]) -> None:
    server = start_server(
        tmp_path / "home", MANTIS_RETENTION_DAYS="7", MANTIS_PRUNE_INTERVAL_S="0.5", **fresh_env
    )
    try:
        old, recent = ended_run(server), ended_run(server)
        age(server, old, 8)
        deadline = time.monotonic() + 60
        while not gone(server, old):
            assert time.monotonic() < deadline, "the old run was never pruned"
            time.sleep(0.3)
        assert events_of(server, old) == 0
        assert server.status(recent)["status"] == "succeeded" and (server.home / "runs" / recent).is_dir()
        assert "pruned 1 runs" in (server.home / "server.log").read_text()
    finally:
        stop_server(server)

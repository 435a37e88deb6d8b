"""The run store is the truth, on SQLite and on PostgreSQL: a server killed mid-run loses no run, SIGTERM
finishes or re-queues what runs, several servers on one PostgreSQL database share one queue, and the
migrations build the models' schema on both."""

from __future__ import annotations

import itertools
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from tests.conftest import Server, database, start_server, stop_server

import mantis.webhooks.models  # noqa: F401  (its table is part of the schema)
from mantis.store.db import make_engine, migrate, session_factory
from mantis.store.models import Base, Run
from mantis.store.runs import Claim, RunStore
from mantis.workers import liveness


def waiting(seconds: float) -> dict[str, Any]:
    plan = [{"type": "wait", "intent": "Wait", "params": {"seconds": seconds}}]
    return {"micro": plan, "compute_backend": "browser_use_plane"}


def wait_for_its_step(server: Server, run_id: str, timeout_s: float = 60) -> None:
    """Until the run is in its wait step: `running` starts before its browser is up."""
    deadline = time.monotonic() + timeout_s
    while server.status(run_id)["progress"]["current_intent"] != "Wait":
        assert time.monotonic() < deadline, f"run {run_id} never reached its step"
        time.sleep(0.1)


def submit(server: Server, body: dict[str, Any], token: str | None = None) -> str:
    response = server.predict(body, token=token)
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def stored(server: Server, run_id: str) -> Run:
    """A run as the store holds it, read while no server runs."""
    engine = make_engine(server.database_url)
    try:
        run = RunStore(session_factory(engine)).get(run_id)
    finally:
        engine.dispose()
    assert run is not None
    return run


def moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def events_of(server: Server, run_id: str) -> list[str]:
    body = server.predict({"action": "logs", "run_id": run_id, "limit": 1000}).json()
    return [event["type"] for event in body["events"]]


def test_a_server_killed_mid_run_loses_no_run(tmp_path: Path, fresh_env: dict[str, str]) -> None:
    env = {"MANTIS_WORKERS": "2", "MANTIS_AUTO_RESUME": "0", **fresh_env}  # resumes: test_resume.py
    server = start_server(tmp_path / "home", **env)
    try:
        running = [submit(server, waiting(30)) for _ in range(2)]
        for run_id in running:
            server.wait(run_id, until=("running",))
        queued = [submit(server, waiting(0.5)) for _ in range(3)]
        assert {server.status(run_id)["status"] for run_id in queued} == {"queued"}
    finally:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()

    server = start_server(tmp_path / "home", **env)
    try:
        for run_id in running:  # settled as the server starts: their worker is gone
            status = server.status(run_id)
            assert status["status"] == "failed" and status["error"]["code"] == "worker_lost"
            assert "run.failed" in events_of(server, run_id)
        assert [server.wait(run_id)["status"] for run_id in queued] == ["succeeded"] * 3
        assert server.predict({"action": "list", "status": "running"}).json()["runs"] == []
    finally:
        stop_server(server)


def test_sigterm_lets_runs_finish_in_the_grace_period_requeues_the_rest_and_exits_0(
    tmp_path: Path, fresh_env: dict[str, str]
) -> None:
    # Margins wide enough for a loaded machine: `short` must still run when SIGTERM comes (else its
    # worker would rightly take `later`), and `long` must outlast the grace period by far.
    grace_s = 10
    env = {"MANTIS_WORKERS": "2", "MANTIS_SHUTDOWN_GRACE_S": str(grace_s), **fresh_env}
    server = start_server(tmp_path / "home", **env)
    try:
        short, long = submit(server, waiting(6)), submit(server, waiting(120))
        later = submit(server, waiting(0.5))
        for run_id in (short, long):
            wait_for_its_step(server, run_id)
        assert server.status(short)["status"] == "running"
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=60) == 0
    finally:
        stop_server(server)
    assert stored(server, short).status == "succeeded"
    # The long one back in the queue, not waited for (it needs 120 s, the grace is 10); no new work taken.
    for run_id in (long, later):
        run = stored(server, run_id)
        assert run.status == "queued" and run.started_at is None

    server = start_server(tmp_path / "home", **env)
    try:
        assert server.wait(later)["status"] == "succeeded"
        wait_for_its_step(server, long)  # taken again: its step was in flight, so from its first step
        assert "run.requeued" in events_of(server, long)
        assert server.predict({"action": "cancel", "run_id": long}).json()["status"] == "cancelled"
    finally:
        stop_server(server)


def test_two_servers_on_one_database_share_the_queue_and_its_limits(
    tmp_path: Path, backend: str, fresh_env: dict[str, str]
) -> None:
    if backend != "postgresql":
        pytest.skip("several server processes need PostgreSQL")
    home = tmp_path / "home"
    first = start_server(home, MANTIS_WORKERS="2", **fresh_env)
    second: Server | None = None
    try:
        held = submit(first, waiting(3))
        first.wait(held, until=("running",))
        second = start_server(home, MANTIS_WORKERS="2", **fresh_env)  # must not take `held` for lost
        token = first.tenant("shared-cap", "--max-concurrent", "1")
        runs = [submit(server, waiting(0.5), token) for server in (first, second, first, second)]
        ended = [second.wait(run_id, token=token) for run_id in runs]
        assert first.wait(held)["status"] == "succeeded"
    finally:
        stop_server(first)
        if second is not None:
            stop_server(second)
    assert {run["status"] for run in ended} == {"succeeded"}
    spans = sorted((moment(run["started_at"]), moment(run["finished_at"])) for run in ended)
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans))


def test_a_holder_is_lost_when_its_heartbeat_is_stale_or_its_process_is_dead() -> None:
    now = datetime.now(UTC)
    fresh, stale = now - timedelta(seconds=2), now - liveness.LEASE - timedelta(seconds=1)
    me = liveness.process_id()
    host = liveness.HOST

    def lost(worker_id: str | None, beat: datetime | None) -> bool:
        return liveness.is_lost(Claim("r", worker_id, beat), now)

    assert not lost(f"{me}/0", fresh)
    assert lost(f"{me}/0", stale)
    assert lost(None, None)
    assert not lost("elsewhere:123:abcd/0", fresh)  # another host: only its heartbeat tells
    assert lost(f"{host}:{os.getpid()}:another-boot/0", fresh)  # this pid, an earlier server
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    assert lost(f"{host}:{dead}:abcd/1", fresh)


def test_migrations_build_exactly_the_schema_of_the_models(backend: str, tmp_path: Path) -> None:
    with database(backend) as env:
        engine = make_engine(env.get("MANTIS_DATABASE_URL") or f"sqlite:///{tmp_path / 'schema.db'}")
        try:
            migrate(engine)
            with engine.connect() as connection:
                assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        finally:
            engine.dispose()

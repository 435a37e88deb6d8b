"""Scheduling and cancellation over HTTP, on SQLite and on PostgreSQL: per-tenant concurrency, one run per
profile, the bounded queue, cancel in every state; and claims racing from many connections at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update
from tests.conftest import REPO, Server, database, start_server, stop_server

from mantis.secretbox import SecretBox
from mantis.store.db import make_engine, migrate, session_factory
from mantis.store.models import Run
from mantis.store.runs import RunStore
from mantis.store.tenants import TenantCaps, TenantStore

MAX_QUEUED = 3


def waiting(seconds: float, **extra: Any) -> dict[str, Any]:
    plan = [{"type": "wait", "params": {"seconds": seconds}}]
    return {"micro": plan, "compute_backend": "browser_use_plane", **extra}


def moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, backend_env: dict[str, str]) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("mantis-scheduling"),
        MANTIS_WORKERS="2",
        MANTIS_MAX_QUEUED_RUNS=str(MAX_QUEUED),
        **backend_env,
    )
    yield running
    stop_server(running)


def submit(server: Server, body: dict[str, Any], token: str | None = None) -> str:
    response = server.predict(body, token=token)
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def test_runs_beyond_max_concurrent_wait_queued(server: Server) -> None:
    token = server.tenant("solo", "--max-concurrent", "1")
    first, second = submit(server, waiting(2), token), submit(server, waiting(2), token)
    server.wait(first, token=token, until=("running",))
    assert server.status(second, token)["status"] == "queued"
    a, b = server.wait(first, token=token), server.wait(second, token=token)
    assert a["status"] == b["status"] == "succeeded"
    assert moment(b["started_at"]) >= moment(a["finished_at"])


def test_one_profile_runs_one_at_a_time_and_state_key_is_that_profile(server: Server) -> None:
    first = submit(server, waiting(2, profile_id="shared"))
    second = submit(server, waiting(2, state_key="shared"))
    other = submit(server, waiting(2, profile_id="other"))
    a, b, c = (server.wait(run_id) for run_id in (first, second, other))
    assert a["status"] == b["status"] == c["status"] == "succeeded"
    assert moment(b["started_at"]) >= moment(a["finished_at"])
    assert moment(c["started_at"]) < moment(a["finished_at"])  # another profile is not held back


def test_a_full_queue_answers_429_and_queued_runs_cancel_at_once(server: Server) -> None:
    token = server.tenant("narrow", "--max-concurrent", "1")
    running = submit(server, waiting(20), token)
    server.wait(running, token=token, until=("running",))
    queued = [submit(server, waiting(1), token) for _ in range(MAX_QUEUED)]
    full = server.predict(waiting(1), token=token)
    assert full.status_code == 429, full.text
    assert full.json()["error"]["code"] == "too_many_runs" and full.json()["error"]["retryable"] is True
    assert int(full.headers["Retry-After"]) > 0
    for run_id in queued:
        started = time.monotonic()
        answer = server.predict({"action": "cancel", "run_id": run_id}, token=token).json()
        assert answer["status"] == "cancelled" and answer["started_at"] is None
        assert time.monotonic() - started < 3.0  # no wait for a worker
    stopped = server.predict({"action": "cancel", "run_id": running}, token=token)
    assert stopped.json()["status"] == "cancelled"


def test_cancel_stops_a_running_run_within_5_s_and_keeps_its_rows(server: Server) -> None:
    plan = json.loads((REPO / "plans/example/hn_top5.json").read_text())
    plan["steps"].append({"type": "wait", "intent": "Linger", "params": {"seconds": 30}})
    run_id = submit(server, {"micro": plan})
    deadline = time.monotonic() + 60
    while server.status(run_id)["progress"]["current_intent"] != "Linger":
        assert time.monotonic() < deadline, "the run never reached its wait"
        time.sleep(0.2)
    started = time.monotonic()
    answer = server.predict({"action": "cancel", "run_id": run_id})
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert time.monotonic() - started < 5.0
    result = server.predict({"action": "result", "run_id": run_id}).json()
    assert result["status"] == "cancelled" and len(result["result"]["rows"]) == 5

    again = server.predict({"action": "cancel", "run_id": run_id})
    assert again.status_code == 200 and again.json() == server.status(run_id)


def test_cancelling_an_ended_run_changes_nothing(server: Server) -> None:
    run_id = submit(server, waiting(0.1))
    ended = server.wait(run_id)
    answer = server.predict({"action": "cancel", "run_id": run_id})
    assert answer.status_code == 200 and answer.json()["status"] == ended["status"] == "succeeded"
    assert server.status(run_id)["finished_at"] == ended["finished_at"]


def test_a_cancel_flagged_in_the_store_is_noticed_by_the_worker(server: Server) -> None:
    """As another server process would ask it: only the store's flag, no call to this process."""
    run_id = submit(server, waiting(30))
    server.wait(run_id, until=("running",))
    engine = make_engine(server.database_url)
    try:
        with session_factory(engine).begin() as session:
            session.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))
    finally:
        engine.dispose()
    flagged = time.monotonic()
    assert server.wait(run_id, timeout_s=10)["status"] == "cancelled"
    assert time.monotonic() - flagged < 5.0  # API.md: a running run stops within 5 s


def queued_run(tenant_id: str, number: int, profile_id: str | None = None) -> Run:
    return Run(
        id=f"20990101_000000_{number:08x}",
        tenant_id=tenant_id,
        status="queued",
        mode="detached",
        model="offline",
        created_at=datetime.now(UTC),
        payload={},
        plan={},
        effective={},
        profile_id=profile_id,
        summary="",
        step_index=0,
        steps_total=1,
        cost_usd=0.0,
        viable=0,
        rows=0,
        cancel_requested=False,
    )


def test_claims_racing_from_many_connections_never_over_admit(backend: str, tmp_path: Path) -> None:
    """Eight workers, each with its own engine as separate processes would have, claim at the same instant."""
    with database(backend) as env:
        url = env.get("MANTIS_DATABASE_URL") or f"sqlite:///{tmp_path / 'race.db'}"
        setup = make_engine(url)
        migrate(setup)
        tenants = TenantStore(session_factory(setup), SecretBox([Fernet.generate_key().decode()]))
        capped, _ = tenants.create("capped", caps=TenantCaps(max_concurrent_runs=2))
        profiled, _ = tenants.create("profiled")
        runs = RunStore(session_factory(setup))
        for number in range(6):
            runs.create(queued_run(capped.id, number))
            runs.create(queued_run(profiled.id, 100 + number, profile_id="one-browser"))
        engines = [make_engine(url) for _ in range(8)]
        claimed: list[Run] = []
        start = threading.Barrier(len(engines))

        def worker(index: int) -> None:
            store = RunStore(session_factory(engines[index]))
            start.wait()
            for _ in range(3):
                run = store.claim_next(f"race/{index}")
                if run is not None:
                    claimed.append(run)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(engines))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for engine in [setup, *engines]:
            engine.dispose()
    assert sorted(run.tenant_id for run in claimed) == sorted([capped.id] * 2 + [profiled.id])
    assert len({run.id for run in claimed}) == len(claimed)

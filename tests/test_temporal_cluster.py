"""The Temporal executor end to end: a real `temporal server start-dev`, PostgreSQL, the API and two
`mantis worker` processes, sharing one artifact directory. One cluster serves the module's tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import Server, database, free_port, server_env, start_server, stop_server

from mantis.store.db import make_engine, session_factory
from mantis.store.models import Run, RunEvent

TEMPORAL = Path(sys.executable).parent / "temporal"
ROWS = ["Widget Pro", "Gizmo Max", "Doohickey"]


@dataclass
class Cluster:
    env: dict[str, str]
    root: Path
    api: Server
    temporal: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        home = self.root / f"worker-{len(self.workers)}"
        home.mkdir(parents=True)
        log = (home / "worker.log").open("ab")
        env = server_env(home, MANTIS_PUBLIC_URL=self.api.url, **self.env)
        worker = subprocess.Popen(
            [sys.executable, "-m", "mantis.cli.main", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.workers.append(worker)
        return worker

    def restart_api(self) -> None:
        stop_server(self.api)
        self.api = start_server(self.root / "api", **self.env)

    def run_row(self, run_id: str) -> Run:
        engine = make_engine(self.env["MANTIS_DATABASE_URL"])
        try:
            with session_factory(engine)() as session:
                run = session.get(Run, run_id)
                assert run is not None
                return run
        finally:
            engine.dispose()

    def events(self, run_id: str) -> list[tuple[str, int | None]]:
        """The run's log as (type, step_index), in order."""
        engine = make_engine(self.env["MANTIS_DATABASE_URL"])
        try:
            with session_factory(engine)() as session:
                query = select(RunEvent.type, RunEvent.step_index).where(RunEvent.run_id == run_id)
                return [(kind, index) for kind, index in session.execute(query.order_by(RunEvent.id))]
        finally:
            engine.dispose()


def holder_pid(run: Run) -> int:
    """The pid in a Temporal holder id, `temporal:<run>:<attempt>:<host>:<pid>:<boot>`."""
    return int((run.worker_id or "").split(":")[4])


def start_temporal(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (root / "temporal.log").open("ab")
    ports = ["--port", str(port), "--http-port", str(free_port()), "--metrics-port", str(free_port())]
    quiet = ["--headless", "--ip", "127.0.0.1", "--log-level", "error"]
    process = subprocess.Popen(
        [str(TEMPORAL), "server", "start-dev", *quiet, *ports],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (root / "temporal.log").read_text()
        health = subprocess.run(
            [str(TEMPORAL), "operator", "cluster", "health", "--address", address], capture_output=True
        )
        if health.returncode == 0:
            return process, address
        time.sleep(0.5)
    raise AssertionError("the Temporal dev server did not start")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    with database("postgresql") as db:
        temporal, address = start_temporal(root)
        env = {
            **db,
            "MANTIS_EXECUTOR": "temporal",
            "MANTIS_TEMPORAL_ADDRESS": address,
            "MANTIS_ARTIFACTS": str(root / "artifacts"),
            "MANTIS_WORKERS": "2",
        }
        api = start_server(root / "api", **env)
        running = Cluster(env, root, api, temporal)
        try:
            for _ in range(2):
                running.start_worker()
            yield running
        finally:
            for worker in running.workers:
                worker.terminate()
            for worker in running.workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            stop_server(running.api)
            temporal.terminate()
            temporal.wait(timeout=30)


def extracting(site: str, linger_s: float = 0) -> dict[str, Any]:
    plan: list[dict[str, Any]] = [
        {"type": "navigate", "params": {"url": site}},
        {
            "type": "extract_data",
            "extract": {"fields": [{"name": "name"}, {"name": "price", "type": "int"}], "max_items": 3},
        },
    ]
    if linger_s:
        plan.append({"type": "wait", "intent": "Linger", "params": {"seconds": linger_s}})
    return {"micro": plan, "compute_backend": "browser_use_plane"}


def submit(server: Server, body: dict[str, Any], token: str | None = None) -> str:
    response = server.predict(body, token=token)
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def rows_of(server: Server, run_id: str) -> list[str]:
    result = server.predict({"action": "result", "run_id": run_id}).json()
    return [row["name"] for row in result["result"]["rows"]]


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`, with its command line."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    below: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                frontier.append(child)
                try:
                    below[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    below[child] = ""
    return below


def test_six_runs_at_once_all_succeed_on_both_workers(cluster: Cluster, site: str) -> None:
    run_ids = [submit(cluster.api, extracting(site)) for _ in range(6)]
    ended = [cluster.api.wait(run_id, timeout_s=240) for run_id in run_ids]
    assert [body["status"] for body in ended] == ["succeeded"] * 6
    assert all(rows_of(cluster.api, run_id) == ROWS for run_id in run_ids)
    links = cluster.api.predict({"action": "result", "run_id": run_ids[0]}).json()["result"]["artifacts"]
    served = httpx.get(links["leads.csv"], headers=cluster.api.headers(), timeout=30)
    assert served.status_code == 200 and "Widget Pro" in served.text
    pids = {holder_pid(cluster.run_row(run_id)) for run_id in run_ids}
    assert pids == {worker.pid for worker in cluster.workers}
    assert not [cmd for cmd in descendants(cluster.api.process.pid).values() if "chrom" in cmd]


def test_cancel_ends_a_running_run_and_keeps_its_rows(cluster: Cluster, site: str) -> None:
    run_id = submit(cluster.api, extracting(site, linger_s=60))
    deadline = time.monotonic() + 120
    while cluster.api.status(run_id)["progress"]["current_intent"] != "Linger":
        assert time.monotonic() < deadline, "the run never reached its wait"
        time.sleep(0.2)
    answer = cluster.api.predict({"action": "cancel", "run_id": run_id})  # waits at most 5 s (API.md)
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert rows_of(cluster.api, run_id) == ROWS


def test_restarting_the_api_loses_nothing_and_tenant_limits_hold_across_workers(
    cluster: Cluster, site: str
) -> None:
    token = cluster.api.tenant("one-at-a-time", "--max-concurrent", "1")
    first = submit(cluster.api, extracting(site, linger_s=3), token)
    second = submit(cluster.api, extracting(site), token)
    cluster.restart_api()
    a = cluster.api.wait(first, timeout_s=180, token=token)
    b = cluster.api.wait(second, timeout_s=180, token=token)
    assert a["status"] == b["status"] == "succeeded"
    assert b["started_at"] >= a["finished_at"]
    for run_id in (first, second):
        result = cluster.api.predict({"action": "result", "run_id": run_id}, token=token).json()
        assert [row["name"] for row in result["result"]["rows"]] == ROWS


def test_a_worker_killed_mid_run_leaves_the_run_to_the_other(cluster: Cluster, site: str) -> None:
    run_id = submit(cluster.api, extracting(site, linger_s=6))
    deadline = time.monotonic() + 120
    while cluster.api.status(run_id)["progress"]["current_intent"] != "Linger":
        assert time.monotonic() < deadline, "the run never reached its wait"
        time.sleep(0.2)
    doomed = holder_pid(cluster.run_row(run_id))
    orphans = descendants(doomed)
    os.kill(doomed, signal.SIGKILL)
    ended = cluster.api.wait(run_id, timeout_s=180)
    for pid in orphans:  # its browser, left behind by a worker that had no chance to close it
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert ended["status"] == "succeeded"
    assert rows_of(cluster.api, run_id) == ROWS  # each row exactly once
    survivor = holder_pid(cluster.run_row(run_id))
    assert survivor != doomed and survivor in {w.pid for w in cluster.workers}
    events = cluster.events(run_id)
    assert "run.auto_resumed" in [kind for kind, _ in events]
    # it went on from its checkpoint: the navigation and the extraction ran once, on the dead worker
    assert [index for kind, index in events if kind == "step.succeeded"].count(1) == 1
    cluster.workers = [w for w in cluster.workers if w.pid != doomed]


def test_the_live_viewer_is_refused_where_the_browser_is_on_a_worker(cluster: Cluster, site: str) -> None:
    before = cluster.api.predict({"action": "list"}).json()["runs"]
    refused = cluster.api.predict({**extracting(site), "live_viewer": True})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_request"
    assert cluster.api.predict({"action": "list"}).json()["runs"] == before


def test_an_unknown_executor_stops_the_server_before_it_starts(tmp_path: Path) -> None:
    served = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", "serve", "--port", str(free_port())],
        env=server_env(tmp_path, MANTIS_EXECUTOR="celery"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 2 and "MANTIS_EXECUTOR='celery'" in served.stderr
    assert "Traceback" not in served.stderr

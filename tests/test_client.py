"""mantis.client against a real server (and, for retries and timeouts, a scripted stand-in of our own)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Server

from mantis.client import AsyncMantisClient, MantisClient, MantisError, RetryPolicy, RunResult, RunStatus

NEWS = [
    {"type": "navigate", "params": {"url": "/demo/news/"}},
    {
        "type": "extract_data",
        "extract": {
            "fields": [{"name": "title"}, {"name": "points", "type": "int", "required": False}],
            "max_items": 3,
        },
    },
]
WAITING = [
    {"type": "navigate", "params": {"url": "/demo/news/"}},
    {"type": "wait", "params": {"seconds": 20}},
]
FAST = RetryPolicy(base_s=0.01)


@dataclass
class NewsRun:
    result: RunResult
    progress: list[RunStatus]


@pytest.fixture(scope="module")
def news(server: Server) -> NewsRun:
    seen: list[RunStatus] = []
    with MantisClient(server.url, server.token) as client:
        result = client.run(
            micro=NEWS, compute_backend="browser_use_plane", poll_s=0.2, on_progress=seen.append
        )
    return NewsRun(result, seen)


@pytest.fixture
def client(server: Server) -> Iterator[MantisClient]:
    with MantisClient(server.url, server.token) as mantis:
        yield mantis


def wait_until_running(client: MantisClient, run_id: str, step: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.status(run_id)
        if status.status == "running" and status.progress.step_index >= step:
            return
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached step {step}")


# --- against the real server -------------------------------------------------------------------------


def test_run_submits_waits_and_returns_the_result(news: NewsRun) -> None:
    result = news.result
    assert result.status == "succeeded" and result.summary.startswith("Succeeded")
    assert len(result.rows) == 3 and all(row["title"] for row in result.rows)
    assert result.viable == 3 and len(result.leads) == 3
    assert {"leads.csv", "extracted_rows.json"} <= set(result.artifacts)
    assert news.progress[-1].finished and news.progress[-1].status == "succeeded"
    assert all(not status.finished for status in news.progress[:-1])


async def test_async_submit_wait_result(server: Server) -> None:
    async with AsyncMantisClient(server.url, server.token) as client:
        queued = await client.submit(micro="plans/example/hn_top5.json")
        assert queued.status == "queued" and queued.effective["compute_backend"] == "browser_use_plane"
        final = await client.wait(queued.run_id, poll_s=0.2)
        result = await client.result(queued.run_id)
    assert final.status == "succeeded" and final.error is None
    assert [row["rank"] for row in result.rows] == [1, 2, 3, 4, 5]


def test_logs_page_with_a_cursor(client: MantisClient, news: NewsRun) -> None:
    run_id = news.result.run_id
    first = client.logs(run_id, limit=2)
    rest = client.logs(run_id, cursor=first.next_cursor, limit=1000)
    assert len(first.events) == 2 and first.events[0].type == "run.started"
    assert rest.events[-1].type == "run.succeeded"
    assert client.logs(run_id, cursor=rest.next_cursor).events == []
    assert list(client.iter_logs(run_id)) == first.events + rest.events


async def test_async_iter_logs_follows_until_the_run_ends(server: Server) -> None:
    plan = [
        {"type": "navigate", "params": {"url": "/demo/news/"}},
        {"type": "wait", "params": {"seconds": 1}},
    ]
    async with AsyncMantisClient(server.url, server.token) as client:
        queued = await client.submit(micro=plan, compute_backend="browser_use_plane")
        events = [event async for event in client.iter_logs(queued.run_id, follow=True, poll_s=0.2)]
        assert (await client.status(queued.run_id)).status == "succeeded"
    assert events[0].type == "run.started" and events[-1].type == "run.succeeded"


def test_cancel_a_waiting_run(client: MantisClient) -> None:
    run_id = client.submit(micro=WAITING, compute_backend="browser_use_plane").run_id
    wait_until_running(client, run_id, step=1)
    started = time.monotonic()
    with pytest.raises(MantisError) as early:
        client.result(run_id)
    assert early.value.code == "run_not_finished" and early.value.retryable
    with pytest.raises(MantisError) as waited:
        client.wait(run_id, poll_s=0.1, timeout_s=0.3)
    assert waited.value.code == "wait_timeout"
    assert time.monotonic() - started < 3  # run_not_finished is not retried, and the wait stopped in time
    assert client.cancel(run_id).status == "cancelled"
    assert client.wait(run_id).status == "cancelled"
    assert client.cancel(run_id).status == "cancelled"  # an ended run is left as it was


def test_download_writes_the_servers_bytes(
    client: MantisClient, news: NewsRun, server: Server, tmp_path: Path
) -> None:
    run_id = news.result.run_id
    run_dir = server.home / "runs" / run_id
    one = client.download(run_id, "leads.csv", tmp_path)
    assert one == tmp_path / "leads.csv" and one.read_bytes() == (run_dir / "leads.csv").read_bytes()
    paths = client.download_all(run_id, tmp_path / "all")
    assert sorted(p.name for p in paths) == sorted(news.result.artifacts)
    assert all(p.read_bytes() == (run_dir / p.name).read_bytes() for p in paths)
    with pytest.raises(MantisError) as missing:
        client.download(run_id, "nope.csv", tmp_path / "nope.csv")
    assert missing.value.code == "artifact_not_found" and missing.value.status == 404
    assert not list(tmp_path.glob("nope*"))


async def test_async_download(server: Server, news: NewsRun, tmp_path: Path) -> None:
    run_id = news.result.run_id
    async with AsyncMantisClient(server.url, server.token) as client:
        path = await client.download(run_id, "step_000_navigate.png", tmp_path / "shots" / "first.png")
    assert path.read_bytes() == (server.home / "runs" / run_id / "step_000_navigate.png").read_bytes()


def test_errors_map_to_mantis_error(server: Server, client: MantisClient) -> None:
    with MantisClient(server.url, "mt_not-a-token") as stranger, pytest.raises(MantisError) as denied:
        stranger.list_runs()
    assert (denied.value.status, denied.value.code, denied.value.retryable) == (401, "unauthorized", False)
    with pytest.raises(MantisError) as invalid:
        client.submit(micro=[NEWS[0], {"type": "if_else", "condition_var": "x", "then_target": "three"}])
    assert invalid.value.code == "invalid_plan" and invalid.value.status == 400
    assert [d["path"] for d in invalid.value.details] == ["steps[1].then_target"]
    with pytest.raises(MantisError) as typo:
        typo_options: dict[str, Any] = {"max_costs": 2}
        client.submit(micro=NEWS, **typo_options)
    assert typo.value.code == "unknown_field" and typo.value.details == {"fields": ["max_costs"]}


async def test_async_errors_map_to_mantis_error(server: Server) -> None:
    async with AsyncMantisClient(server.url, server.token) as client:
        with pytest.raises(MantisError) as missing:
            await client.status("20990101_000000_deadbeef")
        with pytest.raises(MantisError) as no_plan:
            await client.submit(micro="plans/example/nope.json")
    assert (missing.value.status, missing.value.code) == (404, "run_not_found")
    assert (no_plan.value.status, no_plan.value.code) == (404, "plan_not_found")


def test_an_explicit_idempotency_key_returns_the_first_run(client: MantisClient) -> None:
    key = f"client-test-{time.time_ns()}"
    first = client.submit(micro=NEWS, compute_backend="browser_use_plane", idempotency_key=key)
    again = client.submit(micro=NEWS, compute_backend="browser_use_plane", idempotency_key=key)
    assert again.run_id == first.run_id
    with pytest.raises(MantisError) as conflict:
        client.submit(micro=NEWS, idempotency_key=key)
    assert conflict.value.code == "idempotency_conflict"


# --- against a scripted stand-in -----------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]
STATUS = json.dumps(
    {"run_id": "r1", "status": "running", "progress": {"step_index": 1, "steps_total": 2}}
).encode()
JSON = {"Content-Type": "application/json"}


def error_body(code: str, retryable: bool) -> bytes:
    return json.dumps(
        {"error": {"code": code, "message": code, "retryable": retryable, "details": None}}
    ).encode()


@contextmanager
def stand_in(answer: Callable[[Seen], Answer]) -> Iterator[tuple[str, list[Seen]]]:
    """A loopback HTTP server that answers each request with `answer(request)` and records it."""
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Seen(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            seen.append(request)
            status, headers, body = answer(request)
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, which is what a timeout test wants

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def scripted(*answers: Answer) -> Callable[[Seen], Answer]:
    queue = iter(answers)
    return lambda _request: next(queue)


@pytest.mark.parametrize(("status", "code"), [(503, "unavailable"), (429, "too_many_runs")])
def test_retries_honour_retry_after(status: int, code: str) -> None:
    busy = (status, {**JSON, "Retry-After": "1"}, error_body(code, True))
    with (
        stand_in(scripted(busy, (200, JSON, STATUS))) as (url, seen),
        MantisClient(url, "t", retry=FAST) as client,
    ):
        started = time.monotonic()
        answer = client.status("r1")
        took = time.monotonic() - started
    assert answer.status == "running" and answer.progress.step_index == 1
    assert len(seen) == 2 and took >= 1.0


async def test_async_retries_honour_retry_after() -> None:
    busy = (503, {**JSON, "Retry-After": "1"}, error_body("unavailable", True))
    with stand_in(scripted(busy, (200, JSON, STATUS))) as (url, seen):
        async with AsyncMantisClient(url, "t", retry=FAST) as client:
            started = time.monotonic()
            assert (await client.status("r1")).status == "running"
            assert time.monotonic() - started >= 1.0
    assert len(seen) == 2


def test_errors_not_marked_retryable_are_not_retried() -> None:
    refused = (400, JSON, error_body("invalid_plan", False))
    with (
        stand_in(scripted(refused)) as (url, seen),
        MantisClient(url, "t", retry=FAST) as client,
        pytest.raises(MantisError) as error,
    ):
        client.status("r1")
    assert error.value.code == "invalid_plan" and len(seen) == 1


def test_a_500_is_retried_once_and_a_proxy_page_still_maps() -> None:
    crash = (500, JSON, error_body("internal_error", True))
    gateway = (502, {"Content-Type": "text/html"}, b"<html>Bad Gateway</html>")
    twice = RetryPolicy(max_attempts=2, base_s=0.01)
    with (
        stand_in(scripted(crash, crash, gateway, gateway)) as (url, seen),
        MantisClient(url, "t", retry=twice) as c,
    ):
        with pytest.raises(MantisError) as crashed:
            c.status("r1")
        assert crashed.value.code == "internal_error" and len(seen) == 2
        with pytest.raises(MantisError) as proxied:
            c.result("r1")
    assert proxied.value.code == "http_502" and proxied.value.retryable
    assert "Bad Gateway" in proxied.value.message and len(seen) == 4


def test_unreachable_server_gives_up_after_bounded_attempts() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    retry = RetryPolicy(max_attempts=3, base_s=0.01)
    with (
        MantisClient(f"http://127.0.0.1:{port}", "t", retry=retry) as client,
        pytest.raises(MantisError) as error,
    ):
        client.status("r1")
    assert error.value.code == "unreachable" and error.value.status is None and error.value.retryable


def test_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with stand_in(lambda _r: (200, JSON, STATUS)) as (url, seen):
        monkeypatch.setenv("MANTIS_ENDPOINT", url)
        monkeypatch.setenv("MANTIS_API_TOKEN", "tenant-token")
        monkeypatch.delenv("MANTIS_PLATFORM_API_KEY", raising=False)
        monkeypatch.setenv("BASETEN_API_KEY", "platform-key")
        with MantisClient() as client:
            client.status("r1")
        monkeypatch.setenv("BASETEN_API_KEY", "")
        with MantisClient() as client:
            client.status("r1")
    assert seen[0].headers["x-mantis-token"] == "tenant-token"
    assert seen[0].headers["authorization"] == "Api-Key platform-key"
    assert "authorization" not in seen[1].headers
    assert json.loads(seen[0].body) == {"action": "status", "run_id": "r1"}


def test_submit_retried_after_a_timeout_starts_one_run(server: Server) -> None:
    """The first answer comes after the client gave up; its retry carries the same key and gets that run."""
    upstream_ids: list[str] = []

    def forward(request: Seen) -> Answer:
        headers = {"X-Mantis-Token": request.headers["x-mantis-token"], **JSON}
        upstream = httpx.post(
            f"{server.url}{request.path}", content=request.body, headers=headers, timeout=30
        )
        upstream_ids.append(upstream.json()["run_id"])
        if len(upstream_ids) == 1:
            time.sleep(1.5)
        return upstream.status_code, JSON, upstream.content

    with (
        stand_in(forward) as (url, seen),
        MantisClient(url, server.token, timeout_s=0.5, retry=FAST) as client,
    ):
        queued = client.submit(micro=NEWS, compute_backend="browser_use_plane")
    keys = {json.loads(request.body)["idempotency_key"] for request in seen}
    assert len(seen) == 2 and len(keys) == 1
    assert upstream_ids == [queued.run_id, queued.run_id]

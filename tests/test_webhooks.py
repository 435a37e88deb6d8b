"""Webhooks: signatures, the private-address guard, the retry schedule, and delivery end to end
against a real receiver on loopback and a real `mantis serve`, across a restart."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import REPO, Server, free_port, server_env, start_server, stop_server

from mantis.config import Settings
from mantis.services import Services
from mantis.store.models import Run
from mantis.webhooks import Dispatcher, enqueue_for_run, sign, verify
from mantis.webhooks import dispatcher as dispatcher_module
from mantis.webhooks.guard import CallbackRefused, Target, is_public, resolve_target
from mantis.webhooks.settings import DEFAULT_BACKOFF, WebhookSettings, parse_backoff, retry_delay
from mantis.webhooks.store import WebhookStore

SECRET = "whsec_test"
BODY = b'{"event":"run.succeeded","run_id":"r1"}'
WAIT_PLAN = {"micro": [{"type": "wait", "params": {"seconds": 0.1}}], "compute_backend": "browser_use_plane"}


# --- signing ---------------------------------------------------------------------------------------


def test_signature_verifies_and_has_the_documented_shape() -> None:
    header = sign(SECRET, BODY, timestamp=1_700_000_000)
    t, v1 = header.split(",")
    assert t == "t=1700000000" and v1.startswith("v1=") and len(v1) == 3 + 64
    assert verify(SECRET, header, BODY, now=1_700_000_100)
    assert verify(SECRET, sign(SECRET, BODY), BODY)


def test_verify_rejects_tampering_wrong_secret_stale_and_malformed() -> None:
    header = sign(SECRET, BODY, timestamp=1_700_000_000)
    assert not verify(SECRET, header, BODY.replace(b"r1", b"r2"), now=1_700_000_000)
    assert not verify("whsec_other", header, BODY, now=1_700_000_000)
    assert not verify(SECRET, header, BODY, now=1_700_000_301)
    assert not verify(SECRET, header, BODY, now=1_699_999_699)
    assert verify(SECRET, header, BODY, tolerance_s=3600, now=1_700_000_301)
    forged_t = header.replace("t=1700000000", "t=1700000001")
    assert not verify(SECRET, forged_t, BODY, now=1_700_000_000)
    for malformed in ("", "v1=abc", "t=1700000000", "t=soon,v1=" + "0" * 64):
        assert not verify(SECRET, malformed, BODY, now=1_700_000_000)


# --- the private-address guard ---------------------------------------------------------------------

REFUSED_HOSTS = [
    "10.1.2.3",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "127.8.9.10",
    "[::1]",
    "[fe80::1]",
    "169.254.169.254",
    "[::ffff:127.0.0.1]",
    "[::ffff:10.0.0.1]",
    "0.0.0.0",
    "[::]",
    "224.0.0.1",
    "240.0.0.1",
    "100.64.0.1",
    "[fc00::1]",
    "localhost",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_guard_refuses_non_public_addresses(host: str) -> None:
    with pytest.raises(CallbackRefused, match="non-public"):
        await resolve_target(f"http://{host}:8080/hook", allow_private=False)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "::ffff:8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd", "http:///nohost", "no url"])
async def test_guard_refuses_other_schemes(url: str) -> None:
    with pytest.raises(CallbackRefused):
        await resolve_target(url, allow_private=True)


async def test_allowing_private_callbacks_lets_loopback_through() -> None:
    assert WebhookSettings.from_env({"MANTIS_ALLOW_PRIVATE_CALLBACKS": "1"}).allow_private
    assert not WebhookSettings.from_env({}).allow_private
    target = await resolve_target("http://127.0.0.1:8080/hook", allow_private=True)
    assert target.address == "127.0.0.1" and target.url.host == "127.0.0.1"
    named = await resolve_target("http://localhost:8080/hook", allow_private=True)
    assert ipaddress.ip_address(named.address).is_loopback


# --- the retry schedule ----------------------------------------------------------------------------


def test_default_schedule_meets_the_contract() -> None:
    attempts = len(DEFAULT_BACKOFF) + 1
    assert attempts >= 5
    assert sum(DEFAULT_BACKOFF) >= 600
    assert DEFAULT_BACKOFF[0] <= 10
    assert list(DEFAULT_BACKOFF) == sorted(DEFAULT_BACKOFF)
    assert [retry_delay(n, DEFAULT_BACKOFF) for n in range(1, attempts + 1)] == [*DEFAULT_BACKOFF, None]


def test_schedule_is_a_setting() -> None:
    assert WebhookSettings.from_env({"MANTIS_WEBHOOK_BACKOFF": "1, 2,0.5"}).backoff == (1.0, 2.0, 0.5)
    assert WebhookSettings.from_env({}).backoff == DEFAULT_BACKOFF
    for bad in ("soon", "1,,2", "-1"):
        with pytest.raises(ValueError, match="MANTIS_WEBHOOK_BACKOFF"):
            parse_backoff(bad)


# --- a real receiver -------------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """A webhook receiver on loopback that answers 500 to the first `fail_first` requests."""

    port: int = 0
    fail_first: int = 0
    secret: str = ""
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("X-Mantis-Signature", "")
                verified = verify(receiver.secret, signature, body)
                receiver.received.append(Received(dict(self.headers), body, verified))
                failing = len(receiver.received) <= receiver.fail_first
                self.send_response(401 if not verified else 500 if failing else 204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/mantis?key=receiver-key"

    def wait_for(self, count: int, timeout_s: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, self.received
        return self.received

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(fail_first=2)
    yield running
    running.close()


# --- in process: the dispatcher against a real store ----------------------------------------------


def ended_run(services: Services, tenant_id: str, **payload: Any) -> str:
    run_id = f"run_{time.monotonic_ns()}"
    services.runs.create(
        Run(
            id=run_id,
            tenant_id=tenant_id,
            status="queued",
            mode="detached",
            model="offline",
            created_at=datetime.now(UTC),
            payload=payload,
            plan={},
            effective={},
        )
    )
    services.runs.finish(run_id, "succeeded", from_status="queued", summary="Done: 2 rows", viable=2)
    return run_id


async def webhook_events(services: Services, run_id: str, last: str, timeout_s: float = 10) -> list[Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = [e for e in services.runs.events(run_id, 0, 100) if e.type.startswith("webhook.")]
        if events and events[-1].type == last:
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {last} event for {run_id}")


def home_services(home: Path) -> Services:
    return Services(Settings(home=home, plans_dir=REPO, database_url=f"sqlite:///{home / 'mantis.db'}"))


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    built = home_services(tmp_path / "home")
    yield built
    built.engine.dispose()


async def test_a_private_callback_is_refused_and_logged(services: Services) -> None:
    tenant, _ = services.tenants.create("guarded", callback_url="http://127.0.0.1:9/hook")
    run_id = ended_run(services, tenant.id)
    webhooks = Dispatcher(services, WebhookSettings(backoff=(0.1,)))
    await webhooks.start()
    try:
        await enqueue_for_run(services, run_id)
        await enqueue_for_run(services, run_id)  # a second call queues nothing more
        events = await webhook_events(services, run_id, "webhook.refused")
    finally:
        await webhooks.stop()
    assert [e.type for e in events] == ["webhook.refused"]
    assert "MANTIS_ALLOW_PRIVATE_CALLBACKS" in events[0].message
    delivery = WebhookStore.for_engine(services.engine).get(events[0].data["event_id"])
    assert delivery is not None and delivery.status == "refused" and delivery.attempts == 0


async def test_the_request_goes_to_the_checked_address_with_the_named_host(
    services: Services, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves elsewhere at connect time (DNS rebinding) cannot redirect the request."""
    tenant, _ = services.tenants.create("pinned", callback_url=f"http://rebind.invalid:{receiver.port}/hook")
    receiver.secret, receiver.fail_first = services.tenants.webhook_secret(tenant), 0

    async def checked(raw_url: str, allow_private: bool) -> Target:
        return Target(url=httpx.URL(raw_url), address="127.0.0.1")

    monkeypatch.setattr(dispatcher_module, "resolve_target", checked)
    run_id = ended_run(services, tenant.id)
    webhooks = Dispatcher(services, WebhookSettings(backoff=(0.1,)))
    await webhooks.start()
    try:
        await enqueue_for_run(services, run_id)
        events = await webhook_events(services, run_id, "webhook.delivered")
    finally:
        await webhooks.stop()
    (request,) = receiver.received
    assert request.verified and request.headers["Host"] == f"rebind.invalid:{receiver.port}"
    assert events[0].data["status_code"] == 204


async def test_no_callback_url_queues_nothing(services: Services) -> None:
    tenant, _ = services.tenants.create("silent")
    run_id = ended_run(services, tenant.id)
    assert not await asyncio.to_thread(WebhookStore.for_engine(services.engine).enqueue, run_id)


# --- end to end: a real server -------------------------------------------------------------------


def create_tenant(server: Server, name: str, *args: str) -> tuple[str, str]:
    """Creates a tenant with the real command line; returns its webhook secret and its token."""
    out = (
        subprocess.run(
            [sys.executable, "-m", "mantis.cli.main", "tenants", "create", name, *args],
            env=server_env(server.home),
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()
    )
    secret = next(line.split(": ", 1)[1] for line in out if line.startswith("webhook_secret: "))
    return secret, out[-1]


def store_tenant(home: Path, name: str, callback_url: str) -> tuple[str, str]:
    """Creates a tenant in a running server's database; returns its webhook secret and its token."""
    services = home_services(home)
    try:
        tenant, token = services.tenants.create(name, callback_url=callback_url)
        return services.tenants.webhook_secret(tenant), token
    finally:
        services.engine.dispose()


def run_logs(server: Server, token: str, run_id: str) -> list[dict[str, Any]]:
    response = server.predict({"action": "logs", "run_id": run_id, "limit": 1000}, token=token)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def wait_for_event(server: Server, token: str, run_id: str, kind: str, timeout_s: float = 40) -> list[Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = run_logs(server, token, run_id)
        if any(e["type"] == kind for e in events):
            return events
        time.sleep(0.1)
    raise AssertionError(f"no {kind} in the log of {run_id}: {run_logs(server, token, run_id)}")


def test_webhook_is_retried_until_accepted_and_every_attempt_is_logged(
    tmp_path: Path, receiver: Receiver
) -> None:
    server = start_server(
        tmp_path / "home", MANTIS_ALLOW_PRIVATE_CALLBACKS="1", MANTIS_WEBHOOK_BACKOFF="1,1,1,1,1"
    )
    try:
        # the tenant's default points nowhere: the submission's callback_url must win
        receiver.secret, token = create_tenant(server, "hooks", "--callback-url", "http://127.0.0.1:9/unused")
        queued = server.predict({**WAIT_PLAN, "callback_url": receiver.url}, token=token)
        assert queued.status_code == 200, queued.text
        run_id = queued.json()["run_id"]

        requests = receiver.wait_for(3)
        events = wait_for_event(server, token, run_id, "webhook.delivered")
        status = server.predict({"action": "status", "run_id": run_id}, token=token).json()
    finally:
        stop_server(server)

    assert len(requests) == 3 and all(r.verified for r in requests)
    assert len({r.headers["X-Mantis-Event-Id"] for r in requests}) == 1
    assert requests[0].headers["X-Mantis-Event-Id"].startswith("evt_")
    assert len({r.body for r in requests}) == 1
    for request in requests:
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("mantis-webhooks/")
        assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    body = json.loads(requests[0].body)
    assert status["status"] == "succeeded"
    assert body == {
        "event": "run.succeeded",
        "run_id": run_id,
        "status": "succeeded",
        "summary": status["summary"],
        "viable": status["viable"],
        "finished_at": status["finished_at"],
    }

    attempts = [e for e in events if e["type"] == "webhook.attempt"]
    assert [e["data"]["attempt"] for e in attempts] == [1, 2, 3]
    assert [e["data"]["status_code"] for e in attempts] == [500, 500, 204]
    assert [e["data"]["next_attempt_at"] is not None for e in attempts] == [True, True, False]
    assert {e["data"]["event_id"] for e in attempts} == {requests[0].headers["X-Mantis-Event-Id"]}
    assert attempts[0]["data"]["url"] == f"http://127.0.0.1:{receiver.port}/hooks/mantis"
    assert [e["type"] for e in events if e["type"].startswith("webhook.")][-1] == "webhook.delivered"
    logged = json.dumps(events)
    assert receiver.secret not in logged and "v1=" not in logged and "receiver-key" not in logged


def test_a_pending_webhook_survives_a_server_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"MANTIS_ALLOW_PRIVATE_CALLBACKS": "1", "MANTIS_WEBHOOK_BACKOFF": "2,2,2,2,2"}
    port = free_port()  # nothing listens there yet: the receiver is down
    server = start_server(home, **env)
    try:
        # straight into the server's database: one CLI process less (the CLI is covered above)
        secret, token = store_tenant(home, "restart", f"http://127.0.0.1:{port}/hook")
        run_id = server.predict(WAIT_PLAN, token=token).json()["run_id"]
        first = wait_for_event(server, token, run_id, "webhook.attempt")
    finally:
        stop_server(server)
    failed = next(e for e in first if e["type"] == "webhook.attempt")
    assert failed["data"]["status_code"] is None and failed["data"]["error"]

    receiver = Receiver(port=port, secret=secret)
    server = start_server(home, **env)
    try:
        events = wait_for_event(server, token, run_id, "webhook.delivered")
    finally:
        stop_server(server)
        receiver.close()
    assert len(receiver.received) == 1 and receiver.received[0].verified
    attempts = [e for e in events if e["type"] == "webhook.attempt"]
    assert attempts[0]["data"]["attempt"] == 1 and attempts[-1]["data"]["status_code"] == 204
    assert [e["data"]["attempt"] for e in attempts] == list(range(1, len(attempts) + 1))

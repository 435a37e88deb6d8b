"""Sends queued webhooks in the background, woken when one is queued and when the next is due."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from mantis import __version__, metrics
from mantis.secretbox import SecretUnreadable
from mantis.webhooks.guard import CallbackRefused, Target, resolve_target
from mantis.webhooks.settings import WebhookSettings, retry_delay
from mantis.webhooks.signing import sign
from mantis.webhooks.store import Attempt, Claimed, WebhookStore, now

if TYPE_CHECKING:
    from mantis.services import Services

log = logging.getLogger("mantis.webhooks")

IDLE_POLL_S = 30.0  # also finds deliveries another process queued
MIN_SLEEP_S = 0.05  # never spin, whatever the clock says
USER_AGENT = f"mantis-webhooks/{__version__}"

_running: weakref.WeakKeyDictionary[Services, Dispatcher] = weakref.WeakKeyDictionary()


def enqueue_for_run_blocking(services: Services, run_id: str) -> bool:
    """Queues the webhook of an ended run, from a worker thread; the dispatcher finds it on its next pass.

    A webhook never fails the run or the request that ended it: errors are logged, not raised.
    """
    try:
        return WebhookStore.for_engine(services.engine).enqueue(run_id)
    except Exception:
        log.exception("could not queue the webhook of run %s", run_id)
        return False


async def enqueue_for_run(services: Services, run_id: str) -> None:
    """Queues the webhook of a run that just reached a final status and wakes the dispatcher."""
    if await asyncio.to_thread(enqueue_for_run_blocking, services, run_id):
        dispatcher = _running.get(services)
        if dispatcher is not None:
            dispatcher.wake()


class Dispatcher:
    """Delivers due webhooks, a bounded number at once; started and stopped with the server."""

    def __init__(self, services: Services, settings: WebhookSettings | None = None) -> None:
        self._services = services
        self._settings = settings or WebhookSettings.from_env()
        self._store = WebhookStore.for_engine(services.engine)
        # Past the lease, a claimed delivery whose process died is due again.
        self._lease_s = self._settings.timeout_s + 20.0
        self._wake = asyncio.Event()
        self._home: asyncio.AbstractEventLoop | None = None  # the loop it dispatches on, once started
        self._loop: asyncio.Task[None] | None = None
        self._sending: dict[str, asyncio.Task[None]] = {}
        # No proxies, no redirects, no reused connections: every request goes to the address the
        # guard checked, and a connection opened for one host never carries another's request.
        self._client = httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            timeout=self._settings.timeout_s,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def start(self) -> None:
        self._home = asyncio.get_running_loop()
        _running[self._services] = self
        self._loop = asyncio.create_task(self._run(), name="mantis-webhooks")

    def wake(self) -> None:
        """From any thread (runs end on the in-process executor's own loop)."""
        if self._home is not None:
            self._home.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Stops sending; an attempt cut short is made due again for the next start."""
        _running.pop(self._services, None)
        interrupted = list(self._sending)
        tasks = [*self._sending.values(), *([self._loop] if self._loop else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if interrupted:
            await asyncio.to_thread(self._store.release, interrupted)
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                sleep_s = await self._dispatch_due()
            except Exception:
                log.exception("webhook dispatch failed; trying again in %s s", IDLE_POLL_S)
                sleep_s = IDLE_POLL_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), sleep_s)

    async def _dispatch_due(self) -> float:
        """Starts sending what is due; returns how long to sleep until the next delivery is due."""
        room = self._settings.concurrency - len(self._sending)
        if room > 0:
            for claimed in await asyncio.to_thread(self._store.claim_due, room, self._lease_s):
                self._sending[claimed.id] = asyncio.create_task(
                    self._send(claimed), name=f"webhook-{claimed.id}"
                )
        if len(self._sending) >= self._settings.concurrency:
            return IDLE_POLL_S  # a finishing send wakes the loop
        due = await asyncio.to_thread(self._store.next_due)
        if due is None:
            return IDLE_POLL_S
        return min(max((due - now()).total_seconds(), MIN_SLEEP_S), IDLE_POLL_S)

    async def _send(self, claimed: Claimed) -> None:
        try:
            attempt = await self._attempt(claimed)
            status = await asyncio.to_thread(self._store.record_attempt, claimed, attempt)
            metrics.webhook_attempt(status)
            log.info("webhook %s attempt %d: %s", claimed.id, attempt.number, status)
        except CallbackRefused as exc:
            await asyncio.to_thread(self._store.refuse, claimed, str(exc))
            metrics.webhook_attempt("refused")
            log.warning("webhook %s refused: %s", claimed.id, exc)
        except Exception:  # the store failed: the lease runs out and the attempt is made again
            log.exception("webhook %s could not be recorded", claimed.id)
        finally:
            self._sending.pop(claimed.id, None)
            self._wake.set()

    async def _attempt(self, claimed: Claimed) -> Attempt:
        number = claimed.attempts + 1
        status_code: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self._settings.timeout_s):
                target = await resolve_target(claimed.url, self._settings.allow_private)
                status_code = await self._post(target, claimed)
        except TimeoutError:
            error = f"no answer within {self._settings.timeout_s:g} s"
        except (httpx.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        except SecretUnreadable as exc:  # retried: the operator may mend MANTIS_SECRET_KEYS meanwhile
            error = f"the tenant's webhook secret: {exc}"
        delivered = status_code is not None and 200 <= status_code < 300
        delay = None if delivered else retry_delay(number, self._settings.backoff)
        next_at = now() + timedelta(seconds=delay) if delay is not None else None
        return Attempt(number, status_code, error, next_at)

    async def _post(self, target: Target, claimed: Claimed) -> int:
        """POSTs to the checked address, naming the URL's host in the Host header and TLS SNI."""
        url = target.url
        body = claimed.body.encode()
        headers = {
            "Content-Type": "application/json",
            "Host": url.netloc.decode("ascii"),
            "User-Agent": USER_AGENT,
            "X-Mantis-Event-Id": claimed.id,
            "X-Mantis-Signature": sign(self._services.secrets.open(claimed.secret), body),
        }
        extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
        async with self._client.stream(
            "POST", url.copy_with(host=target.address), content=body, headers=headers, extensions=extensions
        ) as response:
            return response.status_code

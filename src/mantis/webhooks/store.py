"""The webhook outbox in the database: enqueue, claim what is due, record each attempt.

Each attempt is recorded in the same transaction as its line in the run's event log, so the log
and the delivery row never disagree.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mantis.store.db import session_factory
from mantis.store.models import Run, RunEvent, Tenant
from mantis.store.runs import FINAL
from mantis.store.views import aware, iso, status_view
from mantis.webhooks.models import WebhookDelivery


def now() -> datetime:
    return datetime.now(UTC)


def loggable_url(raw_url: str) -> str:
    """The callback URL without credentials or query string, which may carry a receiver's token."""
    try:
        url = httpx.URL(raw_url)
    except httpx.InvalidURL:
        return "(invalid URL)"
    return str(url.copy_with(username=None, password=None, query=None, fragment=None))


def event_body(run: Run) -> str:
    """The JSON body for an ended run, in the field order API.md gives."""
    view = status_view(run)
    body = {
        "event": f"run.{run.status}",
        "run_id": run.id,
        "status": run.status,
        "summary": view["summary"],
        "viable": run.viable,
        "finished_at": view["finished_at"],
    }
    return json.dumps(body, separators=(",", ":"))


@dataclass(frozen=True)
class Claimed:
    """A due delivery taken by one dispatcher, with what it needs to sign the request (the tenant's
    secret as stored: sealed, opened only to sign)."""

    id: str
    run_id: str
    url: str
    body: str
    attempts: int
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Attempt:
    """One attempt's outcome; `next_attempt_at` is set only for a failure with retries left."""

    number: int
    status_code: int | None
    error: str | None
    next_attempt_at: datetime | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @classmethod
    def for_engine(cls, engine: Engine) -> WebhookStore:
        return cls(session_factory(engine))

    def enqueue(self, run_id: str) -> bool:
        """Queues the webhook of an ended run that has a callback URL; False if none is due or one exists."""
        stamp = now()
        try:
            with self._sessions.begin() as session:
                run = session.get(Run, run_id)
                if run is None or run.status not in FINAL:
                    return False
                if session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.run_id == run_id)):
                    return False
                tenant = session.get(Tenant, run.tenant_id)
                url = run.payload.get("callback_url") or (tenant.callback_url if tenant else None)
                if not url:
                    return False
                session.add(
                    WebhookDelivery(
                        id="evt_" + secrets.token_hex(12),
                        run_id=run.id,
                        tenant_id=run.tenant_id,
                        url=str(url),
                        event=f"run.{run.status}",
                        body=event_body(run),
                        status="pending",
                        attempts=0,
                        next_attempt_at=stamp,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
        except IntegrityError:  # another process queued it first
            return False
        return True

    def claim_due(self, limit: int, lease_s: float) -> list[Claimed]:
        """Takes up to `limit` due deliveries, pushing their due time past the lease so no one else does."""
        stamp = now()
        claimed: list[Claimed] = []
        with self._sessions.begin() as session:
            rows = session.execute(
                select(WebhookDelivery, Tenant.webhook_secret)
                .join(Tenant, Tenant.id == WebhookDelivery.tenant_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= stamp)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
            ).all()
            for delivery, secret in rows:
                taken = session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == delivery.id,
                        WebhookDelivery.next_attempt_at == delivery.next_attempt_at,
                    )
                    .values(next_attempt_at=stamp + timedelta(seconds=lease_s))
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(
                        Claimed(
                            delivery.id,
                            delivery.run_id,
                            delivery.url,
                            delivery.body,
                            delivery.attempts,
                            secret,
                        )
                    )
        return claimed

    def release(self, delivery_ids: list[str]) -> None:
        """Makes deliveries whose attempt was interrupted (server stopping) due again at once."""
        with self._sessions.begin() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.status == "pending")
                .values(next_attempt_at=now())
            )

    def next_due(self) -> datetime | None:
        with self._sessions() as session:
            due = session.scalar(
                select(func.min(WebhookDelivery.next_attempt_at)).where(WebhookDelivery.status == "pending")
            )
        return aware(due) if due is not None else None

    def get(self, delivery_id: str) -> WebhookDelivery | None:
        with self._sessions() as session:
            return session.get(WebhookDelivery, delivery_id)

    def record_attempt(self, claimed: Claimed, attempt: Attempt) -> str:
        """Stores one attempt and logs it on the run; returns the delivery's status after it."""
        if attempt.ok:
            status, closing = "delivered", f"webhook delivered on attempt {attempt.number}"
        elif attempt.next_attempt_at is None:
            status, closing = "failed", f"webhook failed after {attempt.number} attempts"
        else:
            status, closing = "pending", ""
        outcome = f"HTTP {attempt.status_code}" if attempt.status_code is not None else attempt.error
        retry = f"; next attempt at {iso(attempt.next_attempt_at)}" if attempt.next_attempt_at else ""
        data = {
            "event_id": claimed.id,
            "attempt": attempt.number,
            "url": loggable_url(claimed.url),
            "status_code": attempt.status_code,
            "error": attempt.error,
            "next_attempt_at": iso(attempt.next_attempt_at),
        }
        level = "info" if attempt.ok else "warning"
        events = [
            self._event(
                claimed, level, "webhook.attempt", f"webhook attempt {attempt.number}: {outcome}{retry}", data
            )
        ]
        if closing:
            events.append(
                self._event(claimed, "info" if attempt.ok else "error", f"webhook.{status}", closing, data)
            )
        self._update(
            claimed,
            events,
            status=status,
            attempts=attempt.number,
            next_attempt_at=attempt.next_attempt_at,
            last_status_code=attempt.status_code,
            last_error=attempt.error,
        )
        return status

    def refuse(self, claimed: Claimed, reason: str) -> None:
        """Ends a delivery whose URL may not be called (scheme, or a non-public address)."""
        data = {"event_id": claimed.id, "url": loggable_url(claimed.url), "error": reason}
        event = self._event(claimed, "error", "webhook.refused", f"webhook refused: {reason}", data)
        self._update(claimed, [event], status="refused", next_attempt_at=None, last_error=reason)

    def _update(self, claimed: Claimed, events: list[RunEvent], **values: Any) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == claimed.id)
                .values(updated_at=now(), **values)
            )
            session.add_all(events)

    @staticmethod
    def _event(claimed: Claimed, level: str, kind: str, message: str, data: dict[str, Any]) -> RunEvent:
        return RunEvent(
            run_id=claimed.run_id,
            ts=now(),
            level=level,
            type=kind,
            step_index=None,
            message=message,
            data=data,
        )

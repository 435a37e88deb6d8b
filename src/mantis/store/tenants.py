"""Tenants and their tokens. Tokens are stored only as hashes and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from mantis.secretbox import SecretBox
from mantis.store.models import Run, Tenant, Token

ALL_SCOPES = ("runs:submit", "runs:read", "runs:cancel")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "mt_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TenantCaps:
    max_cost_per_run: float | None = None
    max_time_minutes_per_run: float | None = None
    max_concurrent_runs: int | None = None


class TenantStore:
    def __init__(self, sessions: sessionmaker[Session], box: SecretBox) -> None:
        self._sessions = sessions
        self._secrets = box

    def create(
        self,
        name: str,
        *,
        scopes: list[str] | None = None,
        allowed_domains: list[str] | None = None,
        caps: TenantCaps | None = None,
        callback_url: str | None = None,
        replay: str = "auto",
    ) -> tuple[Tenant, str]:
        """Creates a tenant and returns it with its first token, the only time the token is seen."""
        caps = caps or TenantCaps()
        token = new_token()
        now = datetime.now(UTC)
        tenant = Tenant(
            id="t_" + secrets.token_hex(8),
            name=name,
            scopes=list(scopes or ALL_SCOPES),
            allowed_domains=list(allowed_domains or []),
            max_cost_per_run=caps.max_cost_per_run,
            max_time_minutes_per_run=caps.max_time_minutes_per_run,
            max_concurrent_runs=caps.max_concurrent_runs,
            callback_url=callback_url,
            replay=replay,
            webhook_secret=self._secrets.seal("whsec_" + secrets.token_urlsafe(24)),
            created_at=now,
            revoked_at=None,
        )
        with self._sessions.begin() as session:
            session.add(tenant)
            session.flush()
            session.add(
                Token(tenant_id=tenant.id, token_hash=hash_token(token), created_at=now, revoked_at=None)
            )
        return tenant, token

    def webhook_secret(self, tenant: Tenant) -> str:
        """The tenant's webhook secret in plain text, for the operator who shows it to the tenant."""
        return self._secrets.open(tenant.webhook_secret)

    def reseal_webhook_secrets(self) -> int:
        """Seals every tenant's webhook secret again under the newest key; returns how many."""
        with self._sessions.begin() as session:
            tenants = list(session.scalars(select(Tenant)))
            for tenant in tenants:
                tenant.webhook_secret = self._secrets.reseal(tenant.webhook_secret)
            return len(tenants)

    def by_name(self, name: str) -> Tenant | None:
        with self._sessions() as session:
            return session.scalar(select(Tenant).where(Tenant.name == name))

    def all(self) -> list[Tenant]:
        with self._sessions() as session:
            return list(session.scalars(select(Tenant).order_by(Tenant.created_at)))

    def authenticate(self, token: str) -> Tenant | None:
        """The tenant a live token belongs to, or None; the hash is compared in constant time."""
        with self._sessions() as session:
            return _live(session, token, "")[0]

    def authenticate_run(self, token: str, run_id: str) -> tuple[Tenant | None, Run | None]:
        """`authenticate`, and the tenant's run `run_id` (None when there is none of that tenant's), in
        one query: a session of its own, or a query of its own, cost the status call as much CPU as the
        rest of it (bench/README.md, "status_load")."""
        with self._sessions() as session:
            return _live(session, token, run_id)

    def update(self, tenant_id: str, **changes: Any) -> Tenant:
        with self._sessions.begin() as session:
            tenant = session.get(Tenant, tenant_id)
            if tenant is None:
                raise KeyError(tenant_id)
            for key, value in changes.items():
                setattr(tenant, key, value)
            return tenant

    def rotate_token(self, tenant_id: str, keep_old: bool = False) -> str:
        """Issues a new token; the old ones stop working unless `keep_old` (for a staged switch)."""
        if not keep_old:
            self.revoke_tokens(tenant_id)
        token = new_token()
        with self._sessions.begin() as session:
            session.add(
                Token(
                    tenant_id=tenant_id,
                    token_hash=hash_token(token),
                    created_at=datetime.now(UTC),
                    revoked_at=None,
                )
            )
        return token

    def revoke_tokens(self, tenant_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Token)
                .where(Token.tenant_id == tenant_id, Token.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )

    def add_token_hash(self, tenant_id: str, token_hash: str) -> None:
        """Accepts a token known only by its SHA-256 (from the tenants file); a known hash is left alone."""
        with self._sessions.begin() as session:
            if session.scalar(select(Token).where(Token.token_hash == token_hash)) is None:
                session.add(
                    Token(
                        tenant_id=tenant_id,
                        token_hash=token_hash,
                        created_at=datetime.now(UTC),
                        revoked_at=None,
                    )
                )

    def revoke(self, tenant_id: str) -> None:
        self.update(tenant_id, revoked_at=datetime.now(UTC))


# Built once: building the statement on every request cost about as much CPU as running it (a third of
# a status call's lookup in cProfile, mostly SQLAlchemy's operator coercion; bench/README.md). The run is
# outer-joined: a request that names none asks for id "", which no run has.
_LIVE = (
    select(Token.token_hash, Token.revoked_at, Tenant, Run)
    .join(Tenant, Tenant.id == Token.tenant_id)
    .outerjoin(Run, and_(Run.id == bindparam("run_id"), Run.tenant_id == Tenant.id))
    .where(Token.token_hash == bindparam("digest"))
)


def _live(session: Session, token: str, run_id: str) -> tuple[Tenant | None, Run | None]:
    """The live token's tenant and that tenant's run `run_id`: one query, on every request."""
    digest = hash_token(token)
    found = session.execute(_LIVE, {"digest": digest, "run_id": run_id}).first()
    if found is None:
        return None, None
    stored, revoked_at, tenant, run = found
    if revoked_at is not None or tenant.revoked_at is not None:
        return None, None
    if not hmac.compare_digest(stored, digest):
        return None, None
    return tenant, run

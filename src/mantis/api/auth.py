"""Who is calling: the platform key (when the operator sets one), the tenant's token and scopes, and
whether the tenant is within its request rate. Failed attempts are counted per client address: past
the budget the address is refused (429) before any token it sends is looked at."""

from __future__ import annotations

import hmac

from fastapi import Request

from mantis.api.errors import ApiError
from mantis.api.ratelimit import RateLimiter
from mantis.services import Services
from mantis.store.db import off_loop
from mantis.store.models import Tenant


async def authenticate(request: Request) -> Tenant:
    return await look_up(request, await admit(request))


async def admit(request: Request) -> str:
    """What is checked before the token is looked up: the address's failure budget and the platform
    key. Returns the token given ("" for none), to look up with `look_up`, or in a store call that
    fetches a run beside it and hands the tenant to `accept`. (A coroutine: FastAPI would run a plain
    function dependency on a worker thread, one more hand-over per request.)"""
    services: Services = request.app.state.services
    failures: RateLimiter = request.app.state.auth_failures
    address = _address(request)
    if wait_s := failures.blocked_s(address):
        message = "too many failed authentications from this address; wait before trying again"
        raise ApiError(429, "rate_limited", message, retry_after=wait_s)
    platform_key = services.settings.platform_api_key
    if platform_key:
        given = request.headers.get("authorization", "")
        scheme, _, key = given.partition(" ")
        if scheme.lower() != "api-key" or not hmac.compare_digest(
            key.strip().encode(), platform_key.encode()
        ):
            failures.wait_s(address)
            raise ApiError(401, "platform_key_required", "this server needs `Authorization: Api-Key <key>`")
    return request.headers.get("x-mantis-token", "").strip()


async def look_up(request: Request, token: str) -> Tenant:
    services: Services = request.app.state.services
    return accept(request, await off_loop(services.tenants.authenticate, token) if token else None)


def accept(request: Request, tenant: Tenant | None) -> Tenant:
    """The tenant the token named (None: unknown or revoked, a counted failure), within its rate."""
    if tenant is None:
        failures: RateLimiter = request.app.state.auth_failures
        failures.wait_s(_address(request))
        raise ApiError(401, "unauthorized", "missing or unknown X-Mantis-Token")
    limiter: RateLimiter = request.app.state.limiter
    if wait_s := limiter.wait_s(tenant.id):
        raise ApiError(429, "rate_limited", "too many requests; slow down", retry_after=wait_s)
    return tenant


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def require_scope(tenant: Tenant, scope: str) -> None:
    if scope not in tenant.scopes:
        raise ApiError(403, "forbidden_scope", f"this token lacks the {scope} scope")

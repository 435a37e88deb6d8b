"""`mantis tenants ...`: the operator's tenant management."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from mantis.config import Settings
from mantis.replay.policy import TENANT_MODES
from mantis.revocation import revoke_tenant
from mantis.services import Services
from mantis.store.tenants import ALL_SCOPES, TenantCaps

SCOPE_HELP = f"Scopes ({', '.join(ALL_SCOPES)}); default all."
REPLAY_HELP = "auto: runs act from what earlier runs learned (docs/client/replay.md); off: never."

app = typer.Typer(no_args_is_help=True, help="Create and manage tenants.")


@contextmanager
def services_from_env() -> Iterator[Services]:
    """The store and keys as the environment names them, for one command."""
    services = Services(Settings.from_env())
    try:
        yield services
    finally:
        services.engine.dispose()


@app.command()
def create(
    name: str,
    allowed_domain: list[str] = typer.Option(
        [], "--allowed-domain", help="Allowed host or *.wildcard; repeatable."
    ),
    max_cost: float | None = typer.Option(None, "--max-cost", help="Cost cap per run, USD."),
    max_minutes: float | None = typer.Option(None, "--max-minutes", help="Time cap per run, minutes."),
    max_concurrent: int | None = typer.Option(None, "--max-concurrent", help="Runs at once for this tenant."),
    callback_url: str | None = typer.Option(None, "--callback-url", help="Default webhook for ended runs."),
    scope: list[str] = typer.Option([], "--scope", help=SCOPE_HELP),
    replay: str = typer.Option("auto", "--replay", help=REPLAY_HELP),
) -> None:
    """Create a tenant; prints its webhook secret, then its token alone on the last line."""
    _check_scopes(scope)
    _check_replay(replay)
    with services_from_env() as services:
        if services.tenants.by_name(name) is not None:
            typer.echo(f"a tenant named {name!r} exists already", err=True)
            raise typer.Exit(1)
        tenant, token = services.tenants.create(
            name,
            scopes=scope or None,
            allowed_domains=allowed_domain,
            caps=TenantCaps(max_cost, max_minutes, max_concurrent),
            callback_url=callback_url,
            replay=replay,
        )
        webhook_secret = services.tenants.webhook_secret(tenant)
    typer.echo(f"tenant_id: {tenant.id}")
    typer.echo(f"webhook_secret: {webhook_secret}")
    typer.echo(token)


@app.command("list")
def list_tenants() -> None:
    """List tenants with their caps and allowlists (never their tokens)."""
    table = Table(
        "tenant_id",
        "name",
        "scopes",
        "allowed_domains",
        "max_cost",
        "max_minutes",
        "max_concurrent",
        "replay",
    )
    with services_from_env() as services:
        for t in services.tenants.all():
            table.add_row(
                t.id,
                t.name,
                ",".join(t.scopes),
                ",".join(t.allowed_domains) or "(any)",
                _opt(t.max_cost_per_run),
                _opt(t.max_time_minutes_per_run),
                _opt(t.max_concurrent_runs),
                t.replay,
            )
    Console().print(table)


def _check_scopes(scopes: list[str]) -> None:
    if unknown := sorted(set(scopes) - set(ALL_SCOPES)):
        raise typer.BadParameter(f"unknown scopes: {', '.join(unknown)}", param_hint="--scope")


def _check_replay(mode: str) -> None:
    if mode not in TENANT_MODES:
        raise typer.BadParameter(f"{mode!r} is not one of {', '.join(TENANT_MODES)}", param_hint="--replay")


def _opt(value: object) -> str:
    return "-" if value is None else str(value)


def tenant_id_of(services: Services, name: str) -> str:
    tenant = services.tenants.by_name(name)
    if tenant is None:
        typer.echo(f"no tenant named {name!r}", err=True)
        raise typer.Exit(1)
    return tenant.id


@app.command("rotate-token")
def rotate_token(
    name: str,
    keep_old: bool = typer.Option(False, "--keep-old", help="Keep the old tokens working (a staged switch)."),
) -> None:
    """Issue a new token (printed alone on the last line); old tokens stop working unless --keep-old."""
    with services_from_env() as services:
        token = services.tenants.rotate_token(tenant_id_of(services, name), keep_old=keep_old)
    typer.echo(token)


@app.command()
def revoke(name: str) -> None:
    """Revoke a tenant: every token stops working, its queued runs are cancelled and its running runs
    stopped (by the servers running them, within seconds); what they stored is kept."""
    with services_from_env() as services:
        revoked = asyncio.run(revoke_tenant(services, tenant_id_of(services, name)))
    typer.echo(
        f"revoked {name}: {revoked.cancelled} queued runs cancelled, {revoked.stopping} running runs stopping"
    )


@app.command("set")
def set_caps(
    name: str,
    allowed_domain: list[str] = typer.Option(
        [], "--allowed-domain", help="Replace the allowlist; repeatable."
    ),
    any_domain: bool = typer.Option(False, "--any-domain", help="Clear the allowlist (any host)."),
    max_cost: float | None = typer.Option(None, "--max-cost"),
    max_minutes: float | None = typer.Option(None, "--max-minutes"),
    max_concurrent: int | None = typer.Option(None, "--max-concurrent"),
    callback_url: str | None = typer.Option(None, "--callback-url"),
    scope: list[str] = typer.Option([], "--scope", help="Replace the scopes; repeatable."),
    replay: str | None = typer.Option(None, "--replay", help=REPLAY_HELP),
) -> None:
    """Change a tenant's caps, allowlist, callback or scopes; what is not given stays."""
    changes: dict[str, object] = {}
    if allowed_domain or any_domain:
        changes["allowed_domains"] = [] if any_domain else allowed_domain
    for key, value in (
        ("max_cost_per_run", max_cost),
        ("max_time_minutes_per_run", max_minutes),
        ("max_concurrent_runs", max_concurrent),
        ("callback_url", callback_url),
    ):
        if value is not None:
            changes[key] = value
    if scope:
        _check_scopes(scope)
        changes["scopes"] = scope
    if replay is not None:
        _check_replay(replay)
        changes["replay"] = replay
    with services_from_env() as services:
        services.tenants.update(tenant_id_of(services, name), **changes)
    typer.echo(f"updated {name}: {', '.join(sorted(changes)) or 'nothing'}")

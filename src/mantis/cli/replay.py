"""`mantis replay ...`: the operator's view of what tenants' runs learned (docs/client/replay.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mantis.cli.tenants import services_from_env, tenant_id_of
from mantis.replay.store import LIST_LIMIT, ReplayStore
from mantis.runner.checkpoint import plan_fingerprint
from mantis.services import Services
from mantis.store.views import iso

app = typer.Typer(no_args_is_help=True, help="List and clear tenants' replay records.")

TENANT = typer.Argument(help="The tenant's name.")
RUN = typer.Option(None, "--run", help="Only the records of this run's plan.")
PLAN = typer.Option(
    None, "--plan", help="Only the records of the plan with this fingerprint (as `list` shows it)."
)


@app.command("list")
def list_records(
    tenant: str = TENANT,
    run_id: str | None = RUN,
    plan: str | None = PLAN,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=LIST_LIMIT, help="How many records, the newest.")
    ] = 100,
) -> None:
    """The tenant's records, newest first: the plan, the step, what kind, how often healed, by which run."""
    with _narrowed(tenant, run_id, plan) as (store, tenant_id, fingerprint):
        found = store.list(tenant_id, fingerprint, limit)
        total = store.count(tenant_id, fingerprint) if len(found) == limit else len(found)
    table = Table("plan", "step", "kind", "heals", "run_id", "updated")
    for record in found:
        table.add_row(
            record.fingerprint[:12],
            record.step,
            record.kind,
            str(record.heals),
            record.run_id or "-",
            iso(record.updated_at) or "-",
        )
    console = Console()
    console.print(table)
    if total > len(found):
        console.print(f"the newest {len(found)} of {total} records; --limit shows more")


@app.command()
def clear(
    tenant: str = TENANT,
    run_id: str | None = RUN,
    plan: str | None = PLAN,
) -> None:
    """Deletes the tenant's records (all of them, or one plan's): its next runs ask the models again."""
    with _narrowed(tenant, run_id, plan) as (store, tenant_id, fingerprint):
        cleared = store.clear(tenant_id, fingerprint)
    typer.echo(f"cleared {cleared} replay records of {tenant}")


@contextmanager
def _narrowed(
    tenant: str, run_id: str | None, plan: str | None
) -> Iterator[tuple[ReplayStore, str, str | None]]:
    """The store, the tenant's id and the plan a command is narrowed to (none: all the tenant's)."""
    with services_from_env() as services:
        tenant_id = tenant_id_of(services, tenant)
        yield services.replay, tenant_id, _fingerprint(services, tenant_id, run_id, plan)


def _fingerprint(services: Services, tenant_id: str, run_id: str | None, plan: str | None) -> str | None:
    """The plan a command is narrowed to; a short fingerprint (as `list` shows it) names the one plan
    of the tenant's records that starts with it."""
    if run_id is not None and plan is not None:
        raise typer.BadParameter("give --run or --plan, not both", param_hint="--plan")
    if run_id is not None:
        run = services.runs.get(run_id)
        if run is None or run.tenant_id != tenant_id:
            typer.echo(f"no run {run_id!r} of this tenant", err=True)
            raise typer.Exit(1)
        return plan_fingerprint(run.plan)
    if plan is None:
        return None
    named = services.replay.fingerprints(tenant_id, plan.lower())
    if len(named) != 1:
        typer.echo(f"{len(named)} plans of this tenant have records starting {plan!r}", err=True)
        raise typer.Exit(1)
    return named[0]

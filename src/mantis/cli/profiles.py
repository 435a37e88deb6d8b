"""`mantis profiles ...`: the operator's view of a tenant's browser profiles, on this server's disk."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from mantis.cli.tenants import services_from_env, tenant_id_of

app = typer.Typer(no_args_is_help=True, help="List and delete tenants' browser profiles.")


@app.command("list")
def list_profiles(tenant: str = typer.Argument(help="The tenant's name.")) -> None:
    """The tenant's profiles: their planes, size and last use."""
    with services_from_env() as services:
        found = services.profiles.list(tenant_id_of(services, tenant))
    table = Table("profile_id", "planes", "MB", "last used")
    for profile in found:
        view = profile.view()
        size = f"{view['bytes'] / 2**20:.1f}"
        table.add_row(profile.profile_id, ", ".join(view["planes"]), size, view["last_used_at"])
    Console().print(table)


@app.command()
def delete(
    tenant: str = typer.Argument(help="The tenant's name."),
    profile_id: str = typer.Argument(help="The profile to delete, on every plane."),
) -> None:
    """Deletes a profile; refused while a run of it is queued or running."""
    with services_from_env() as services:
        tenant_id = tenant_id_of(services, tenant)
        if services.runs.profile_in_use(tenant_id, profile_id):
            typer.echo(f"a run with profile {profile_id!r} is queued or running", err=True)
            raise typer.Exit(1)
        if not services.profiles.delete(tenant_id, profile_id):
            typer.echo(f"no profile {profile_id!r} for {tenant}", err=True)
            raise typer.Exit(1)
    typer.echo(f"deleted profile {profile_id!r} of {tenant}")

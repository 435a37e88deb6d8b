"""`mantis secrets ...`: the server key that seals webhook secrets (docs/operator/secrets.md)."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet

from mantis.cli.tenants import services_from_env

app = typer.Typer(no_args_is_help=True, help="Manage the key that seals webhook secrets.")


@app.command("new-key")
def new_key() -> None:
    """Print a new key for MANTIS_SECRET_KEYS (put it first; keep the old ones after it until rotated)."""
    typer.echo(Fernet.generate_key().decode())


@app.command()
def rotate() -> None:
    """Seal every stored webhook secret again under the newest key of MANTIS_SECRET_KEYS."""
    with services_from_env() as services:
        count = services.tenants.reseal_webhook_secrets()
    typer.echo(f"resealed {count} webhook secrets under the newest key")

"""`mantis serve`: the embedded server, one process, no outside service."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

from mantis.config import Settings
from mantis.services import Services
from mantis.store import tenants_file
from mantis.workers.factory import EXECUTORS

LOCAL_TENANT = "local"


def local_token_file(settings: Settings) -> Path:
    return settings.home / "local-token"


def prepare_tenants(settings: Settings) -> None:
    """Loads the tenants file; on a first start with no tenant, creates `local` and prints its token once
    (also kept, 0600, in MANTIS_HOME for the local demo)."""
    services = Services(settings)
    try:
        if settings.tenants_file is not None:
            names = tenants_file.load(settings.tenants_file, services.tenants)
            typer.echo(f"loaded {len(names)} tenants from {settings.tenants_file}")
        if services.tenants.all():
            return
        _tenant, token = services.tenants.create(LOCAL_TENANT)
    finally:
        services.engine.dispose()
    path = local_token_file(settings)
    path.touch(mode=0o600)
    path.write_text(token + "\n")
    typer.echo(f"created tenant {LOCAL_TENANT!r}; its token (also in {path}):")
    typer.echo(token)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it would log webhook URLs with their queries


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    prefix: str = typer.Option("", help="Serve every route under this path prefix, e.g. /production/sync."),
    workers: int = typer.Option(0, help="Runs executed at once (default: MANTIS_WORKERS or 2)."),
) -> None:
    """Start the HTTP API; its runs go to the executor MANTIS_EXECUTOR names (in-process by default)."""
    if workers:
        os.environ["MANTIS_WORKERS"] = str(workers)
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    settings = Settings.from_env(public_url=f"http://{url_host}:{port}{prefix.rstrip('/')}")
    if settings.executor not in EXECUTORS:
        typer.echo(f"MANTIS_EXECUTOR={settings.executor!r}: use one of {', '.join(EXECUTORS)}", err=True)
        raise typer.Exit(2)
    setup_logging()
    prepare_tenants(settings)
    from mantis.api.app import create_app
    from mantis.api.serving import serve as serve_app

    serve_app(create_app(settings, prefix), host, port)

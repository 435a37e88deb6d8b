"""`mantis runs prune --older-than 7d`: the operator's retention, on this server's own store and
workspace (as `mantis tenants` is), not through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from mantis.config import Settings
from mantis.services import Services
from mantis.store.db import session_factory
from mantis.store.retention import Retention, parse_age
from mantis.store.views import iso


def prune(
    older_than: str = typer.Option(..., "--older-than", help="Age such as 7d, 12h, 30m or 2w."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would go."),
) -> None:
    """Delete ended runs older than an age (their store rows and artifacts together) and the replay
    records no run learned since."""
    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--older-than") from None
    settings = Settings.from_env()
    services = Services(settings)
    try:
        before = datetime.now(UTC) - age
        pruned = Retention(session_factory(services.engine), settings.runs_dir).prune(before, dry_run)
    finally:
        services.engine.dispose()
    verb = "would prune" if dry_run else "pruned"
    typer.echo(
        f"{verb} {pruned.runs} runs ({pruned.bytes / 1e6:.1f} MB) that ended before {iso(before)}"
        f" and {pruned.replays} replay records last learned before it"
    )

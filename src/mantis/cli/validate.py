"""`mantis validate PLAN`: a plan, suite or task file checked on this machine without running it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mantis.config import Settings
from mantis.fence.policy import FencePolicy
from mantis.plans.check import Bounds, check_document
from mantis.plans.models import ComputeBackend

LOCAL_SERVER = "http://127.0.0.1:8000"  # `mantis serve`'s default: root-relative URLs are this server's


def validate(
    plan: Annotated[Path, typer.Argument(help="A plan, suite or task file (JSON).", show_default=False)],
    backend: Annotated[
        ComputeBackend | None,
        typer.Option("--backend", help="The plane the run would use when the plan does not say."),
    ] = None,
    allow_domain: Annotated[
        list[str] | None,
        typer.Option("--allow-domain", help="A host the tenant's allowlist has (repeatable); none: any."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Prints every problem with its path (exit 1), or that the plan is valid; warnings either way. The
    caps are this machine's MANTIS_* settings; a server's `validate` action uses the tenant's own."""
    settings = Settings.from_env(public_url=LOCAL_SERVER)
    try:
        document = json.loads(plan.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        typer.echo(f"error: {plan}: {exc}", err=True)
        raise typer.Exit(1) from None
    bounds = Bounds(
        settings.caps.max_steps_per_plan,
        settings.caps.max_loop_iterations,
        FencePolicy(tuple(allow_domain or ()), settings.allow_private_browsing, settings.public_url),
        backend or settings.default_compute_backend,
    )
    report = check_document(document, bounds)
    if as_json:
        typer.echo(json.dumps(report.view(), indent=2))
    elif report.valid:
        typer.echo(f"{plan}: valid ({report.kind}, {report.steps} steps, on {report.compute_backend})")
    else:
        typer.echo(f"{plan}: {len(report.problems)} problem(s)", err=True)
        for problem in report.problems:
            typer.echo(f"  {problem['path'] or '(plan)'}: {problem['message']} [{problem['code']}]", err=True)
    for warning in [] if as_json else report.warnings:
        typer.echo(f"  warning: {warning}", err=True)
    if not report.valid:
        raise typer.Exit(1)

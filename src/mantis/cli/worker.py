"""`mantis worker`: a browser worker for a Temporal cluster (`MANTIS_EXECUTOR=temporal` on the API)."""

from __future__ import annotations

import asyncio
import os

import typer

from mantis.cli.serve import setup_logging
from mantis.config import Settings


def worker(
    workers: int = typer.Option(0, help="Runs executed at once here (default: MANTIS_WORKERS or 2)."),
) -> None:
    """Run runs of a Temporal task queue (see docs/operator/deployment.md)."""
    if workers:
        os.environ["MANTIS_WORKERS"] = str(workers)
    settings = Settings.from_env()
    setup_logging()
    from mantis.workers.temporal.worker import run_worker

    asyncio.run(run_worker(settings))

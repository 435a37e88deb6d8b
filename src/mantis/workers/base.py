"""The executor interface: the API and the CLI hand runs to it and never know where they execute.

Whatever the executor, a run's progress and end reach the API through the run store, and its files
through the artifact store (`Services.artifacts`); nothing is read from the disk of the process that ran
the run. `MANTIS_EXECUTOR` picks the executor (`workers.factory`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mantis.services import Services


class Executor(Protocol):
    serves_live_viewer: bool  # whether a run's live viewer can be served by this API process

    async def start(self, services: Services) -> None:
        """Begins taking queued runs, after settling runs a dead worker left behind."""
        ...

    async def submit(self, run_id: str) -> None:
        """Tells the executor a run was queued; the run store already holds it."""
        ...

    async def cancel(self, run_id: str) -> None:
        """Ends a queued run at once; asks a running one to stop soon, keeping its rows, as `cancelled`."""
        ...

    def stop_claiming(self) -> None:
        """Takes no new run from now on; thread- and signal-safe."""
        ...

    async def stop(self, grace_s: float) -> None:
        """Stops taking work, lets running runs finish for `grace_s`, and re-queues the rest."""
        ...

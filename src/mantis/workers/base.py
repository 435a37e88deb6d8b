"""The executor interface: the API hands runs to it and never knows where they execute."""

from __future__ import annotations

from typing import Protocol


class Executor(Protocol):
    async def start(self) -> None:
        """Begins taking queued runs, after settling runs a dead worker left behind."""
        ...

    async def submit(self, run_id: str) -> None:
        """Tells the executor a run was queued; the run store already holds it."""
        ...

    async def cancel(self, run_id: str) -> None:
        """Stops a running run soon; it keeps its rows and ends `cancelled`."""
        ...

    async def stop(self, grace_s: float) -> None:
        """Stops taking work, lets running runs finish for `grace_s`, and re-queues the rest."""
        ...

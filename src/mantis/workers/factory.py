"""The executor `MANTIS_EXECUTOR` names: `inprocess` (the embedded default) or `temporal`."""

from __future__ import annotations

from mantis.config import Settings
from mantis.workers.base import Executor

EXECUTORS = ("inprocess", "temporal")


def make_executor(settings: Settings) -> Executor:
    if settings.executor == "inprocess":
        from mantis.workers.inprocess import InProcessExecutor

        return InProcessExecutor(settings.workers)
    if settings.executor == "temporal":
        from mantis.workers.temporal.executor import TemporalExecutor

        return TemporalExecutor(settings.temporal)
    raise ValueError(f"MANTIS_EXECUTOR={settings.executor!r}: use one of {', '.join(EXECUTORS)}")

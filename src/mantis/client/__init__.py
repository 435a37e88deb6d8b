"""The Python client of the Mantis HTTP API, blocking (`MantisClient`) and asyncio (`AsyncMantisClient`).

from mantis.client import MantisClient

with MantisClient() as mantis:          # MANTIS_ENDPOINT, MANTIS_API_TOKEN from the environment
    result = mantis.run(micro="plans/example/hn_top5.json")
    print(result.summary, result.leads)
"""

from mantis.client.aio import AsyncMantisClient
from mantis.client.errors import MantisError
from mantis.client.models import (
    LogEvent,
    LogPage,
    Progress,
    QueuedRun,
    Recording,
    Recordings,
    RunFailure,
    RunPage,
    RunResult,
    RunStatus,
    RunSummary,
    Usage,
)
from mantis.client.options import RunOptions
from mantis.client.retry import RetryPolicy
from mantis.client.sync import MantisClient

__all__ = [
    "AsyncMantisClient",
    "LogEvent",
    "LogPage",
    "MantisClient",
    "MantisError",
    "Progress",
    "QueuedRun",
    "Recording",
    "Recordings",
    "RetryPolicy",
    "RunFailure",
    "RunOptions",
    "RunPage",
    "RunResult",
    "RunStatus",
    "RunSummary",
    "Usage",
]

"""What the API, the workflow and the workers agree on: names, ids, timeouts and the workflow's input.

Imported by the workflow, so it holds nothing that is not deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

WORKFLOW = "mantis-run"
RUN_ACTIVITY = "mantis-run-job"
SETTLE_ACTIVITY = "mantis-settle-run"

# The run activity's answers.
WAITING = "waiting"  # the run may not start yet (tenant at its limit, profile in use): ask again soon
ENDED = "ended"

# A worker that stops heartbeating for this long is taken for dead and its run retried elsewhere; heartbeats
# go every HEARTBEAT_S (workers.inprocess's beat), so this rides out a loaded machine's stalls.
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# Between two looks at a waiting run; the in-process workers look as often (workers.inprocess.IDLE_POLL_S).
CLAIM_POLL = timedelta(seconds=1)
# Looks before the workflow starts afresh (continue-as-new), keeping its history far below Temporal's limits.
POLLS_PER_HISTORY = 500
# Past the run's own time cap: the browser's start, the recording's encoding and the upload of artifacts.
END_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class RunInput:
    run_id: str
    max_seconds: float  # the run's time cap
    attempts: int  # workers that may take the run: the first, and MANTIS_AUTO_RESUME more if each is lost


def workflow_id(run_id: str) -> str:
    return f"mantis-run-{run_id}"


def holder_prefix(run_id: str) -> str:
    """Every worker id that holds this run under Temporal begins so; the next attempt takes it over."""
    return f"temporal:{run_id}:"

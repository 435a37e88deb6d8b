"""Which brain answers a run: the model it asks for, if configured, else the offline brain."""

from __future__ import annotations

from mantis.brains.base import Brain, PlanningError
from mantis.brains.cost import Meter
from mantis.brains.offline.brain import OfflineBrain

OFFLINE_NAMES = frozenset({None, "", "offline"})


def brain_for(cua_model: str | None, meter: Meter) -> Brain:
    """A brain for one run; model-backed brains charge `meter` for every call."""
    if cua_model in OFFLINE_NAMES:
        return OfflineBrain()
    raise PlanningError(
        f"cua_model {cua_model!r} is not configured on this server; set its endpoint and key "
        "(see docs/operator/models.md) or omit cua_model to run with the offline brain",
        code="model_unavailable",
    )

"""What a run asks of a model, whichever model (or none) answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mantis.planes.base import ActionKind, Element, Observation
from mantis.plans.models import ExtractSpec, Step


class GroundingError(Exception):
    """Nothing on the page matches the step's target; the message says what was looked for."""


@dataclass(frozen=True)
class Grounding:
    """Where a step's target is: an element on DOM-aware planes, a point on the computer plane."""

    element: Element | None = None
    point: tuple[int, int] | None = None
    score: float = 1.0


class Brain(Protocol):
    name: str

    async def ground(self, target: str, observation: Observation, action: ActionKind) -> Grounding: ...

    async def detect_visible(self, query: str, observation: Observation) -> bool: ...

    async def extract(
        self, spec: ExtractSpec, observation: Observation, intent: str
    ) -> list[dict[str, Any]]: ...

    async def plan(self, text: str) -> list[Step]:
        """Turns plain English (`plan_text`, an intent-only task) into validated steps."""
        ...


class PlanningError(Exception):
    """The brain cannot turn this text into steps; without a model the run fails `model_required`."""

    def __init__(self, message: str, code: str = "model_required") -> None:
        super().__init__(message)
        self.code = code

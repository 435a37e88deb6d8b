"""What a run asks of a model, whichever model (or none) answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mantis.planes.base import Action, ActionKind, Element, Observation
from mantis.plans.models import ExtractSpec, Step


class Rows(list[dict[str, Any]]):
    """Rows a brain extracted; `shown` is how many records the page showed, when the brain counted
    them, so that a list cut short (by max_items or by the brain) is never cut silently."""

    shown: int | None = None


class GroundingError(Exception):
    """Nothing on the page matches the step's target; the message says what was looked for."""


@dataclass(frozen=True)
class Grounding:
    """Where a step's target is: an element on DOM-aware planes, a point on the computer plane."""

    element: Element | None = None
    point: tuple[int, int] | None = None
    score: float = 1.0


@dataclass(frozen=True)
class Move:
    """One move of an agent loop: an action on the page, a navigation, a pause, or the end of the task
    (`success` says whether it was done); `said` is what the model wrote beside it."""

    kind: Literal["act", "navigate", "back", "wait", "done"]
    action: Action | None = None
    url: str = ""
    seconds: float = 0.0
    success: bool = True
    said: str = ""


class Driver(Protocol):
    """A brain that can drive an intent-only task one move at a time, seeing the screen after each."""

    async def next_move(self, goal: str, observation: Observation, history: Sequence[str]) -> Move: ...


class Brain(Protocol):
    name: str

    @property
    def driver(self) -> Driver | None:
        """What drives intent-only tasks; None: they are decomposed into steps up front instead."""
        ...

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

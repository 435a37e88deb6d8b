"""Plan texts: the steps a model wrote for a text, recorded by the text, so the same text plans again
with no call (the run's records are its tenant's and its plan's, and a plan text's plan is its text)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from mantis.brains.base import Brain, Driver, Grounding
from mantis.planes.base import ActionKind, Observation
from mantis.plans.models import ExtractSpec, Step
from mantis.plans.resolve import ResolvedTask
from mantis.replay.memory import PLAN_TEXT, Memory

FORMAT = 1  # bumped when a record's shape changes; a record of another format is not recalled


def text_path(text: str) -> str:
    """A plan text's place among the plan's records (texts are long; their digest is the key)."""
    return "text:" + hashlib.sha256(text.encode()).hexdigest()[:32]


class PlanMemory:
    """The run's brain (one that asks a model), answering `plan` from the record of the same text when
    there is one and recording the model's steps otherwise; every other question goes to the brain."""

    def __init__(self, brain: Brain, memory: Memory, said: Callable[[str, int], None]) -> None:
        self._brain = brain
        self._memory = memory
        self._said = said  # told (text, step count) when a plan came from a record
        self.name = brain.name

    @property
    def driver(self) -> Driver | None:
        return self._brain.driver

    async def ground(self, target: str, observation: Observation, action: ActionKind) -> Grounding:
        return await self._brain.ground(target, observation, action)

    async def detect_visible(self, query: str, observation: Observation) -> bool:
        return await self._brain.detect_visible(query, observation)

    async def extract(self, spec: ExtractSpec, observation: Observation, intent: str) -> list[dict[str, Any]]:
        return await self._brain.extract(spec, observation, intent)

    async def plan(self, text: str) -> list[Step]:
        path = text_path(text)
        record = self._memory.recall(path, PLAN_TEXT)
        if record is not None and (steps := _steps(record, text)) is not None:
            self._said(text, len(steps))
            return steps
        steps = await self._brain.plan(text)
        dumped = [s.model_dump(mode="json", exclude_defaults=True) for s in steps]
        self._memory.learn(path, PLAN_TEXT, {"format": FORMAT, "text": text, "steps": dumped})
        return steps


def _steps(record: dict[str, Any], text: str) -> list[Step] | None:
    """The record's steps, when it is this text's and still a valid plan (the step language may have
    moved on since it was written)."""
    if record.get("format") != FORMAT or record.get("text") != text:
        return None
    try:
        return ResolvedTask.model_validate({"steps": record["steps"]}).steps
    except ValidationError:
        return None

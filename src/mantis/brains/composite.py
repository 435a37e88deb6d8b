"""Holo3's brain: a grounding model finds where to act, a reading model extracts and plans."""

from __future__ import annotations

from typing import Any

from mantis.brains.base import Brain, Driver, Grounding
from mantis.brains.openai_compatible import OpenAICompatibleBrain
from mantis.planes.base import ActionKind, Observation
from mantis.plans.models import ExtractSpec, Step


class CompositeBrain:
    """Grounds with `grounder`, extracts and plans with `reader`; `notes` tells the trace which is which."""

    name = "holo3"

    def __init__(self, grounder: OpenAICompatibleBrain, reader: Brain, notes: list[str]) -> None:
        self.grounder = grounder
        self.reader = reader
        self.notes = notes

    @property
    def driver(self) -> Driver | None:
        return self.reader.driver

    async def ground(self, target: str, observation: Observation, action: ActionKind) -> Grounding:
        return await self.grounder.ground(target, observation, action)

    async def detect_visible(self, query: str, observation: Observation) -> bool:
        """A vision question: the reading model's when it is one, else the grounding model's, never the
        offline brain's guess while a model is at hand."""
        seer = self.grounder if self.reader.name == "offline" else self.reader
        return await seer.detect_visible(query, observation)

    async def extract(self, spec: ExtractSpec, observation: Observation, intent: str) -> list[dict[str, Any]]:
        return await self.reader.extract(spec, observation, intent)

    async def plan(self, text: str) -> list[Step]:
        return await self.reader.plan(text)

"""The offline brain: no model, no key. Grounds on the accessibility tree or on OCR'd pixels,
extracts rows by page structure, and plans from a small controlled English."""

from __future__ import annotations

import asyncio
from typing import Any

from mantis.brains.base import Grounding, PlanningError
from mantis.brains.offline.decompose import DecomposeError, decompose
from mantis.brains.offline.extract import extract_rows
from mantis.brains.offline.ground import detect_visible, detect_visible_on_screen, ground
from mantis.brains.offline.ocr_ground import ground_on_screen
from mantis.brains.offline.screen_extract import extract_from_screen
from mantis.planes.base import ActionKind, Observation
from mantis.plans.models import ExtractSpec, Step


class OfflineBrain:
    name = "offline"
    driver = None

    async def ground(self, target: str, observation: Observation, action: ActionKind) -> Grounding:
        if any(element.ref for element in observation.elements):
            return ground(target, observation.elements, action)
        return ground_on_screen(target, observation, action)

    async def detect_visible(self, query: str, observation: Observation) -> bool:
        if any(element.ref for element in observation.elements):
            return detect_visible(query, observation)
        return detect_visible_on_screen(query, observation)

    async def extract(self, spec: ExtractSpec, observation: Observation, intent: str) -> list[dict[str, Any]]:
        if observation.html is not None:
            return await asyncio.to_thread(extract_rows, observation.html, spec, observation.url, intent)
        if observation.screenshot is not None or any(e.box is not None for e in observation.elements):
            # A vision-only plane: the rows are read from the text on the screen and its layout.
            return await asyncio.to_thread(extract_from_screen, observation, spec, intent)
        raise PlanningError(
            "offline extraction reads the page's structure or the text on its screen, and this plane "
            "exposes neither",
            code="model_required",
        )

    async def plan(self, text: str) -> list[Step]:
        try:
            return decompose(text)
        except DecomposeError as exc:
            raise PlanningError(
                f"{exc} Without a model, plans in plain English must use the controlled English of "
                "docs/client/plan-text.md; configure a model (docs/operator/models.md) for free text."
            ) from exc

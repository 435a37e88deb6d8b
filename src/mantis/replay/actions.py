"""Learned actions: a step's target as a model grounded it, recorded in terms the plane can check again
without a model, and acted from on the next run when the check passes.

On a DOM-aware plane the record is the element's accessibility role and name, and which of the page's
elements with that role and name it was: the locator a tester would write (`getByRole(role, {name})`),
which survives markup, class names and layout changing under the same label. Recall finds the element
with that role and name in the page's tree now; no such element, or several where the record knew
another count, and the check fails: the step asks the model, whose answer replaces the record (healed).
The computer plane's learner (the target's box, OCR text and image signature: `mantis.replay.vision`)
answers the same two questions through the same `Learner` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mantis.brains.base import Brain, Grounding
from mantis.planes.base import ActionKind, Element, Observation
from mantis.replay import vision
from mantis.replay.memory import DOM_ACTION, Memory

FORMAT = 1  # bumped when a record's shape changes; a record of another format is not recalled
# Longest accessible name a record keeps (characters): a label, a link's headline or a field's description
# fits with room to spare; an element named by a whole section's text (or a hostile page's megabyte
# aria-label) is no label a later page can be checked by, and the record would hold it twice. A
# judgement, not a measurement: ten long headlines.
MAX_NAME = 1000


class Learner(Protocol):
    """Turns a model's grounding into a record, and a record back into a grounding on the page now."""

    kind: str  # the record kind it writes and reads (mantis.replay.memory)

    async def learn(
        self, target: str, action: ActionKind, grounding: Grounding, observation: Observation
    ) -> dict[str, Any] | None:
        """A JSON-serialisable record of what was grounded; None when it cannot be checked again."""
        ...

    async def recall(
        self, record: dict[str, Any], target: str, action: ActionKind, observation: Observation
    ) -> Grounding | None:
        """The target on the page now, when it is still there and says the same; else None."""
        ...


@dataclass(frozen=True)
class Resolved:
    """A step's grounding and how it came: from a record (`replayed`), and whether one was there."""

    grounding: Grounding
    replayed: bool
    had_record: bool


async def ground(
    memory: Memory,
    step: str,
    target: str,
    action: ActionKind,
    observation: Observation,
    brain: Brain,
) -> Resolved:
    """The target from the step's record when it still fits, else from the model (learning its answer)."""
    learner = learner_for(observation)
    record = memory.recall(step, learner.kind) if learner is not None else None
    if learner is not None and record is not None:
        found = await learner.recall(record, target, action, observation)
        if found is not None:
            return Resolved(found, replayed=True, had_record=True)
    grounding = await brain.ground(target, observation, action)
    had = learner is not None and memory.had(step, learner.kind)
    if learner is not None and memory.learning:
        learned = await learner.learn(target, action, grounding, observation)
        if learned is not None:
            memory.learn(step, learner.kind, learned, healed=had)
        elif had:
            memory.forget(step, learner.kind)
    return Resolved(grounding, replayed=False, had_record=had)


def learner_for(observation: Observation) -> Learner | None:
    """The DOM learner where the page has a tree of elements to act on, the computer plane's
    (mantis.replay.vision) where there are pixels only."""
    if any(element.ref for element in observation.elements):
        return DOM
    if observation.screenshot is not None:
        return vision.SCREEN
    return None


class DomLearner:
    kind = DOM_ACTION

    async def learn(
        self, target: str, action: ActionKind, grounding: Grounding, observation: Observation
    ) -> dict[str, Any] | None:
        element = grounding.element
        if element is None or not element.ref or not element.name.strip() or len(element.name) > MAX_NAME:
            return None  # a point, or an element with no name (or no label's): nothing to check it by
        same = _same(observation.elements, element.role, element.name)
        nth = next((i for i, e in enumerate(same) if e.ref == element.ref), None)
        if nth is None:
            return None
        name = _says(element.name)
        return {
            "format": FORMAT,
            "target": target,
            "action": action,
            "role": element.role,
            "name": name,
            "nth": nth,
            "count": len(same),
            "locator": f'role={element.role}[name="{name}"] >> nth={nth}',
        }

    async def recall(
        self, record: dict[str, Any], target: str, action: ActionKind, observation: Observation
    ) -> Grounding | None:
        if record.get("format") != FORMAT or record["target"] != target or record["action"] != action:
            return None  # another step's record (the inputs changed what it aims at)
        same = _same(observation.elements, record["role"], record["name"])
        if len(same) == record["count"]:
            found = same[record["nth"]]
        elif len(same) == 1:
            found = same[0]
        else:
            return None  # gone, or among others the record cannot tell apart
        return None if found.disabled else Grounding(element=found)


DOM = DomLearner()


def _says(name: str) -> str:
    """An accessible name as a check compares it: its words, whatever whitespace the markup put around."""
    return " ".join(name.split())


def _same(elements: list[Element], role: str, name: str) -> list[Element]:
    said = _says(name)
    return [e for e in elements if e.ref and e.role == role and _says(e.name) == said]

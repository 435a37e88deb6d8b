"""What a step did and where, kept in its trace line for the polished recording to draw: the point acted
on, the box of what was grounded, the text typed (masked when secret), the scroll, the records read, and
the pass of the loop around the step. Everything is in page pixels, as the planes' actions are."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mantis.brains.base import Grounding
from mantis.brains.offline.ocr_ground import normalise
from mantis.planes.base import Box, DomAwareSession, Element, Placement, Session

MASK = "\u2022" * 8  # as many bullets whatever the secret's length, so its length does not show
# Labels that say a field holds a secret on any site: conventions of forms, not of one page.
SECRET_LABEL = re.compile(r"pass(?:word|code|phrase)|\bpin\b|secret|token|\bcv[cv]\b", re.IGNORECASE)
MAX_RECORD_BOXES = 50  # more than a screen holds; the count still says how many were read
RECORD_VALUES = 3  # a record is found by its longest few values: enough to tell cards apart
MIN_VALUE_CHARS = 3  # shorter values ("1", "$5") match everywhere
NEAR_PX = 160.0  # on the computer plane a record's values lie within a card's height of each other


@dataclass
class Marks:
    point: tuple[int, int] | None = None
    box: Box | None = None
    typed: str | None = None  # MASK when the field or the step is secret
    scroll: int | None = None  # scroll actions; negative is up
    records: list[Box] = field(default_factory=list)
    record_count: int | None = None
    loop: str | None = None  # "2/4": the second of at most four passes through the loop's body
    replay: str | None = None  # "model", "replayed" or "healed" (mantis.replay); none: no model involved


def secret(flagged: bool, label: str, placement: Placement | None) -> bool:
    """A step's `params.secret`, a password field, or a label that names a secret."""
    return (
        flagged
        or (placement is not None and placement.secret)
        or bool(SECRET_LABEL.search(label))
    )


async def place(session: Session, grounding: Grounding, elements: list[Element]) -> Placement | None:
    """The grounded element's box (asked of a DOM-aware plane before acting), else the phrase read at
    the grounded point."""
    element = grounding.element
    if element is not None and element.ref and isinstance(session, DomAwareSession):
        return await session.place(element.ref)
    if element is not None and element.box is not None:
        return Placement(element.box)
    if grounding.point is not None and (box := box_at(elements, grounding.point)) is not None:
        return Placement(box)
    return None


def box_at(elements: list[Element], point: tuple[int, int]) -> Box | None:
    x, y = point
    holding = [
        e.box
        for e in elements
        if e.box and e.box[0] <= x <= e.box[0] + e.box[2] and e.box[1] <= y <= e.box[1] + e.box[3]
    ]
    return min(holding, key=lambda b: b[2] * b[3]) if holding else None


def centre(box: Box) -> tuple[int, int]:
    return round(box[0] + box[2] / 2), round(box[1] + box[3] / 2)


def record_values(values: dict[str, Any]) -> list[str]:
    texts = [
        str(v).strip() for v in values.values() if isinstance(v, str) and len(v.strip()) >= MIN_VALUE_CHARS
    ]
    return sorted(texts, key=len, reverse=True)[:RECORD_VALUES]


async def record_boxes(session: Session, elements: list[Element], records: list[list[str]]) -> list[Box]:
    """Where the records read are on screen: asked of the page on a DOM-aware plane, else found among
    the phrases OCR read."""
    records = records[:MAX_RECORD_BOXES]
    if isinstance(session, DomAwareSession):
        return [box for box in await session.record_boxes(records) if box is not None]
    return [box for values in records if (box := _record_on_screen(elements, values)) is not None]


def _record_on_screen(elements: list[Element], values: list[str]) -> Box | None:
    phrases = [(normalise(e.name), e.box) for e in elements if e.box is not None]
    found: list[Box] = []
    for value in map(normalise, values):
        hits = [
            box
            for text, box in phrases
            if text and (value in text or (len(text) >= MIN_VALUE_CHARS and text in value))
        ]
        if found:
            hits = [b for b in hits if abs(b[1] - found[0][1]) < NEAR_PX]
        if hits:
            found.append(hits[0])
    if not found:
        return None
    left, top = min(b[0] for b in found), min(b[1] for b in found)
    right, bottom = max(b[0] + b[2] for b in found), max(b[1] + b[3] for b in found)
    return left, top, right - left, bottom - top

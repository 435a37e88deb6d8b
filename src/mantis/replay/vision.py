"""Learned actions on the computer plane: what a grounding model's point landed on, kept in terms the plane
can check again from pixels alone, so that the next run of the step acts with no model call.

A spot is the OCR phrase nearest the point (a button's label, a field's label), the point's offset from
it, and small pictures of the phrase and of the patch around the point. Recall on a new screen looks for
the same phrase near where it was (a banner that pushes the page down a line moves every box) and accepts
it only if both pictures, moved with it, still match: a button that kept its label but changed its look,
or moved farther than a line or two, is not the spot that was learned, and the step goes back to the
model, whose answer replaces the record. A target with no text near it (an icon) is checked where it was
only: a search by picture alone over the screen steps over thin borders (an empty field's), and finds
their like anywhere on a plain page, so a moved icon is asked of the model again.

Pure: it reads an Observation (the page's PNG and the phrases OCR read) and never touches a session."""

from __future__ import annotations

import asyncio
import io
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from PIL import Image, ImageChops, ImageStat

from mantis.brains.base import Grounding
from mantis.brains.offline.ocr_ground import normalise
from mantis.planes.base import ActionKind, Box, Element, Observation
from mantis.replay.memory import SCREEN_ACTION

# The longest side of a look's picture, in its own pixels: a region's shape and colours in under 2 kB of
# hex a record. Telling labels apart is OCR's part: two labels of one style differ little at this size.
SIGNATURE_SIDE = 24
# A look is shrunk at least this much: glyphs drawn at a fraction of a pixel differ from the same glyphs on
# a whole pixel in single pixels, which averaging two by two evens out.
MAX_SCALE = 0.5
# The patch around the point that must look the same grows until it shows something: 24 px covers a
# small control (a checkbox, an icon button); the middle of an empty 40-px field is plain white at 24 px
# and shows the field's borders at 48. With no phrase near and nothing shown at 96 px, the point is not
# learned at all: its picture would match any empty stretch of the page.
PATCH_SIDES_PX = (24, 48, 96)
# A look's detail is the mean distance of its grey from its own mean (0..1): an empty page 0.000, an empty
# field's borders at 48 px 0.042, a button's label 0.09, an icon 0.3 (tests/test_vision_replay.py). A
# patch with less than MIN_DETAIL counts as plain.
MIN_DETAIL = 0.01
# Pixels kept around a phrase, so its button's edge and ground count in its look.
MARGIN_PX = 3
# A phrase this close to the point anchors the spot: the label a button holds, or a field's label above
# its left end while the model points at the middle of the field (78 px away for a 300-px field).
# Farther, the target counts as textless.
ANCHOR_PX = 160.0
# How far a target may have moved and still be the one learned: a line or two of text inserted above it.
# A bigger move is a different page layout, and the model is asked again.
SHIFT_PX = 48.0
# A look is still seen when the mean difference of its colours is at most MAX_CHANGE times its detail (the
# detail of a plain look counted as MIN_DETAIL): what matters is how much of what it showed changed.
# Measured on Chromium's renders in tests/test_vision_replay.py: the same control after an integer shift
# 0, after a half-pixel one (text placed at a fraction) 0.18; a 10% darker shade of a button's ground
# 0.48, an empty field gone from a white page 0.53, a green link for a blue button 2.3, another icon 1.5.
MAX_CHANGE = 0.3

FORMAT = 1  # bumped when a record's shape changes; a record of another format is not recalled


Point = tuple[int, int]
Shift = tuple[float, float]


@dataclass(frozen=True)
class Look:
    """A region of the screen and its picture, shrunk to at most SIGNATURE_SIDE a side, in colour (grey
    would take a blue button for a green one of the same brightness)."""

    region: Box
    width: int
    height: int
    rgb: bytes

    @classmethod
    def of(cls, screen: Image.Image, region: Box) -> Look:
        crop = screen.crop(_corners(region))
        factor = min(MAX_SCALE, SIGNATURE_SIDE / max(crop.width, crop.height, 1))
        size = (max(1, round(crop.width * factor)), max(1, round(crop.height * factor)))
        return cls(region, size[0], size[1], crop.resize(size, Image.Resampling.BOX).tobytes())

    @cached_property
    def image(self) -> Image.Image:
        return Image.frombytes("RGB", (self.width, self.height), self.rgb)

    @cached_property
    def detail(self) -> float:
        grey = self.image.convert("L")
        flat = Image.new("L", grey.size, round(ImageStat.Stat(grey).mean[0]))
        return float(ImageStat.Stat(ImageChops.difference(grey, flat)).mean[0]) / 255.0

    def seen(self, screen: Image.Image, shift: Shift) -> bool:
        """Whether the screen, at this region moved by `shift`, shows the same picture."""
        x, y, w, h = self.region
        moved = (x + shift[0], y + shift[1], w, h)
        if _clip(moved, screen.size) != moved:
            return False  # partly off the screen: not the whole of what was learned
        theirs = screen.crop(_corners(moved)).resize((self.width, self.height), Image.Resampling.BOX)
        change = sum(ImageStat.Stat(ImageChops.difference(self.image, theirs)).mean) / (3 * 255.0)
        return change <= MAX_CHANGE * max(self.detail, MIN_DETAIL)

    def to_json(self) -> dict[str, Any]:
        return {
            "region": list(self.region),
            "width": self.width,
            "height": self.height,
            "rgb": self.rgb.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Look:
        width, height, rgb = int(data["width"]), int(data["height"]), bytes.fromhex(data["rgb"])
        if width < 1 or height < 1 or len(rgb) != 3 * width * height:
            raise ValueError("a look's picture does not have its size")
        return cls(_box(data["region"]), width, height, rgb)


@dataclass(frozen=True)
class Spot:
    """A learned computer-plane target: `text` the phrase that anchors it ("" when none was near),
    `anchor` that phrase's box (else the patch's), `offset` the point from the anchor's centre, `looks`
    what must still look the same (the patch around the point, and the phrase)."""

    text: str
    anchor: Box
    offset: Shift
    looks: tuple[Look, ...]
    screen: tuple[int, int]

    @property
    def point(self) -> Point:
        x, y = _centre(self.anchor)
        return round(x + self.offset[0]), round(y + self.offset[1])

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "anchor": list(self.anchor),
            "offset": list(self.offset),
            "looks": [look.to_json() for look in self.looks],
            "screen": list(self.screen),
        }

    @classmethod
    def from_json(cls, data: Any) -> Spot | None:
        """A spot as `to_json` wrote it; None for anything else (a record of another shape is relearned,
        never acted on)."""
        try:
            looks = tuple(Look.from_json(look) for look in data["looks"])
            spot = cls(
                text=str(data["text"]),
                anchor=_box(data["anchor"]),
                offset=_pair(data["offset"]),
                looks=looks,
                screen=(int(data["screen"][0]), int(data["screen"][1])),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        return spot if looks else None


def learn(observation: Observation, point: Point) -> Spot | None:
    """The spot a model's `point` landed on; None when the observation has no screenshot to learn from, or
    when nothing there could be told from an empty stretch of the page."""
    if observation.screenshot is None:
        return None
    screen = _pixels(observation.screenshot)
    phrase = _anchor(observation.elements, point)
    patches = [Look.of(screen, _clip(_square(point, side), screen.size)) for side in PATCH_SIDES_PX]
    patch = next((look for look in patches if look.detail >= MIN_DETAIL), None)
    looks: tuple[Look, ...]
    if phrase is None or phrase.box is None:
        if patch is None:
            return None
        text, anchor, looks = "", patch.region, (patch,)
    else:
        text, anchor = phrase.name, phrase.box
        looks = (patch or patches[0], Look.of(screen, _clip(_pad(anchor, MARGIN_PX), screen.size)))
    x, y = _centre(anchor)
    return Spot(text, anchor, (point[0] - x, point[1] - y), looks, screen.size)


def recall(spot: Spot, observation: Observation) -> Point | None:
    """Where to act for the spot on a new screen, if it still reads and looks the same within SHIFT_PX
    of where it was; None sends the step to the model."""
    if observation.screenshot is None:
        return None
    screen = _pixels(observation.screenshot)
    if screen.size != spot.screen:
        return None
    shifts = _text_shifts(spot, observation.elements) if spot.text else [(0.0, 0.0)]
    for shift in shifts:
        if all(look.seen(screen, shift) for look in spot.looks):
            x, y = spot.point
            return round(x + shift[0]), round(y + shift[1])
    return None


def _text_shifts(spot: Spot, elements: list[Element]) -> list[Shift]:
    """How far each phrase that reads as the anchor did is from where it was, nearest first, within
    SHIFT_PX."""
    wanted = _squashed(spot.text)
    was = _centre(spot.anchor)
    shifts = [
        (x - was[0], y - was[1])
        for x, y in (_centre(e.box) for e in elements if e.box is not None and _squashed(e.name) == wanted)
    ]
    return sorted((s for s in shifts if math.hypot(*s) <= SHIFT_PX), key=lambda s: math.hypot(*s))


def _anchor(elements: list[Element], point: Point) -> Element | None:
    """The nearest phrase within ANCHOR_PX of the point (0 when the point is on it), the smallest of
    phrases as near."""
    scored = [
        (_distance(e.box, point), e.box[2] * e.box[3], e) for e in elements if e.box and _squashed(e.name)
    ]
    near = [s for s in scored if s[0] <= ANCHOR_PX]
    return min(near, key=lambda s: (s[0], s[1]))[2] if near else None


def _distance(box: Box, point: Point) -> float:
    x, y, w, h = box
    dx = max(x - point[0], 0.0, point[0] - (x + w))
    dy = max(y - point[1], 0.0, point[1] - (y + h))
    return math.hypot(dx, dy)


def _pixels(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB")


def _squashed(text: str) -> str:
    """OCR loses and adds spaces between the same glyphs from one read to the next."""
    return normalise(text).replace(" ", "")


def _centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _square(point: Point, side: int) -> Box:
    return point[0] - side / 2, point[1] - side / 2, float(side), float(side)


def _pad(box: Box, margin: float) -> Box:
    return box[0] - margin, box[1] - margin, box[2] + 2 * margin, box[3] + 2 * margin


def _clip(box: Box, size: tuple[int, int]) -> Box:
    left, top = max(box[0], 0.0), max(box[1], 0.0)
    right, bottom = min(box[0] + box[2], float(size[0])), min(box[1] + box[3], float(size[1]))
    return left, top, max(right - left, 0.0), max(bottom - top, 0.0)


def _corners(box: Box) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return round(x), round(y), round(x + w), round(y + h)


def _box(value: Any) -> Box:
    x, y, w, h = (float(v) for v in value)
    return x, y, w, h


def _pair(value: Any) -> Shift:
    x, y = (float(v) for v in value)
    return x, y


class ScreenLearner:
    """The computer plane's Learner (mantis.replay.actions): a model's point becomes a spot, and a spot
    that still reads and looks the same becomes a point again. A record keeps the step's target and
    action, so a step whose inputs now aim it elsewhere is not acted on from another target's record.
    Decoding a screenshot takes tens of milliseconds, so both run off the event loop."""

    kind = SCREEN_ACTION

    async def learn(
        self, target: str, action: ActionKind, grounding: Grounding, observation: Observation
    ) -> dict[str, Any] | None:
        if grounding.point is None:
            return None
        spot = await asyncio.to_thread(learn, observation, grounding.point)
        if spot is None:
            return None
        return {"format": FORMAT, "target": target, "action": action, "spot": spot.to_json()}

    async def recall(
        self, record: dict[str, Any], target: str, action: ActionKind, observation: Observation
    ) -> Grounding | None:
        if record.get("format") != FORMAT or record.get("target") != target or record.get("action") != action:
            return None  # another step's record (the inputs changed what it aims at)
        spot = Spot.from_json(record.get("spot"))
        if spot is None:
            return None
        point = await asyncio.to_thread(recall, spot, observation)
        return Grounding(point=point) if point is not None else None


SCREEN = ScreenLearner()

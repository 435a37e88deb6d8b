"""Grounding answers checked before a step acts on them: an element number that is in the list and fits the
action, or a point on a screenshot (sent downscaled, the factor kept) mapped back inside the screen."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from dataclasses import dataclass

from PIL import Image as PILImage

from mantis.brains.base import Grounding, GroundingError
from mantis.brains.calls import Image
from mantis.brains.settings import CoordinateSpace
from mantis.planes.base import ActionKind, Element

# Claude sees at most ~1.15 megapixels and 1568 px a side before it rescales on its own; 1280 px keeps a
# 1280×800 viewport at 1:1 and brings larger screens under both limits.
MAX_SIDE = 1280
MAX_PIXELS = 1_150_000

# What a point on the screen can serve, as the computer-use tool names it; a key press needs no point.
POINT_ACTIONS: dict[ActionKind, str] = {
    "click": "left_click",
    "fill": "left_click",
    "select": "left_click",
    "hover": "mouse_move",
    "scroll": "scroll",
}
_ROLES_FOR: dict[ActionKind, frozenset[str]] = {
    "fill": frozenset({"textbox", "searchbox", "combobox", "spinbutton", "textarea"}),
    "select": frozenset({"combobox", "listbox"}),
}


def pick(answer: object, elements: list[Element], target: str, action: ActionKind) -> Grounding:
    """The element a model chose by number (1-based, 0 = none), if it is in the list and can take `action`."""
    choice = answer.get("choice") if isinstance(answer, dict) else answer
    if isinstance(choice, bool) or not isinstance(choice, int):
        raise GroundingError(f"the model answered {choice!r}, not an element number, for {target!r}")
    if choice == 0:
        raise GroundingError(f"no element on the page matches {target!r}")
    if not 1 <= choice <= len(elements):
        raise GroundingError(
            f"the model chose element {choice}, which is not among the {len(elements)} offered"
        )
    element = elements[choice - 1]
    roles = _ROLES_FOR.get(action)
    if roles is not None and element.role not in roles:
        raise GroundingError(
            f'the model chose {element.role} "{element.name}" for a {action}, which it cannot take'
        )
    return Grounding(element=element)


def point_member(action: ActionKind) -> str:
    if action not in POINT_ACTIONS:
        raise GroundingError(f"a {action} is not aimed at a point on the screen")
    return POINT_ACTIONS[action]


@dataclass(frozen=True)
class Shot:
    """A screenshot as sent to a model, and the screen it came from."""

    image: Image
    screen_width: int
    screen_height: int

    @property
    def scale(self) -> tuple[float, float]:
        return self.screen_width / self.image.width, self.screen_height / self.image.height


def prepare(png: bytes, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS) -> Shot:
    """Downscales a screenshot to what the model needs; a small enough one is sent as it is."""
    with PILImage.open(io.BytesIO(png)) as original:
        width, height = original.size
        factor = min(1.0, max_side / max(width, height), math.sqrt(max_pixels / (width * height)))
        if factor >= 1.0 and original.format == "PNG":
            data = png
            size = (width, height)
        else:
            size = (max(1, math.floor(width * factor)), max(1, math.floor(height * factor)))
            out = io.BytesIO()
            original.convert("RGB").resize(size, PILImage.Resampling.LANCZOS).save(out, format="PNG")
            data = out.getvalue()
    return Shot(Image(base64.b64encode(data).decode("ascii"), *size), width, height)


def on_screen(shot: Shot, x: float, y: float) -> tuple[int, int]:
    """Maps a point in the sent image's pixels to the screen, refusing one outside it."""
    sx, sy = shot.scale
    point = (math.floor(x * sx), math.floor(y * sy))
    if not (0 <= point[0] < shot.screen_width and 0 <= point[1] < shot.screen_height):
        raise GroundingError(
            f"the model pointed at {point}, outside the {shot.screen_width}×{shot.screen_height} screen"
        )
    return point


_NUMBER = r"(-?\d+(?:\.\d+)?)"
_PATTERNS = (
    re.compile(rf"<point>\s*\(?\s*{_NUMBER}\s*[,\s]\s*{_NUMBER}\s*\)?\s*</point>", re.I),
    re.compile(rf"click\s*\(\s*(?:x\s*=\s*)?{_NUMBER}\s*,\s*(?:y\s*=\s*)?{_NUMBER}\s*\)", re.I),
    re.compile(rf"\[\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\]"),
    re.compile(rf"\(\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\)"),
)


def parse_point(reply: str) -> tuple[float, float, bool] | None:
    """The click point in a grounding model's reply, and whether it was written as fractions (0.x).

    Accepted: JSON `{"x": …, "y": …}` (or `"coordinate"`/`"point"`: `[x, y]`), `click(x, y)`,
    `click(x=…, y=…)`, `<point>x y</point>`, and a bare `[x, y]` or `(x, y)`."""
    found = _json_point(reply)
    if found is None:
        for pattern in _PATTERNS:
            match = pattern.search(reply)
            if match:
                found = (match.group(1), match.group(2))
                break
    if found is None:
        return None
    x, y = float(found[0]), float(found[1])
    fractional = 0 <= x <= 1 and 0 <= y <= 1 and ("." in found[0] or "." in found[1])
    return x, y, fractional


def to_image_pixels(
    point: tuple[float, float, bool], space: CoordinateSpace, shot: Shot
) -> tuple[float, float]:
    """Turns a parsed point into pixels of the sent image: fractions always read as 0–1 of its size,
    other numbers in the endpoint's declared `space`."""
    x, y, fractional = point
    width, height = shot.image.width, shot.image.height
    if fractional or space == "norm1":
        return x * width, y * height
    if space == "norm1000":
        return x * width / 1000, y * height / 1000
    return x, y


def _json_point(reply: str) -> tuple[str, str] | None:
    match = re.search(r"\{[^{}]*\}", reply)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "x" in data and "y" in data:
        pair = [data["x"], data["y"]]
    else:
        pair = data.get("coordinate") or data.get("point") or data.get("click") or []
    if not (
        isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
    ):
        return None
    return str(pair[0]), str(pair[1])

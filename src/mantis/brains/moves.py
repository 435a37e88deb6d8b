"""An agent model's move, as Claude's computer tool and our own tools give it, checked before it runs: a
known action, coordinates inside the screen, keys in the plan's names, a URL that is a URL."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from mantis.brains.base import GroundingError, Move
from mantis.brains.grounding import Shot, on_screen
from mantis.planes.base import WHEEL_CLICKS_PER_SCROLL, Action, ActionKind

# What the planes can do for a move of the computer tool; the rest of its members stay disabled.
POINTED: dict[str, ActionKind] = {"left_click": "click", "mouse_move": "hover"}
MEMBERS = frozenset({*POINTED, "type", "key", "scroll", "wait", "screenshot"})
MAX_WAIT_S = 10.0

NAVIGATE_SCHEMA = {
    "type": "object",
    "properties": {"url": {"type": "string", "description": "an absolute http(s) URL"}},
    "required": ["url"],
}
GO_BACK_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
FINISH_SCHEMA = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "answer": {"type": "string"}},
    "required": ["success", "answer"],
}

# xdotool's key names, which the computer tool uses, to the plan's (Playwright's), which both planes take.
_MODIFIERS = {
    "ctrl": "Control",
    "control": "Control",
    "alt": "Alt",
    "shift": "Shift",
    "super": "Meta",
    "meta": "Meta",
    "cmd": "Meta",
}
_KEYS = {
    "return": "Enter",
    "kp_enter": "Enter",
    "backspace": "Backspace",
    "escape": "Escape",
    "tab": "Tab",
    "delete": "Delete",
    "space": "Space",
    "page_down": "PageDown",
    "next": "PageDown",
    "page_up": "PageUp",
    "prior": "PageUp",
    "up": "ArrowUp",
    "down": "ArrowDown",
    "left": "ArrowLeft",
    "right": "ArrowRight",
    "home": "Home",
    "end": "End",
}


def computer_move(member: str, data: dict[str, Any], shot: Shot, said: str) -> Move:
    """A computer-tool call as a move on the page; anything the planes cannot do is refused here."""
    if member not in MEMBERS:
        raise GroundingError(f"the model asked for {member}, which this service does not do")
    if member in POINTED:
        return Move("act", Action(POINTED[member], point=point_of(data, shot, member)), said=said)
    if member == "type":
        return Move("act", Action("type", text=_text(data, member)), said=said)
    if member == "key":
        return Move("act", Action("press", key=plan_key(_text(data, member))), said=said)
    if member == "scroll":
        direction = data.get("scroll_direction")
        if direction not in ("up", "down"):
            raise GroundingError(f"the model asked to scroll {direction!r}; only up and down are done")
        clicks = data.get("scroll_amount")
        steps = math.ceil(clicks / WHEEL_CLICKS_PER_SCROLL) if isinstance(clicks, int) and clicks > 0 else 1
        point = point_of(data, shot, member) if data.get("coordinate") is not None else None
        return Move(
            "act", Action("scroll", point=point, amount=steps if direction == "down" else -steps), said=said
        )
    seconds = data.get("duration") if member == "wait" else 0.0
    pause = min(float(seconds), MAX_WAIT_S) if isinstance(seconds, int | float) and seconds >= 0 else 1.0
    return Move("wait", seconds=pause, said=said)


def tool_move(name: str, data: dict[str, Any], said: str) -> Move:
    """A call of one of our own tools: navigate, go_back, finish."""
    if name == "navigate":
        url = data.get("url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise GroundingError(f"the model asked to navigate to {url!r}, which is not an http(s) URL")
        return Move("navigate", url=url, said=said)
    if name == "go_back":
        return Move("back", said=said)
    if name == "finish":
        answer = data.get("answer")
        return Move("done", success=data.get("success") is True, said=str(answer or said))
    raise GroundingError(f"the model called {name!r}, which is not one of its tools")


def plan_key(chord: str) -> str:
    """'ctrl+shift+Tab' -> 'Control+Shift+Tab', 'Return' -> 'Enter', 'Page_Down' -> 'PageDown'."""
    *mods, key = chord.strip().split("+")
    if not key or any(mod.strip().lower() not in _MODIFIERS for mod in mods):
        raise GroundingError(f"the model pressed {chord!r}, which is not a key chord")
    name = _KEYS.get(key.lower(), key.lower() if mods and len(key) == 1 else key)
    return "+".join([*(_MODIFIERS[mod.strip().lower()] for mod in mods), name])


def point_of(data: dict[str, Any], shot: Shot, member: str) -> tuple[int, int]:
    """The screen point of a computer-tool call's `coordinate`, which must be two numbers on the screen."""
    coordinate = data.get("coordinate")
    if not (isinstance(coordinate, list) and len(coordinate) == 2 and all(map(_number, coordinate))):
        raise GroundingError(f"the model's {member} has no usable coordinate: {data}")
    return on_screen(shot, coordinate[0], coordinate[1])


def _text(data: dict[str, Any], member: str) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text:
        raise GroundingError(f"the model's {member} has no text: {data}")
    return text


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

"""Keyboard, mouse, clipboard and windows of a session's display, through xdotool and xclip argument
lists (never a shell)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping

from mantis.planes.base import PlaneError
from mantis.planes.subproc import run

TOOL_TIMEOUT_S = 10.0
WHEEL_UP, WHEEL_DOWN = "4", "5"
WHEEL_GAP_MS = "20"  # with no gap Chromium drops wheel clicks under load (800 px of 1800, measured)
DOUBLE_CLICK_S = 0.6  # Chromium on X11 takes two clicks within 500 ms and a few pixels as a double click
DOUBLE_CLICK_PX = 8

_MODIFIERS = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "shift": "shift",
    "alt": "alt",
    "option": "alt",
    "meta": "super",
    "cmd": "super",
    "command": "super",
    "super": "super",
    "win": "super",
}

# Playwright/DOM key names (what plans use) to X keysyms.
_KEYS = {
    "enter": "Return",
    "return": "Return",
    "esc": "Escape",
    "escape": "Escape",
    "tab": "Tab",
    "backspace": "BackSpace",
    "delete": "Delete",
    "del": "Delete",
    "insert": "Insert",
    "space": "space",
    "arrowup": "Up",
    "up": "Up",
    "arrowdown": "Down",
    "down": "Down",
    "arrowleft": "Left",
    "left": "Left",
    "arrowright": "Right",
    "right": "Right",
    "pageup": "Prior",
    "pagedown": "Next",
    "home": "Home",
    "end": "End",
}

_SYMBOLS = {
    " ": "space",
    "+": "plus",
    "-": "minus",
    "=": "equal",
    ",": "comma",
    ".": "period",
    "/": "slash",
    "\\": "backslash",
    ";": "semicolon",
    ":": "colon",
    "'": "apostrophe",
    '"': "quotedbl",
    "`": "grave",
    "[": "bracketleft",
    "]": "bracketright",
    "{": "braceleft",
    "}": "braceright",
    "(": "parenleft",
    ")": "parenright",
    "<": "less",
    ">": "greater",
    "!": "exclam",
    "?": "question",
    "@": "at",
    "#": "numbersign",
    "$": "dollar",
    "%": "percent",
    "^": "asciicircum",
    "&": "ampersand",
    "*": "asterisk",
    "_": "underscore",
    "|": "bar",
    "~": "asciitilde",
}

SYMBOL_KEYSYMS = frozenset(_SYMBOLS.values())


def keysyms(chord: str) -> str:
    """Plan key names to xdotool's: 'Enter' -> 'Return', 'Control+Shift+Tab' -> 'ctrl+shift+Tab',
    'ctrl++' -> 'ctrl+plus'."""
    chord = chord.strip()
    if chord == "+" or chord.endswith("++"):
        parts = [*chord[:-2].split("+"), "+"] if len(chord) > 1 else ["+"]
    else:
        parts = chord.split("+")
    if not chord or any(not part for part in parts):
        raise PlaneError(f"cannot read the key chord {chord!r}")
    *mods, key = parts
    names = []
    for mod in mods:
        if mod.strip().lower() not in _MODIFIERS:
            raise PlaneError(f"unknown modifier {mod!r} in key chord {chord!r}")
        names.append(_MODIFIERS[mod.strip().lower()])
    names.append(_keysym(key if key == " " else key.strip()))
    return "+".join(names)


def _keysym(key: str) -> str:
    lowered = key.lower()
    if lowered in _KEYS:
        return _KEYS[lowered]
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if re.fullmatch(r"[fF]([1-9]|1[0-9]|2[0-4])", key):
        return key.upper()
    return key  # a letter, a digit, or already an X keysym name such as "Page_Up"


class XInput:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._last_click = (-DOUBLE_CLICK_S, -DOUBLE_CLICK_PX, -DOUBLE_CLICK_PX)  # time, x, y

    async def _xdotool(self, *args: str) -> bytes:
        return await run(["xdotool", *args], self._env, TOOL_TIMEOUT_S)

    async def resize_browser(self, width: int, height: int) -> None:
        """The window size flag is approximate; this sets the exact outer size."""
        resize = ["windowsize", "%@", str(width), str(height)]
        await self._xdotool("search", "--onlyvisible", "--class", "chromium", *resize)

    async def windows(self) -> frozenset[str]:
        """Visible windows: a <select>'s open list, like any popup, is a window of its own."""
        try:
            found = await self._xdotool("search", "--onlyvisible", "--name", "")
        except PlaneError:  # xdotool search fails when nothing matches
            return frozenset()
        return frozenset(found.decode().split())

    async def click(self, x: int, y: int) -> None:
        """Two steps clicking the same place in quick succession (fill a field twice, "Load more" twice)
        must not become a double click, which selects a word instead of focusing or pressing."""
        loop = asyncio.get_running_loop()
        then, last_x, last_y = self._last_click
        if abs(x - last_x) <= DOUBLE_CLICK_PX and abs(y - last_y) <= DOUBLE_CLICK_PX:
            await asyncio.sleep(max(then + DOUBLE_CLICK_S - loop.time(), 0.0))
        # --delay 0: xdotool otherwise waits 100 ms between press and release.
        await self._xdotool("mousemove", str(x), str(y), "click", "--delay", "0", "1")
        self._last_click = (loop.time(), x, y)

    async def move(self, x: int, y: int) -> None:
        await self._xdotool("mousemove", str(x), str(y))

    async def key(self, chord: str) -> None:
        await self._xdotool("key", "--delay", "0", keysyms(chord))

    async def scroll(self, x: int, y: int, clicks: int) -> None:
        """Down for positive `clicks`, up for negative."""
        button = WHEEL_DOWN if clicks >= 0 else WHEEL_UP
        repeat = str(abs(clicks))
        await self._xdotool(
            "mousemove", str(x), str(y), "click", "--repeat", repeat, "--delay", WHEEL_GAP_MS, button
        )

    async def type_text(self, text: str) -> None:
        """xdotool types ASCII exactly but mangles the rest (case lost, letters dropped): paste that."""
        if text.isascii():
            await self._xdotool("type", "--delay", "0", "--", text)
        else:
            await self._set_clipboard(text)
            await self.key("ctrl+v")

    async def _set_clipboard(self, text: str) -> None:
        """xclip forks a child that owns the selection; reading it back proves the child is serving it.
        That child lives until another takes the selection over, or the session's sweep ends it."""
        data = text.encode()
        xclip = ["xclip", "-selection", "clipboard"]
        await run([*xclip, "-i"], self._env, TOOL_TIMEOUT_S, stdin=data, capture=False)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TOOL_TIMEOUT_S
        while True:
            with contextlib.suppress(PlaneError):
                if await run([*xclip, "-o"], self._env, TOOL_TIMEOUT_S) == data:
                    return
            if loop.time() > deadline:
                raise PlaneError("the clipboard did not take the text to paste")
            await asyncio.sleep(0.02)

"""Keyboard, mouse and windows of a session's display through XTEST from this process (python-xlib, one
X connection per session), so an action costs a few X requests instead of an xdotool process; only the
clipboard for non-ASCII text still goes through xclip (an argument list, never a shell), which serves the
selection from a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator, Mapping

from Xlib import XK, X, error
from Xlib.display import Display
from Xlib.ext import xtest
from Xlib.xobject.drawable import Window

from mantis.planes.base import PlaneError
from mantis.planes.subproc import run

TOOL_TIMEOUT_S = 10.0
WHEEL_UP, WHEEL_DOWN = 4, 5  # X pointer buttons
WHEEL_GAP_S = 0.02  # with no gap Chromium drops wheel clicks under load (800 px of 1800, measured)
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
    """Plan key names to X keysym names joined by '+', modifiers by their short names: 'Enter' -> 'Return',
    'Control+Shift+Tab' -> 'ctrl+shift+Tab', 'ctrl++' -> 'ctrl+plus'."""
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


_MODIFIER_KEYSYMS = {"ctrl": "Control_L", "shift": "Shift_L", "alt": "Alt_L", "super": "Super_L"}
_TYPED = {"\n": "Return", "\t": "Tab", **_SYMBOLS}  # characters typed as the key of another name


def _keysym_value(name: str) -> int:
    keysym: int = XK.string_to_keysym(name)
    if keysym == X.NoSymbol and len(name) == 1:  # X's rule for a character with no keysym name
        keysym = ord(name) if ord(name) < 0x100 else 0x01000000 | ord(name)
    return keysym


class XInput:
    """One X connection of the session's own, used from the event loop's thread only. An action is a few
    XTEST requests and one round trip (`sync`), so its events have reached the server when it returns;
    on the local socket that costs well under a millisecond, less than handing it to a thread would."""

    def __init__(self, display: Display, env: Mapping[str, str]) -> None:
        self._display = display
        self._env = env
        self._last_click = (-DOUBLE_CLICK_S, -DOUBLE_CLICK_PX, -DOUBLE_CLICK_PX)  # time, x, y

    @classmethod
    def connect(cls, env: Mapping[str, str]) -> XInput:
        """`env` is the session's: its DISPLAY for the connection, all of it for xclip."""
        try:
            display = Display(env["DISPLAY"])
        except (error.DisplayError, OSError) as exc:
            raise PlaneError(f"cannot connect to the X display {env['DISPLAY']}: {exc}") from exc
        if not display.has_extension("XTEST"):
            display.close()
            raise PlaneError(f"the X display {env['DISPLAY']} has no XTEST extension")
        return cls(display, env)

    @contextlib.contextmanager
    def _x(self) -> Iterator[Display]:
        """The display, with the X library's failures (a server gone, a refused request) as PlaneError."""
        try:
            yield self._display
        except (error.XError, error.ConnectionClosedError, OSError) as exc:
            raise PlaneError(f"X input failed: {exc}") from exc

    def _code(self, name: str) -> tuple[int, bool]:
        """The keycode that types a keysym, and whether it needs shift held for that."""
        keysym = _keysym_value(name)
        with self._x() as display:
            for code, index in display.keysym_to_keycodes(keysym):
                if index in (0, 1):
                    return code, index == 1
        raise PlaneError(f"no key of the session's keyboard gives {name!r}")

    def _tap(self, code: int, held: list[int]) -> None:
        """Presses `code` with the keys in `held` down around it (queued; the caller syncs)."""
        with self._x() as display:
            for modifier in held:
                xtest.fake_input(display, X.KeyPress, modifier)
            xtest.fake_input(display, X.KeyPress, code)
            xtest.fake_input(display, X.KeyRelease, code)
            for modifier in reversed(held):
                xtest.fake_input(display, X.KeyRelease, modifier)

    def _sync(self) -> None:
        with self._x() as display:
            display.sync()

    def _visible(self) -> list[Window]:
        """Every viewable window, at any depth (a window under an unmapped one is never viewable)."""
        found: list[Window] = []
        with self._x() as display:
            stack = [display.screen().root]
            while stack:
                with contextlib.suppress(error.BadWindow):  # gone while we looked
                    for child in stack.pop().query_tree().children:
                        with contextlib.suppress(error.BadWindow):
                            if child.get_attributes().map_state == X.IsViewable:
                                found.append(child)
                                stack.append(child)
        return found

    async def resize_browser(self, width: int, height: int) -> None:
        """The window size flag is approximate; this sets the exact outer size of Chromium's windows."""
        for window in self._visible():
            with contextlib.suppress(error.BadWindow), self._x():
                names = window.get_wm_class() or ()
                if any("chromium" in name.lower() for name in names):
                    window.configure(width=width, height=height)
        self._sync()

    async def windows(self) -> frozenset[str]:
        """Visible windows: a <select>'s open list, like any popup, is a window of its own."""
        return frozenset(str(window.id) for window in self._visible())

    async def click(self, x: int, y: int) -> None:
        """Two steps clicking the same place in quick succession (fill a field twice, "Load more" twice)
        must not become a double click, which selects a word instead of focusing or pressing."""
        loop = asyncio.get_running_loop()
        then, last_x, last_y = self._last_click
        if abs(x - last_x) <= DOUBLE_CLICK_PX and abs(y - last_y) <= DOUBLE_CLICK_PX:
            await asyncio.sleep(max(then + DOUBLE_CLICK_S - loop.time(), 0.0))
        with self._x() as display:
            xtest.fake_input(display, X.MotionNotify, x=x, y=y)
            xtest.fake_input(display, X.ButtonPress, 1)
            xtest.fake_input(display, X.ButtonRelease, 1)
        self._sync()
        self._last_click = (loop.time(), x, y)

    async def move(self, x: int, y: int) -> None:
        with self._x() as display:
            xtest.fake_input(display, X.MotionNotify, x=x, y=y)
        self._sync()

    async def key(self, chord: str) -> None:
        *modifiers, key = keysyms(chord).split("+")
        held = [self._code(_MODIFIER_KEYSYMS[modifier])[0] for modifier in modifiers]
        code, shifted = self._code(key)
        if shifted and "shift" not in modifiers:
            held.append(self._code("Shift_L")[0])
        self._tap(code, held)
        self._sync()

    async def scroll(self, x: int, y: int, clicks: int) -> None:
        """Down for positive `clicks`, up for negative."""
        button = WHEEL_DOWN if clicks >= 0 else WHEEL_UP
        await self.move(x, y)
        for _ in range(abs(clicks)):
            await asyncio.sleep(WHEEL_GAP_S)  # the first too: a wheel click right behind the move was lost
            with self._x() as display:
                xtest.fake_input(display, X.ButtonPress, button)
                xtest.fake_input(display, X.ButtonRelease, button)
            self._sync()

    async def type_text(self, text: str) -> None:
        """ASCII key by key, all queued before one round trip; the rest is pasted, since a keysym the
        keyboard lacks would need its mapping changed under the browser, which loses or mangles keys."""
        if not text.isascii():
            await self._set_clipboard(text)
            await self.key("ctrl+v")
            return
        shift = self._code("Shift_L")[0]
        for char in text:
            code, shifted = self._code(_TYPED.get(char, char))
            self._tap(code, [shift] if shifted else [])
        self._sync()

    async def close(self) -> None:
        with contextlib.suppress(error.XError, error.ConnectionClosedError, OSError):
            self._display.close()

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

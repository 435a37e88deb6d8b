"""The keys the computer plane lets a step press: those a page needs (typing, editing, moving through
a form or a list), and none the browser itself answers (address bar, new tab or window, devtools, file
dialogs, print, history, downloads, zoom, tab switching, reload). An allowlist: a chord not named here
is refused, so a shortcut Chromium adds later is refused too."""

from __future__ import annotations

from mantis.planes.base import PlaneError
from mantis.planes.xinput import SYMBOL_KEYSYMS, keysyms

# Named keys a page may need alone or with shift (shift+Tab goes back a field, shift+arrows select).
NAMED = frozenset(
    {"Return", "Tab", "BackSpace", "Delete", "space", "Up", "Down", "Left", "Right"}
    | {"Prior", "Next", "Page_Up", "Page_Down", "Home", "End"}
)
# ctrl with these: select all, copy, cut, paste, undo, redo, submit (a chat box), and moving or
# deleting by word or to the ends.
CTRL = frozenset(
    {"a", "c", "x", "v", "z", "y", "Return"}
    | {"Left", "Right", "Up", "Down", "Home", "End", "BackSpace", "Delete"}
)
# ctrl+shift with these: redo, and selecting by word or to the ends.
CTRL_SHIFT = frozenset({"z", "Left", "Right", "Home", "End"})


def check_page_key(chord: str) -> None:
    """PlaneError when the chord is not one a page needs: the browser's own controls could take it."""
    names = keysyms(chord)  # "+" itself is the keysym "plus", so "+" only joins the parts
    *mods, key = names.split("+")
    printable = (len(key) == 1 and key.isalnum()) or key in SYMBOL_KEYSYMS
    ctrl_key = key.lower() if len(key) == 1 else key
    allowed = (
        (not mods and (printable or key in NAMED or key == "Escape"))
        or (mods == ["shift"] and (printable or key in NAMED))
        or (mods == ["ctrl"] and ctrl_key in CTRL)
        or (sorted(mods) == ["ctrl", "shift"] and ctrl_key in CTRL_SHIFT)
    )
    if not allowed:
        raise PlaneError(
            f"the key {chord!r} is refused on the computer plane: it is not one a page needs, and no key "
            "may reach the browser's own controls"
        )

"""Reads the text of Playwright's `page.aria_snapshot(mode="ai")` back into a tree and into Elements.

The snapshot is YAML written by Playwright's own renderer; a line is ``- key``, ``- key: value`` or
``- key:`` followed by deeper lines. A key is ``role "name" [attr] [attr=value] ...``, single-quoted
(``'...'`` with ``''`` for a quote) when it holds YAML-special text; a value is plain or double-quoted
with backslash escapes. ``- text: ...`` is a bare text node and ``- /url: ...`` a property of its parent.
Parsing by hand keeps the plane free of a YAML dependency and tolerant of lines it does not know.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from mantis.planes.base import Element

# Roles whose inline text is the value typed into them, not a label.
_VALUE_ROLES = frozenset({"textbox", "searchbox", "combobox", "spinbutton", "slider"})
_CHECKABLE_ROLES = frozenset({"checkbox", "radio", "switch", "menuitemcheckbox", "menuitemradio"})
_OPTION_HOLDERS = frozenset({"combobox", "listbox"})

_ROLE = re.compile(r"[A-Za-z][\w-]*")
_ATTRIBUTE = re.compile(r"\[\s*([^\]=\s]+)\s*(?:=\s*([^\]]*?))?\s*\]")
_DOUBLE_QUOTED_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "/": "/"}


@dataclass
class AriaNode:
    """One line of the snapshot with what nests under it; role "text" is a bare text node."""

    role: str
    name: str = ""
    ref: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    props: dict[str, str] = field(default_factory=dict)
    children: list[AriaNode] = field(default_factory=list)

    def walk(self) -> Iterator[AriaNode]:
        """This node and everything under it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def own_text(self) -> str:
        """The text a node shows itself: its inline value, or text children when it has no elements."""
        if self.text:
            return self.text
        if self.children and all(child.role == "text" for child in self.children):
            return " ".join(child.text for child in self.children if child.text)
        return ""

    def label(self) -> str:
        """What a reader calls the node: its accessible name, else the text it shows."""
        return self.name or self.own_text()


def parse_aria_tree(text: str) -> list[AriaNode]:
    """The snapshot's top-level nodes; nesting follows indentation, unreadable lines are skipped."""
    roots: list[AriaNode] = []
    stack: list[tuple[int, AriaNode]] = []
    for raw in text.splitlines():
        stripped = raw.lstrip(" ")
        if not stripped.startswith("-"):
            continue
        indent = len(raw) - len(stripped)
        key, value = _split_item(stripped[1:].strip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if key.startswith("/"):
            if parent is not None:
                parent.props[key[1:]] = value or ""
            continue
        node = AriaNode("text", text=value or "") if key == "text" else _parse_key(key)
        if node is None:
            continue
        if key != "text" and value is not None:
            node.text = value
        (parent.children if parent is not None else roots).append(node)
        stack.append((indent, node))
    return roots


def parse_aria_snapshot(text: str) -> list[Element]:
    """Every node that carries a ref, as an Element, in document order."""
    return [_element(node) for root in parse_aria_tree(text) for node in root.walk() if node.ref]


def _element(node: AriaNode) -> Element:
    name = node.name or ("" if node.role in _VALUE_ROLES else node.own_text())
    return Element(
        ref=node.ref or "",
        role=node.role,
        name=name,
        disabled=node.attrs.get("disabled", "false") != "false",
        checked=_checked(node),
        url=node.props.get("url"),
        options=_options(node) if node.role in _OPTION_HOLDERS else (),
        box=_box(node.attrs.get("box")),
    )


def _checked(node: AriaNode) -> bool | None:
    """True/False for checkable roles (and pressed toggle buttons); None where it means nothing or "mixed"."""
    state = node.attrs.get("checked", node.attrs.get("pressed"))
    if state is None:
        return False if node.role in _CHECKABLE_ROLES else None
    return {"true": True, "false": False}.get(state)


def _options(node: AriaNode) -> tuple[str, ...]:
    """Option names under a combobox or listbox, through groups but not into nested option holders."""
    found: list[str] = []
    pending = list(node.children)
    while pending:
        child = pending.pop(0)
        if child.role == "option":
            found.append(child.label())
        elif child.role not in _OPTION_HOLDERS:
            pending[:0] = child.children
    return tuple(found)


def _box(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        x, y, w, h = (float(part) for part in value.split(","))
    except ValueError:
        return None
    return x, y, w, h


def _split_item(item: str) -> tuple[str, str | None]:
    """A sequence item as (key, inline value); the value is None when there is none (or children follow)."""
    if item.startswith("'"):
        key, rest = _read_single_quoted(item)
    else:
        # An unquoted key never holds ": " nor ends in ":" — Playwright quotes such keys.
        cut = item.find(": ")
        if cut >= 0:
            key, rest = item[:cut], item[cut:]
        elif item.endswith(":"):
            key, rest = item[:-1], ":"
        else:
            key, rest = item, ""
    rest = rest.strip()
    if not rest.startswith(":"):
        return key.strip(), None
    value = rest[1:].strip()
    return key.strip(), _yaml_scalar(value) if value else None


def _read_single_quoted(item: str) -> tuple[str, str]:
    out: list[str] = []
    i = 1
    while i < len(item):
        if item[i] == "'":
            if item[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), item[i + 1 :]
        out.append(item[i])
        i += 1
    return "".join(out), ""


def _yaml_scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _unescape_double_quoted(value[1:-1])
    return value


def _unescape_double_quoted(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 >= len(body):
            out.append(ch)
            i += 1
            continue
        code = body[i + 1]
        width = {"x": 2, "u": 4, "U": 8}.get(code)
        if width is not None:
            digits = body[i + 2 : i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
                i += 2 + width
                continue
            except ValueError:
                pass
        out.append(_DOUBLE_QUOTED_ESCAPES.get(code, code))
        i += 2
    return "".join(out)


def _parse_key(key: str) -> AriaNode | None:
    """`role "name" [attr] [attr=value]`; None when the key does not start with a role."""
    role = _ROLE.match(key)
    if role is None:
        return None
    rest = key[role.end() :].lstrip()
    name = ""
    if rest.startswith('"'):
        name, rest = _read_json_string(rest)
    elif rest.startswith("/"):  # a regex name, as in hand-written templates
        end = rest.find("/", 1)
        name, rest = (rest[1:end], rest[end + 1 :]) if end > 0 else (rest[1:], "")
    attrs = {m.group(1): (m.group(2) or "true").strip() for m in _ATTRIBUTE.finditer(rest)}
    ref = attrs.pop("ref", None)
    return AriaNode(role.group(0), name=" ".join(name.split()), ref=ref, attrs=attrs)


def _read_json_string(text: str) -> tuple[str, str]:
    """The JSON string at the start of `text` (decoded) and what follows it."""
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            raw = text[: i + 1]
            try:
                return str(json.loads(raw)), text[i + 1 :]
            except json.JSONDecodeError:
                return _unescape_double_quoted(raw[1:-1]), text[i + 1 :]
        i += 1
    return text[1:], ""

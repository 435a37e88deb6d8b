"""JSON the service takes from outside (request bodies, plan files): data every part can keep and read back.

Python's `json` reads `NaN`, `Infinity` and `1e400` (as infinity), integers of any size, and nesting until
the interpreter's stack runs out. Each of those got past the edge once and broke a later part (a database
refusing the row, a run crashing as `internal_error`), so they are refused while reading.
"""

from __future__ import annotations

import json
import math
from typing import Any

# RFC 7493 (I-JSON) section 2.2: integers beyond IEEE 754 double precision do not survive other readers.
MAX_SAFE_INTEGER = 2**53 - 1
# The deepest a plan needs is about 8 (body > micro > steps > step > extract > fields > field); 32 leaves
# room for structured `inputs` and `params` while keeping every recursive walk far from the stack limit.
MAX_DEPTH = 32


class JsonRefused(ValueError):
    """Text that is not JSON, or JSON the service will not keep; the message says which."""


class TextRefused(JsonRefused):
    """Well-formed JSON holding a string no database can keep."""


def loads(raw: bytes | str) -> Any:
    """Parses strict JSON: finite numbers, integers within ±(2**53 - 1), at most `MAX_DEPTH` deep, and
    strings of Unicode text without NUL (PostgreSQL refuses NUL and lone surrogates)."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite, parse_int=_safe_int)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise JsonRefused("not UTF-8 text") from None
    except RecursionError:
        raise JsonRefused(f"nests deeper than {MAX_DEPTH} levels") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Refuses values nested deeper than `MAX_DEPTH` and strings a database cannot keep; walked without
    recursion so that the check itself cannot run out of stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise JsonRefused(f"nests deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise TextRefused("strings must not hold NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise TextRefused("strings must be Unicode text (no lone surrogates)") from None


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRefused(f"the number {text[:40]} is too large to keep")
    return number


def _safe_int(text: str) -> int:
    if len(text.lstrip("-")) > len(str(MAX_SAFE_INTEGER)):  # before int(): 5000 digits cost time
        raise JsonRefused(f"the integer {text[:40]}... is beyond ±(2**53 - 1)")
    number = int(text)
    if abs(number) > MAX_SAFE_INTEGER:
        raise JsonRefused(f"the integer {text} is beyond ±(2**53 - 1)")
    return number

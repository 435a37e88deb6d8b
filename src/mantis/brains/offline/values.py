"""Turning the text a page shows into the int / str / bool a schema asks for."""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")

# The first number in a text. Thousands separators (comma, apostrophe, thin or no-break space) only
# count when followed by exactly three digits, so "4,5" stays 4; dots only as thousands separators
# when there are two groups or more ("1.234.567"), since "4.5" is far more often a decimal.
# "1.2k", "3M", "2 million" scale the number the way pages abbreviate counts and prices.
_INT = re.compile(
    r"(?P<sign>(?<![\w.-])[-−])?"
    r"(?P<num>\d{1,3}(?P<sep>[,'\u00a0\u202f\u2009])\d{3}(?:(?P=sep)\d{3})*(?!\d)"
    r"|\d{1,3}(?:\.\d{3}){2,}(?!\d)"
    r"|\d+)"
    r"(?P<frac>\.\d+)?"
    r"(?:(?P<mult>[kKMB])\b|\s?(?P<word>thousand|million|billion)\b)?"
)
_SCALE = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000, "thousand": 1_000, "million": 1_000_000,
          "billion": 1_000_000_000}

_TRUE = {"yes", "y", "true", "t", "1", "✓", "✔", "☑", "✅", "on", "available", "in stock", "enabled",
         "active", "verified", "included"}
_FALSE = {"no", "n", "false", "f", "0", "✗", "✘", "×", "❌", "off", "none", "unavailable", "out of stock",
          "sold out", "disabled", "inactive", "not included"}
_BOOL_TRIM = re.compile(r"^[\s.,;:!()\[\]-]+|[\s.,;:!()\[\]-]+$")


def collapse(text: str) -> str:
    """Whitespace as a reader sees it: runs become one space, nothing at the ends."""
    return _WS.sub(" ", text).strip()


def parse_int(text: str) -> int | None:
    """The first integer in the text ("$89,500" -> 89500, "1." -> 1, "1.2k" -> 1200), or None."""
    m = _INT.search(text)
    if m is None:
        return None
    digits = re.sub(r"\D", "", m["num"])
    scale = m["mult"] or m["word"]
    if scale:
        whole = float(digits + (m["frac"] or ""))
        value = round(whole * _SCALE[scale.lower()])
    else:
        value = int(digits)
    return -value if m["sign"] else value


def parse_whole(text: str) -> int | None:
    """parse_int for an int field: None when the number has a fraction no scale explains ("$19.99")."""
    m = _INT.search(text)
    if m is not None and (m["frac"] or "").strip(".0") and not (m["mult"] or m["word"]):
        return None
    return parse_int(text)


def parse_bool(text: str) -> bool | None:
    """Yes/no words and check marks; None when the text is not a yes or a no."""
    word = _BOOL_TRIM.sub("", collapse(text).lower())
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    first = word.split(" ", 1)[0].rstrip(",.")
    if first in ("yes", "true"):
        return True
    if first in ("no", "false"):
        return False
    return None


def coerce(raw: str, type_: str) -> int | str | bool | None:
    """The raw text as an int or bool field's value, None when it holds none; other types get the text,
    which the row contract coerces (mantis.plans.values)."""
    if type_ == "int":
        return parse_whole(raw)
    if type_ == "bool":
        return parse_bool(raw)
    text = collapse(raw)
    return text or None

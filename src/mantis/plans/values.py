"""Values in the type an extraction field asks for, whoever read them (a model's JSON or a page's text).
A value that does not fit its type is None, which the row contract treats as empty: "$19.99" typed int is
not 19, it is no int at all."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from dateutil import parser as dateparser

# A number as pages write it: an optional sign, then either a decimal comma after groups of three split
# by dots or spaces ("1.234,50", "5,00"), two or more dots between groups of three ("1.234.567"), or
# groups of three split by commas, apostrophes or spaces with an optional decimal point ("1,299.99",
# "1'000", "19.99").
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<sign>[-−]?)(?:"
    r"(?P<eu>\d{1,3}(?:[.\u00a0\u202f ]\d{3})*,\d{1,2})(?![\d,])"
    r"|(?P<dots>\d{1,3}(?:\.\d{3}){2,})(?![\d.])"
    r"|(?P<us>\d{1,3}(?:[,'\u00a0\u202f]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d])"
    r")"
)

# Currency signs and the ISO 4217 code each stands for; a code written out (`EUR`, `usd`) is kept as is.
# The multi-character signs come first so `CA$` is not read as `$`.
CURRENCY_SIGNS = {"US$": "USD", "CA$": "CAD", "A$": "AUD", "NZ$": "NZD", "HK$": "HKD", "R$": "BRL",
                  "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB",
                  "₺": "TRY", "₪": "ILS", "₫": "VND", "₱": "PHP", "฿": "THB", "zł": "PLN"}
_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
# ISO 4217 codes seen on shopping and listing pages; a three-letter word outside this set is not money.
CURRENCY_CODES = frozenset({"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD",
                            "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "INR", "BRL", "MXN", "ZAR", "KRW",
                            "RUB", "TRY", "ILS", "AED", "SAR", "THB", "VND", "PHP", "IDR", "MYR"})

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_LIST_SPLIT = re.compile(r"\s*(?:[,;|•·\n])\s*")
_DATE_HINT = re.compile(r"\d{4}|\d{1,2}[/.-]\d{1,2}|[A-Za-z]{3,}", re.I)


def coerce(value: Any, type_: str) -> Any:
    """`value` as `type_`, or None when it holds no such value; coercing twice changes nothing."""
    if value is None or isinstance(value, dict):
        return None
    if type_ == "list[str]":
        return _strings(value)
    if isinstance(value, list):
        value = " ".join(map(str, value))
    if type_ == "str":
        text = value if isinstance(value, str) else json.dumps(value)
        return " ".join(text.split()) or None
    if type_ == "bool":
        return _bool(value)
    if isinstance(value, bool):
        return None
    match type_:
        case "int":
            number = _number(value)
            return int(number) if number is not None and number == number.to_integral_value() else None
        case "float":
            number = _number(value)
            return float(number) if number is not None else None
        case "decimal":
            return _money(value)
        case "date":
            found = _when(value)
            return found.date().isoformat() if found else None
        case "datetime":
            found = _when(value)
            return found.isoformat() if found else None
        case "url":
            return _url(value)
    raise ValueError(f"unknown field type {type_!r}")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, int | float):
        return Decimal(str(value)) if math.isfinite(value) else None
    m = _NUMBER.search(str(value))
    if m is None:
        return None
    if m["eu"]:
        digits = re.sub(r"[.\u00a0\u202f ]", "", m["eu"]).replace(",", ".")
    elif m["dots"]:
        digits = m["dots"].replace(".", "")
    else:
        digits = re.sub(r"[,'\u00a0\u202f]", "", m["us"])
    try:
        number = Decimal(digits)
    except InvalidOperation:
        return None
    return -number if m["sign"] else number


def _money(value: Any) -> str | None:
    """An exact amount as text, with the ISO currency when the value shows one: "19.99 USD"."""
    number = _number(value)
    if number is None:
        return None
    text = str(value)
    currency = next((code for sign, code in CURRENCY_SIGNS.items() if sign in text), None)
    if currency is None:
        currency = next((c for c in _CODE.findall(text.upper()) if c in CURRENCY_CODES), None)
    amount = format(number, "f")
    return f"{amount} {currency}" if currency else amount


def _when(value: Any) -> datetime | None:
    text = " ".join(str(value).split())
    if not text or isinstance(value, int | float) or not _DATE_HINT.search(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        found, skipped = dateparser.parse(text, fuzzy_with_tokens=True, default=_NO_YEAR)
    except (ValueError, OverflowError):
        return None
    said = " ".join(skipped).strip()
    if not isinstance(found, datetime) or found.year == _NO_YEAR.year or len(said) > len(text) / 2:
        return None  # no year given, or mostly words that are not a date
    return found


_NO_YEAR = datetime(1, 1, 1)  # dateutil's default: a parse that keeps its year found none


def _url(value: Any) -> str | None:
    text = str(value).strip()
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.netloc and " " not in text else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    return True if word in _TRUE else False if word in _FALSE else None


def _strings(value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
    texts = [" ".join(str(item).split()) for item in items if item is not None and not isinstance(item, dict)]
    kept = [text for text in texts if text]
    return kept or None



"""Field types beyond int / str / bool, coerced and checked in one place whichever brain read them: on a
page of the tests' own through the real server, in the model brains' answer schemas, and value by value."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Server

from mantis.brains.schemas import repair_rows, rows_schema
from mantis.plans.models import ExtractField, ExtractSpec
from mantis.plans.values import coerce

TYPED = [
    {"name": "price", "type": "decimal"},
    {"name": "weight", "type": "float"},
    {"name": "calibrated", "type": "date"},
    {"name": "last_reading", "type": "datetime"},
    {"name": "manual", "type": "url"},
    {"name": "tags", "type": "list[str]"},
]


def extract(server: Server, site: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    plan = [
        {"type": "navigate", "params": {"url": f"{site}/pages/typed_values.html"}},
        {"type": "extract_data", "extract": {"fields": fields}},
    ]
    body = {"micro": plan, "compute_backend": "browser_use_plane", "detached": False}
    response = server.predict(body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "succeeded", result["summary"]
    return dict(result["result"]["rows"][0])


def test_each_new_type_on_a_page(server: Server, site: str) -> None:
    row = extract(server, site, TYPED)
    assert row["_viable"] is True, row
    assert row["price"] == "19.99 USD"
    assert row["weight"] == 2.5
    assert row["calibrated"] == "2026-03-04"
    assert row["last_reading"] == "2026-03-04T09:30:00+00:00"
    assert row["manual"] == "https://docs.example.org/ax3.pdf"
    assert row["tags"] == ["wind", "outdoor", "battery"]


def test_a_value_that_does_not_fit_is_empty_not_truncated(server: Server, site: str) -> None:
    row = extract(server, site, [{"name": "price", "type": "int"}, {"name": "weight", "type": "date"}])
    assert row["price"] is None and row["weight"] is None
    assert row["_viable"] is False and row["_rejection"] == "missing_required:price,weight"


@pytest.mark.parametrize(
    ("value", "type_", "expected"),
    [
        ("$19.99", "int", None),
        ("$1,299", "int", 1299),
        (19.5, "int", None),
        ("1.234,50 €", "decimal", "1234.50 EUR"),
        ("CA$ 12", "decimal", "12 CAD"),
        ("12", "decimal", "12"),
        ("4,5", "float", 4.5),
        ("no number", "float", None),
        ("Dec 3, 2026", "date", "2026-12-03"),
        ("yesterday", "date", None),
        ("Price $19", "date", None),
        ("2026-12-03 10:30", "datetime", "2026-12-03T10:30:00"),
        ("/relative/path", "url", None),
        ("ftp://files.example/x", "url", None),
        ("a; b | c", "list[str]", ["a", "b", "c"]),
        ([], "list[str]", None),
        ("yes", "bool", True),
        ("maybe", "bool", None),
    ],
)
def test_coercion_checks_each_value(value: Any, type_: str, expected: Any) -> None:
    assert coerce(value, type_) == expected
    assert coerce(expected, type_) == expected  # coercing twice changes nothing


def test_model_brains_are_asked_for_the_same_types() -> None:
    fields = [ExtractField.model_validate(f) for f in TYPED]
    spec = ExtractSpec(fields=[*fields, ExtractField(name="n", type="int")])
    properties = rows_schema(spec)["properties"]["rows"]["items"]["properties"]
    assert properties["weight"]["type"] == ["number", "null"]
    assert properties["n"]["type"] == ["integer", "null"]
    assert properties["tags"] == {
        "type": ["array", "null"],
        "items": {"type": "string"},
        "description": "required; null when the page does not show it",
    }
    assert "YYYY-MM-DD" in properties["calibrated"]["description"]
    answer = {"rows": [{"price": "$19.99", "weight": "2.5", "calibrated": "2026-03-04", "last_reading": None,
                        "manual": "not a link", "tags": "a, b", "n": 19.99}]}
    assert repair_rows(answer, spec) == [
        {"price": "19.99 USD", "weight": 2.5, "calibrated": "2026-03-04", "last_reading": None,
         "manual": None, "tags": ["a", "b"], "n": None}
    ]

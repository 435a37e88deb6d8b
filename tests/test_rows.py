"""The extraction contract of the seed: viability, placeholders, leads, and consistent artifacts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from mantis.plans.models import ExtractSpec
from mantis.runner.rows import EMPTY_ROW, NO_SCHEMA, judge, leads, write_artifacts

SPEC = ExtractSpec.model_validate(
    {
        "schema_name": "hn_top5",
        "fields": [
            {"name": "rank", "type": "int", "required": True},
            {"name": "title", "type": "str", "required": True},
            {"name": "points", "type": "int", "required": False},
        ],
    }
)


@pytest.mark.parametrize(
    "placeholder",
    [
        "",
        "unknown",
        "<UNKNOWN>",
        " None ",
        "N/A",
        "na",
        "Not  Visible",
        "not shown",
        "NOT AVAILABLE",
        "tbd",
        None,
    ],
)
def test_placeholders_count_as_empty(placeholder: object) -> None:
    row = judge({"rank": 1, "title": placeholder}, SPEC)
    assert not row.viable and row.rejection == "missing_required:title"


def test_optional_fields_do_not_gate_and_are_kept() -> None:
    row = judge({"rank": 1, "title": "Hello", "points": None, "extra": "dropped"}, SPEC)
    assert row.viable and row.as_json() == {"rank": 1, "title": "Hello", "points": None, "_viable": True}
    assert row.lead() == "VIABLE | rank: 1 | title: Hello"


def test_zero_and_false_are_values() -> None:
    assert judge({"rank": 0, "title": "x"}, SPEC).viable


def test_a_row_with_every_field_empty_is_not_viable_even_when_none_is_required() -> None:
    spec = ExtractSpec.model_validate(
        {"fields": [{"name": "headline", "required": False}, {"name": "author", "required": False}]}
    )
    empty = judge({"headline": "n/a", "author": None}, spec)
    assert (empty.viable, empty.rejection) == (False, EMPTY_ROW)
    one = judge({"headline": "", "author": "Ned Deily"}, spec)
    assert one.viable and leads([empty, one]) == ["VIABLE | author: Ned Deily"]


def test_no_schema_rejects_every_row() -> None:
    row = judge({"url": "http://x"}, None)
    assert not row.viable and row.rejection == NO_SCHEMA


def test_artifacts_agree(tmp_path: Path) -> None:
    rows = [
        judge({"rank": 1, "title": "A, with comma", "points": 5}, SPEC),
        judge({"rank": 2, "title": "n/a"}, SPEC),
        judge({"rank": 3, "title": "C"}, SPEC),
    ]
    written = write_artifacts(tmp_path, rows)
    assert written == ["extracted_rows.json", "extracted_rows.csv", "leads.csv", "hn_top5.csv"]
    as_json = json.loads((tmp_path / "extracted_rows.json").read_text())
    assert [r["_viable"] for r in as_json] == [True, False, True]
    assert as_json[1]["_rejection"] == "missing_required:title"
    with (tmp_path / "extracted_rows.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert [r["title"] for r in table] == ["A, with comma", "n/a", "C"]
    with (tmp_path / "leads.csv").open() as fh:
        lead_rows = list(csv.DictReader(fh))
    assert (
        [r["lead"] for r in lead_rows]
        == leads(rows)
        == ["VIABLE | rank: 1 | title: A, with comma | points: 5", "VIABLE | rank: 3 | title: C"]
    )
    assert (tmp_path / "hn_top5.csv").read_text() == (tmp_path / "extracted_rows.csv").read_text()

"""The extraction contract: which rows are viable, their lead strings, and the row artifacts."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mantis.plans.models import ExtractSpec
from mantis.plans.values import coerce
from mantis.runner.files import write_json

# The seed's _UNKNOWN_PLACEHOLDERS: values that count as empty, compared case- and space-insensitively.
UNKNOWN_PLACEHOLDERS = frozenset(
    {"", "unknown", "<unknown>", "none", "n/a", "na", "not visible", "not shown", "not available", "tbd"}
)

NO_SCHEMA = "no_schema_configured"
# A row whose every field is empty says nothing, even when no field is required.
EMPTY_ROW = "empty_row"
# What makes a spreadsheet read a cell as a formula (OWASP, CSV Injection): =, +, -, @, tab, CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A schema's CSV is named after it: 60 characters of at most 4 UTF-8 bytes each, with ".csv", stay under
# the 255-byte file name that ext4 and most other file systems allow.
MAX_CSV_STEM_CHARS = 60


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool | int | float):
        return False
    return " ".join(str(value).split()).casefold() in UNKNOWN_PLACEHOLDERS


@dataclass
class Row:
    """One extracted row, with the columns of the schema that produced it."""

    values: dict[str, Any]
    columns: list[str]
    schema_name: str
    viable: bool
    rejection: str | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out = {name: self.values.get(name) for name in self.columns}
        out["_viable"] = self.viable
        if not self.viable:
            out["_rejection"] = self.rejection
        return out

    def lead(self) -> str:
        parts = [f"{name}: {_text(self.values.get(name))}" for name in self.columns]
        kept = [p for p, name in zip(parts, self.columns, strict=True) if not is_empty(self.values.get(name))]
        return " | ".join(["VIABLE", *kept])


def judge(values: dict[str, Any], spec: ExtractSpec | None, schema_name: str | None = None) -> Row:
    """Applies the schema: each value in its field's type (None when it does not fit), and a row is viable
    only when every required field, and at least one field, has a real value."""
    if spec is None:
        columns = list(values)
        return Row(values, columns, schema_name or "rows", viable=False, rejection=NO_SCHEMA)
    columns = [f.name for f in spec.fields]
    kept = {f.name: coerce(values.get(f.name), f.type) for f in spec.fields}
    missing = [f.name for f in spec.fields if f.required and is_empty(kept[f.name])]
    if missing:
        return Row(kept, columns, spec.schema_name, False, "missing_required:" + ",".join(missing))
    if all(is_empty(value) for value in kept.values()):
        return Row(kept, columns, spec.schema_name, False, EMPTY_ROW)
    return Row(kept, columns, spec.schema_name, True)


def reject(row: Row, reason: str) -> Row:
    """Marks a row not viable for a reason beyond its schema (a recipe's spam or dealer rule)."""
    return Row(row.values, row.columns, row.schema_name, False, reason, row.source)


def leads(rows: Iterable[Row]) -> list[str]:
    return [row.lead() for row in rows if row.viable]


def write_artifacts(run_dir: Path, rows: Sequence[Row]) -> list[str]:
    """Writes every row artifact and returns the file names written, so all of them always agree."""
    written = ["extracted_rows.json", "extracted_rows.csv", "leads.csv"]
    write_json(run_dir / "extracted_rows.json", [row.as_json() for row in rows])
    columns = _union_columns(rows)
    _write_csv(
        run_dir / "extracted_rows.csv", [*columns, "_viable", "_rejection"], [_csv_row(r) for r in rows]
    )
    _write_csv(
        run_dir / "leads.csv",
        [*columns, "lead"],
        [{**_csv_row(r), "lead": r.lead()} for r in rows if r.viable],
    )
    for schema_name in dict.fromkeys(row.schema_name for row in rows):
        mine = [r for r in rows if r.schema_name == schema_name]
        name = f"{_safe_name(schema_name)}.csv"
        if name in written:
            continue
        _write_csv(
            run_dir / name, [*_union_columns(mine), "_viable", "_rejection"], [_csv_row(r) for r in mine]
        )
        written.append(name)
    return written


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


def _csv_row(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {k: ("" if v is None else _text(v)) for k, v in row.values.items()}
    out["_viable"] = "true" if row.viable else "false"
    out["_rejection"] = row.rejection or ""
    return out


def _union_columns(rows: Iterable[Row]) -> list[str]:
    return list(dict.fromkeys(name for row in rows for name in row.columns))


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")
    return cleaned[:MAX_CSV_STEM_CHARS] or "rows"


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that starts like a formula gets a leading `'`
    (OWASP, CSV Injection). The JSON artifacts keep the exact value."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _write_csv(path: Path, columns: list[str], records: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([spreadsheet_safe(name) for name in columns])
        for record in records:
            writer.writerow([spreadsheet_safe(str(record.get(name, ""))) for name in columns])

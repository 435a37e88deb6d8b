"""A run's rows on standard output: a table for people (fits the terminal, internal columns hidden), or
JSON, JSON lines or CSV for the next program in the pipe (every field, `_viable` and `_rejection` too)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mantis.runner.rows import spreadsheet_safe

# The fields the API adds to every row; the table shows them as a mark and a note, not as columns.
VIABLE, REJECTION = "_viable", "_rejection"
# Widest a table cell grows before it is cut with an ellipsis: two such columns fit in 80 columns.
MAX_CELL = 36
# A long field name is cut to this when its values are shorter: it does not widen the column further.
HEADER_CELL = 10
# Narrowest a column is squeezed to before columns are left out: a short word and its ellipsis.
MIN_CELL = 6


class Output(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    """Every field in row order, the internal ones last."""
    names = list(dict.fromkeys(c for row in rows for c in row if c not in (VIABLE, REJECTION)))
    return [*names, VIABLE, REJECTION]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return " ".join(str(value).split())


def fit(natural: list[int], room: int) -> list[int]:
    """Column widths within `room` terminal cells: each squeezed by its share of the width above
    MIN_CELL, so long columns stay the longest; the columns that still do not fit are left out (the
    list comes back shorter)."""
    widths = [min(w, MAX_CELL) for w in natural]

    def total(ws: list[int]) -> int:  # each column's text, its two padding cells and one rule
        return sum(ws) + 3 * len(ws) - 3

    excess = total(widths) - room
    slack = sum(max(w - MIN_CELL, 0) for w in widths)
    if excess > 0 and slack:
        widths = [w - min(-(-excess * max(w - MIN_CELL, 0) // slack), max(w - MIN_CELL, 0)) for w in widths]
    while len(widths) > 1 and total(widths) > room:
        widths.pop()
    return widths


def table(rows: list[dict[str, Any]], room: int) -> tuple[Table, int]:
    """One line per row within `room` cells: a ✓ or ✗ for viability, rejected rows dimmed, long values
    cut with an ellipsis, never wrapped. Also says how many columns did not fit."""
    fields = columns_of(rows)[:-2]
    body = [[cell(row.get(c)) for c in fields] for row in rows]
    natural = [
        max(min(cell_len(name), HEADER_CELL), *(cell_len(line[i]) for line in body))
        for i, name in enumerate(fields)
    ]
    widths = fit([1, *natural], room)[1:]
    grid = Table(show_edge=False, pad_edge=False)
    grid.add_column("", no_wrap=True, width=1)
    for name, width in zip(fields, widths, strict=False):
        grid.add_column(Text(name), no_wrap=True, overflow="ellipsis", width=width)
    for row, line in zip(rows, body, strict=True):
        viable = bool(row.get(VIABLE))
        mark = Text("✓", style="green") if viable else Text("✗", style="red")
        grid.add_row(mark, *map(Text, line[: len(widths)]), style=None if viable else "dim")
    return grid, len(fields) - len(widths)


def rejections(rows: list[dict[str, Any]]) -> list[str]:
    """`row N: <reason>` for each row that is not viable, numbered from 1 as the table shows them."""
    return [
        f"row {n}: {row.get(REJECTION) or 'not viable'}"
        for n, row in enumerate(rows, start=1)
        if not row.get(VIABLE)
    ]


def show_table(console: Console, rows: list[dict[str, Any]]) -> None:
    viable = sum(1 for row in rows if row.get(VIABLE))
    console.print(Text(f"{len(rows)} rows, {viable} viable"))
    if rows:
        grid, hidden = table(rows, console.width)
        console.print(grid)
        if hidden:
            console.print(Text(f"{hidden} more columns do not fit: see --output csv or json", style="dim"))
    for line in rejections(rows):
        console.print(Text(f"✗ {line}", style="dim"))


def write(rows: list[dict[str, Any]], output: Output) -> None:
    """The rows in a machine format on stdout."""
    out = sys.stdout
    if output is Output.json:
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif output is Output.jsonl:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        writer = csv.writer(out, lineterminator="\n")
        names = columns_of(rows)
        writer.writerow([spreadsheet_safe(name) for name in names])
        writer.writerows([spreadsheet_safe(cell(row.get(name))) for name in names] for row in rows)
    out.flush()

"""Learned extraction: a program, learned from a page and the rows a model read from it, that reads the
same rows from a page of the same shape with no model call.

A list's records are found by structure: the elements reached from the list's container by one path of
tags (every `li` of a `ul`, every `tr` of a `tbody`, every card of a grid), or runs of `period`
consecutive such elements when one record spans several (a story over three table rows). Each field is
a locator relative to its record: which member, a path of tags down from it, which of the elements that
path reaches (counted from the start or the end), what to read there (the text, or an attribute such as
`href`), the literal words around the value ("Seller " before a name) and, in a table, the header of the
column. Classes are never read, so a page whose classes were renamed and that shows more records still
fits; a page whose structure changed does not, and says so (None) rather than guessing.

A program is kept only when it reproduces, from the page it was learned on, exactly the rows the model
returned; what it reads from a later page is validated like any rows (every value in its field's type,
every required field filled, every record the page shows counted), and rows that do not validate are
None too, so that the caller asks the model, whose answer teaches the program again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

from lxml.html import HtmlElement

from mantis.brains.base import Brain, Rows
from mantis.brains.offline.dom import Page, column_names, header_row, load, span
from mantis.brains.offline.values import collapse
from mantis.planes.base import Observation
from mantis.plans.extract import ExtractField, ExtractSpec
from mantis.plans.values import coerce
from mantis.replay.memory import EXTRACTION, Memory
from mantis.runner.rows import judge

VERSION = 1
# What a field may be read from besides the text: links and images (resolved to absolute URLs), the
# machine-readable time of a <time>, and the words an element carries for readers (alt, title).
_ATTRIBUTES = ("href", "src", "datetime", "title", "alt")
_URL_ATTRIBUTES = frozenset(("href", "src"))
# Longest text a typed value (number, date, amount) is looked for in: a value with a label around it
# ("12 points", "Posted 3 Dec 2026") fits with room to spare; longer texts are sections, not values,
# and reading dates out of each would cost dateutil time on every block of a large page.
_MAX_TYPED_TEXT = 200
# How much longer than its visible text an element's markup text may be: indentation and line breaks
# between tags, which collapse to single spaces (pretty-printed pages run to about 3x).
_RAW_WHITESPACE = 4
# Most characters of literal text around a value inside its element ("Seller ", " (used)"): a label,
# not a sentence.
_MAX_AFFIX = 40
# Candidates of the first row's anchor field tried as its record's anchor: the first few cover a
# value repeated elsewhere on the page (a title also in a breadcrumb) without trying every copy.
_MAX_ANCHORS = 6

# Programs a step keeps, one per page layout it met, newest first: a page served in two layouts (an A/B
# test, a list and its empty state) replays both with no call; a page that fits none costs one failed
# replay per program (milliseconds) before the model is asked.
VARIANTS = 3

Step = tuple[str, int]  # a tag and which of its parent's children with that tag, from 0


@dataclass(frozen=True)
class Locator:
    """Where one field of a record is: `read` is "text", "@attribute", "position" (the record's place in
    the list, for a rank the page does not print) or "absent" (the model found it on no record)."""

    read: str
    member: int = 0
    chain: tuple[str, ...] = ()
    index: int = 0
    prefix: str = ""
    suffix: str = ""
    column: str | None = None


@dataclass(frozen=True)
class Program:
    """A learned extraction, as JSON-serialisable as its `as_json` says."""

    spec: str  # the fingerprint of the ExtractSpec it was learned for
    single: bool  # one record, the page itself (max_items unset)
    container: tuple[Step, ...]  # from <body> to the list's container
    container_tag: str
    record: tuple[str, ...]  # tags from the container down to each record's first member
    start: int  # the first record's place among the elements `record` reaches
    period: int  # elements per record
    fields: tuple[tuple[str, Locator], ...]
    filled: tuple[str, ...]  # fields the model filled on every record it returned

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["version"] = VERSION
        body["fields"] = {name: asdict(loc) for name, loc in self.fields}
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Program | None:
        """The program a stored record holds; None for one of another version or not well formed."""
        if body.get("version") != VERSION:
            return None
        try:
            fields = tuple(
                (str(name), Locator(**{**loc, "chain": tuple(loc["chain"])}))
                for name, loc in dict(body["fields"]).items()
            )
            return cls(
                spec=str(body["spec"]),
                single=bool(body["single"]),
                container=tuple((str(tag), int(n)) for tag, n in body["container"]),
                container_tag=str(body["container_tag"]),
                record=tuple(map(str, body["record"])),
                start=int(body["start"]),
                period=int(body["period"]),
                fields=fields,
                filled=tuple(map(str, body["filled"])),
            )
        except (KeyError, TypeError, ValueError):
            return None


def fingerprint(spec: ExtractSpec) -> str:
    """What a program was learned for: the fields, their types and requirement, and the row cap."""
    return hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:16]


def learn(html: str, url: str, spec: ExtractSpec, rows: Sequence[Mapping[str, Any]]) -> Program | None:
    """A program that reads `rows` (the model's, in page order) from this page; None when no program of
    this form reproduces them exactly."""
    page = load(html, url)
    wanted = [{f.name: coerce(row.get(f.name), f.type) for f in spec.fields} for row in rows]
    if page is None or not wanted:
        return None
    longest = max((len(str(v)) for row in wanted for v in row.values() if v is not None), default=0)
    index = _Index(page, max(longest, _MAX_TYPED_TEXT))
    cands = [{f.name: index.candidates(f, row[f.name]) for f in spec.fields} for row in wanted]
    for layout in _layouts(page, spec, cands, index):
        program = _fields(page, spec, wanted, cands, layout)
        # Kept only when a replay of this very page gives the model's rows: all of them and no more,
        # each valid, so that the next run on the same page gives what this one did.
        if program is not None and not _skips(layout) and _replay(page, program, spec) == wanted:
            return program
    return None


def replay(program: Program, html: str, url: str, spec: ExtractSpec) -> Rows | None:
    """The rows the program reads from this page, with `shown` the records it shows; None when the page
    is not of the learned shape or the rows do not validate."""
    return replay_any([program], html, url, spec)


def _replay(page: Page, program: Program, spec: ExtractSpec) -> Rows | None:
    if program.single:
        return _validated(page, program, spec, [(page.body,)])
    stored = _at(page.body, program.container)
    if stored is not None and stored.tag == program.container_tag:
        rows = _validated(page, program, spec, _records(stored, program))
        if rows is not None:
            return rows
    # The list moved (a wrapper added around it, say): found by its structure alone, when only one
    # place on the page holds records of this shape.
    fits: list[Rows] = []
    for container in page.body.iter(program.container_tag):
        records = _records(container, program) if container is not stored else []
        rows = _validated(page, program, spec, records) if records else None
        if rows is not None:
            fits.append(rows)
            if len(fits) > 1:
                return None
    return fits[0] if fits else None


@dataclass(frozen=True)
class Extracted:
    """A step's rows and how they came: read by the step's program (`replayed`), or by the model, and
    whether a program was there to try (the model's answer then heals it)."""

    rows: list[dict[str, Any]]
    replayed: bool
    had_record: bool


async def extract(
    memory: Memory, step: str, spec: ExtractSpec, observation: Observation, intent: str, brain: Brain
) -> Extracted:
    """The rows one of the step's programs reads from the page when it fits and they validate, else
    the model's, which teach a program for this page too. Only runs with a model learn: the offline
    reader costs nothing to ask again. Learning and reading parse the page, so they run off the event
    loop."""
    html = observation.html if memory.models else None
    record = memory.recall(step, EXTRACTION) if html else None
    programs = programs_of(record)
    if html and programs:
        rows = await asyncio.to_thread(replay_any, programs, html, observation.url, spec)
        if rows is not None:
            return Extracted(rows, replayed=True, had_record=True)
    found = await brain.extract(spec, observation, intent)
    had = html is not None and memory.had(step, EXTRACTION)
    if html and memory.learning:
        program = await asyncio.to_thread(learn, html, observation.url, spec, found)
        if program is not None:
            # In `refresh` nothing was recalled, so the new program starts the record over.
            kept = [program, *(other for other in programs if other != program)][:VARIANTS]
            memory.learn(step, EXTRACTION, {"programs": [p.as_json() for p in kept]}, healed=had)
    return Extracted(found, replayed=False, had_record=had)


def programs_of(record: Mapping[str, Any] | None) -> list[Program]:
    """The programs a step's record holds, newest first; none of a malformed or older record."""
    if record is None or not isinstance(record.get("programs"), list):
        return []
    found = [Program.from_json(body) for body in record["programs"] if isinstance(body, Mapping)]
    return [program for program in found if program is not None]


def replay_any(programs: Sequence[Program], html: str, url: str, spec: ExtractSpec) -> Rows | None:
    """The rows of the first program the page fits, the page parsed once."""
    page = load(html, url)
    if page is None:
        return None
    for program in programs:
        rows = _replay(page, program, spec) if program.spec == fingerprint(spec) else None
        if rows is not None:
            return rows
    return None


# --- reading ------------------------------------------------------------------------------------------


def _validated(
    page: Page, program: Program, spec: ExtractSpec, records: list[tuple[HtmlElement, ...]]
) -> Rows | None:
    values = _read_all(page, program, spec, records)
    kept = [row for row in values if any(v is not None for v in row.values())]
    rows = Rows(kept[: spec.max_items or 1])
    if not rows or not all(judge(row, spec).viable for row in rows):
        return None
    # A field the model filled on every record that now no record fills: the layout changed under it.
    if any(all(row[name] is None for row in rows) for name in program.filled):
        return None
    rows.shown = len(kept)
    return rows


def _read_all(
    page: Page, program: Program, spec: ExtractSpec, records: list[tuple[HtmlElement, ...]]
) -> list[dict[str, Any]]:
    types = {f.name: f.type for f in spec.fields}
    return [
        {name: _value(page, record, loc, types[name], place) for name, loc in program.fields}
        for place, record in enumerate(records, 1)
    ]


def _value(page: Page, record: tuple[HtmlElement, ...], loc: Locator, type_: str, place: int) -> Any:
    if loc.read == "absent":
        return None
    if loc.read == "position":
        return coerce(place, type_)
    if loc.member >= len(record):
        return None
    found = _down(record[loc.member], loc.chain)
    if not -len(found) <= loc.index < len(found):
        return None
    el = found[loc.index]
    if loc.column is not None and _column(record[loc.member], loc.chain, el) != loc.column:
        return None
    text = _read(page, el, loc.read)
    if text is None or not (text.startswith(loc.prefix) and text.endswith(loc.suffix)):
        return None
    return coerce(text[len(loc.prefix) : len(text) - len(loc.suffix)], type_)


def _read(page: Page, el: HtmlElement, read: str) -> str | None:
    if read == "text":
        return collapse(el.text_content())
    raw = el.get(read[1:])
    if raw is None:
        return None
    return page.absolute(raw) if read[1:] in _URL_ATTRIBUTES else collapse(raw)


def _down(root: HtmlElement, chain: Sequence[str]) -> list[HtmlElement]:
    """The elements reached from `root` by `chain`, one child tag per step, in page order."""
    found = [root]
    for tag in chain:
        found = [child for el in found for child in el if child.tag == tag]
    return found


def _at(body: HtmlElement, path: Sequence[Step]) -> HtmlElement | None:
    el = body
    for tag, n in path:
        same = [child for child in el if child.tag == tag]
        if n >= len(same):
            return None
        el = same[n]
    return el


def _records(container: HtmlElement, program: Program) -> list[tuple[HtmlElement, ...]]:
    members = _down(container, program.record)
    p = program.period
    return [tuple(members[s : s + p]) for s in range(program.start, len(members), p)]


def _column(member: HtmlElement, chain: Sequence[str], el: HtmlElement) -> str | None:
    """The header naming the column a table cell (or what is in it) sits in, when the table has one."""
    if member.tag != "tr" or not chain or chain[0] not in ("td", "th"):
        return None
    cell = el
    while cell.getparent() is not member:
        cell = cell.getparent()
    header = header_row(member)
    if header is None or header is member:
        return None
    at = 0
    for other in member:
        if other is cell:
            break
        if other.tag in ("td", "th"):
            at += span(other)
    names = column_names(header)
    return names[at] if at < len(names) else None


# --- learning -----------------------------------------------------------------------------------------


Cand = tuple[HtmlElement, str, str, str]  # element, what is read there, the words before and after


class _Index:
    """The page's elements with what could be read from each, to find where a model's value came from.

    Texts longer than any value sought (with its label words) are never read: they are sections, and
    reading every ancestor's text of a large page costs more than the rest of the learning.
    """

    def __init__(self, page: Page, longest: int) -> None:
        self.page = page
        self.order = {el: i for i, el in enumerate(page.body.iter()) if isinstance(el.tag, str)}
        self.elements = list(self.order)
        self.texts = _short_texts(self.elements, _RAW_WHITESPACE * (longest + 2 * _MAX_AFFIX))
        self.attributes = [
            (el, "@" + attr, raw)
            for el in self.elements
            for attr in _ATTRIBUTES
            if el.get(attr) is not None and (raw := _read(page, el, "@" + attr))
        ]

    def candidates(self, field: ExtractField, value: Any) -> list[Cand]:
        """Where on the page `value` could have been read, in page order; of nested elements reading
        it, the lowest, and those above it whose whole text is the same."""
        if value is None:
            return []
        key, seen = _key(value), _evidence(value, field.type)
        matched = [
            el
            for el, text in self.texts.items()
            if text
            and (text == value if field.type == "str" else seen in text and len(text) <= _MAX_TYPED_TEXT)
            and (field.type == "str" or _key(coerce(text, field.type)) == key)
        ]
        kept = [
            (el, "text", "", "")
            for el in matched
            if all(self.texts[el] == self.texts[o] for o in matched if o is not el and self.inside(o, el))
        ]
        kept.extend(
            (el, read, "", "")
            for el, read, raw in self.attributes
            if seen in raw and _key(coerce(raw, field.type)) == key
        )
        if field.type == "str" and isinstance(value, str):
            kept.extend(self._within(value))
        return sorted(kept, key=lambda cand: self.order[cand[0]])

    def _within(self, value: str) -> Iterator[Cand]:
        """The lowest elements whose text holds `value` between a few literal words."""
        for el, text in self.texts.items():
            at = text.find(value)
            if at < 0 or text == value or len(text) - len(value) > 2 * _MAX_AFFIX:
                continue
            prefix, suffix = text[:at], text[at + len(value) :]
            if len(prefix) > _MAX_AFFIX or len(suffix) > _MAX_AFFIX:
                continue
            if not any(value in self.texts.get(child, "") for child in el):
                yield el, "text", prefix, suffix

    def inside(self, el: HtmlElement, ancestor: HtmlElement) -> bool:
        parent = el.getparent()
        while parent is not None:
            if parent is ancestor:
                return True
            parent = parent.getparent()
        return False


def _short_texts(elements: list[HtmlElement], cap: int) -> dict[HtmlElement, str]:
    """Each element's visible text, for those whose markup holds at most `cap` characters of text
    (counted bottom-up, so a long section is never joined into one string)."""
    size: dict[HtmlElement, int] = {}
    for el in reversed(elements):
        size[el] = len(el.text or "") + sum(size.get(c, 0) + len(c.tail or "") for c in el)
    return {el: collapse(el.text_content()) for el in elements if size[el] <= cap}


def _evidence(value: Any, type_: str) -> str:
    """What a text must hold to read as `value` in this type, checked before the costlier coercion:
    the last digits of a number's whole part (so "1,234" is found for 1234), a date's year's last two
    digits ("3/12/26" and "2026-12-03" both), a list's first item, else the value itself."""
    text = str(value)
    if type_ in ("int", "float", "decimal"):
        whole = text.split()[0].split(".")[0].lstrip("-")
        return whole[-3:]
    if type_ in ("date", "datetime"):
        return text[2:4]
    if type_ == "list[str]" and isinstance(value, list) and value:
        return str(value[0])
    if type_ == "bool":
        return ""
    return text


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass
class _Layout:
    container: HtmlElement
    record: tuple[str, ...]
    start: int
    period: int
    records: list[tuple[HtmlElement, ...]]  # those of the model's rows, in order


def _layouts(
    page: Page, spec: ExtractSpec, cands: list[dict[str, list[Cand]]], index: _Index
) -> Iterator[_Layout]:
    """Ways the page's records could be laid out that put each row in a record of its own, the tightest
    records first."""
    if spec.max_items is None:
        yield _Layout(page.body, (), 0, 1, [(page.body,)])
        return
    anchors = [f.name for f in spec.fields if all(c[f.name] for c in cands)]
    if not anchors:
        return
    anchor = min(anchors, key=lambda name: sum(len(c[name]) for c in cands))
    found: dict[tuple[Any, ...], _Layout] = {}
    for first, *_ in cands[0][anchor][:_MAX_ANCHORS]:
        lineage = _lineage(first, page.body)
        for depth, top in enumerate(lineage):
            tags = tuple(el.tag for el in reversed(lineage[:depth]))
            tops = _tops(top, tags, depth, [c[anchor] for c in cands[1:]], index)
            layout = _layout(tops, index) if tops is not None else None
            if layout is not None:
                found.setdefault((layout.container, layout.record, layout.start, layout.period), layout)
    # One element per record before records of several: three cells of a table row are its row.
    yield from sorted(found.values(), key=lambda layout: layout.period > 1)


def _skips(layout: _Layout) -> bool:
    """Whether records of several elements step over elements built like records themselves: a model
    that left every other card out, which no program of this form reproduces on another page. The parts
    of a record spread over several rows differ in build (a title row, a row of figures, a spacer)."""
    first, *rest = layout.records[0]
    return any(_shape(other) == _shape(first) for other in rest)


def _shape(el: HtmlElement) -> frozenset[tuple[str, ...]]:
    """How an element is built: the tag paths down to everything inside it, classes left out."""
    paths: set[tuple[str, ...]] = set()
    stack: list[tuple[HtmlElement, tuple[str, ...]]] = [(el, (str(el.tag),))]
    while stack:
        node, path = stack.pop()
        paths.add(path)
        stack.extend((child, (*path, str(child.tag))) for child in node if isinstance(child.tag, str))
    return frozenset(paths)


def _lineage(el: HtmlElement, top: HtmlElement) -> list[HtmlElement]:
    """The element and its ancestors below `top`, nearest first (up to the root when `top` is none of
    them)."""
    found = []
    while el is not None and el is not top:
        found.append(el)
        el = el.getparent()
    return found


def _tops(
    first: HtmlElement, tags: tuple[str, ...], depth: int, others: list[list[Cand]], index: _Index
) -> list[HtmlElement] | None:
    """For each later row, the element `depth` levels above one of its anchor's candidates, reached by
    the same tags and after the previous row's, so rows stay in page order."""
    tops = [first]
    for cands in others:
        last = index.order[tops[-1]] + sum(1 for _ in tops[-1].iter()) - 1  # past everything inside
        nxt = None
        for el, *_ in cands:
            lineage = _lineage(el, index.page.body)
            if len(lineage) <= depth:
                continue
            top = lineage[depth]
            if index.order[top] > last and tuple(e.tag for e in reversed(lineage[:depth])) == tags:
                nxt = top
                break
        if nxt is None:
            return None
        tops.append(nxt)
    return tops


def _layout(tops: list[HtmlElement], index: _Index) -> _Layout | None:
    container = tops[0].getparent()
    while container is not None and not all(index.inside(top, container) for top in tops):
        container = container.getparent()
    if container is None:
        return None
    paths = {tuple(e.tag for e in reversed(_lineage(top, container))) for top in tops}
    if len(paths) != 1:
        return None
    path = paths.pop()
    members = _down(container, path)
    at = [members.index(top) for top in tops]
    steps = {b - a for a, b in pairwise(at)} or {1}
    if len(steps) != 1 or min(steps) < 1:
        return None
    period = steps.pop()
    records = [tuple(members[s : s + period]) for s in at]
    if period > 1 and any(len({m.getparent() for m in record}) > 1 for record in records):
        return None  # a record of several elements is a run of siblings, not pieces of several parents
    return _Layout(container, path, at[0], period, records)


def _fields(
    page: Page,
    spec: ExtractSpec,
    rows: list[dict[str, Any]],
    cands: list[dict[str, list[Cand]]],
    layout: _Layout,
) -> Program | None:
    """The program for this layout: one locator per field that reads every row's value from its record."""
    fields: list[tuple[str, Locator]] = []
    for f in spec.fields:
        values = [row[f.name] for row in rows]
        options: set[Locator] | None = None
        for value, row_cands, record in zip(values, cands, layout.records, strict=True):
            if value is not None:
                found = set(_locators(row_cands[f.name], record))
                options = found if options is None else options & found
        if options is None:
            ranked = [Locator("absent")]
        else:
            ranked = sorted(options, key=_preference)
            if values == [coerce(place, f.type) for place in range(1, len(values) + 1)]:
                ranked.append(Locator("position"))
        chosen = next(
            (
                loc
                for loc in ranked
                if [
                    _value(page, record, loc, f.type, place) for place, record in enumerate(layout.records, 1)
                ]
                == values
            ),
            None,
        )
        if chosen is None:
            return None
        fields.append((f.name, chosen))
    body_path = _path(page.body, layout.container)
    return Program(
        spec=fingerprint(spec),
        single=spec.max_items is None,
        container=body_path,
        container_tag=str(layout.container.tag),
        record=layout.record,
        start=layout.start,
        period=layout.period,
        fields=tuple(fields),
        filled=tuple(f.name for f in spec.fields if all(row[f.name] is not None for row in rows)),
    )


def _locators(cands: list[Cand], record: tuple[HtmlElement, ...]) -> Iterator[Locator]:
    """Each way to reach a candidate from its record: counted from the first or from the last."""
    for el, read, prefix, suffix in cands:
        for member_at, member in enumerate(record):
            lineage = _lineage(el, member) if el is not member else []
            if el is not member and (not lineage or lineage[-1].getparent() is not member):
                continue
            chain = tuple(e.tag for e in reversed(lineage))
            found = _down(member, chain)
            at = next(i for i, other in enumerate(found) if other is el)
            column = _column(member, chain, el)
            for index in (at, at - len(found)):
                yield Locator(read, member_at, chain, index, prefix, suffix, column)


def _preference(loc: Locator) -> tuple[int, ...]:
    """Text before attributes, no label words before some, the first of its kind, the shortest path."""
    return (
        loc.read != "text",
        bool(loc.prefix or loc.suffix),
        loc.index < 0,
        abs(loc.index),
        len(loc.chain),
        loc.member,
    )


def _path(body: HtmlElement, el: HtmlElement) -> tuple[Step, ...]:
    steps: list[Step] = []
    while el is not body:
        parent = el.getparent()
        steps.append((str(el.tag), [c for c in parent if c.tag == el.tag].index(el)))
        el = parent
    return tuple(reversed(steps))

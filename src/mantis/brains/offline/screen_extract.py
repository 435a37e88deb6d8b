"""Offline extraction on a vision-only plane: rows read from what the screen shows.

The computer plane sees OCR'd phrases with boxes, never a DOM. The page's visual structure is rebuilt
from the boxes as a small synthetic HTML document, which `extract_rows` then reads like any page, so
both planes map fields with one algorithm:

- blocks: a recursive cut along the widest whitespace (a header, a sidebar beside results, rows of a
  grid and the cards in them), nested divs in reading order; rows that line up in columns holding one
  kind of value each become a table, with a header row or row labels when it has them;
- lines: wrapped lines of a paragraph are joined again; the biggest line of a block, by font size
  estimated from box height and width, is its heading (the page's biggest, the h1);
- values: a line is split where the page would have had elements ("412 points · by pg · 3 hours ago",
  "Mileage 82,852 mi"), by the schema's own vocabulary, so a label names the value beside it.

Links cannot be seen, so URL fields stay empty unless a URL is printed on the page.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from itertools import pairwise

from htmldate.extractors import try_date_expr
from htmldate.settings import MIN_DATE

from mantis.brains.offline.extract import extract_rows
from mantis.brains.offline.vocab import (
    BYLINE_WORDS,
    DATE_PATTERN,
    GENERIC,
    NUMERIC,
    STOP,
    Matcher,
    field_info,
    tokens,
)
from mantis.planes.base import Element, Observation
from mantis.plans.extract import NUMERIC_TYPES
from mantis.plans.models import ExtractField, ExtractSpec

Row = dict[str, object]
Gap = tuple[float, float]

# How far glyphs reach above and below the baseline, in ems (sans-serif web fonts, roughly): a box's
# height is the reach of the tallest glyph plus that of the deepest, so the text tells its font size.
_X_HEIGHT = 0.55
_CAP = 0.73
_RISE = {**dict.fromkeys("bdfhklij()[]{}|/\\", 0.76), "t": 0.7, "$": 0.8}
_DROP = {**dict.fromkeys("gjpqy", 0.23), **dict.fromkeys(",;Q", 0.12), **dict.fromkeys("()[]{}|$", 0.13),
         "@": 0.17}
# How wide glyphs are, in ems: the width of a box bounds the size its height suggests.
_ADVANCE = {" ": 0.3, **dict.fromkeys("ijlI.,:;!|'`", 0.27), **dict.fromkeys("ftr()[]-", 0.38),
            **dict.fromkeys("mwMW", 0.85)}
_WIDTH_SLACK = 1.15  # bold and letter-spaced text runs wide; only a box far taller than wide is wrong

# A form field's placeholder under its label: within this many of the label's ems below it and to the
# right of its end, and indented by the box's padding, at least this many ems (the label is flush with
# the box; a table's repeated values are flush with each other).
_FIELD_GAP = 3.0
_FIELD_PAD = 0.2
_CORE = 0.15  # of a box's height, trimmed off its top and bottom when finding lines
_MIN_COLUMN_GAP = 0.9  # ems of empty space between columns (OCR already splits phrases at about 1)
_ROW_BIAS = 0.5  # a row gap this share of the widest column gap still cuts rows first (reading order)
_EVEN = 0.9  # gaps this close to the widest are cut at once (a list's even spacing)
_NEST = 0.5  # a part cut the same way by a gap at least this share as wide holds siblings of its own
_NEST_ROWS = 0.75  # the same for rows: a list's items, not the lines of its first item
_PEEL = 1.25  # a first or last item this much taller than the others has a heading or footer in it
_ALIGNED = 0.5  # the share of lines at the height of a line across a gutter that makes it a grid's
_TABLE_ROWS = 0.4  # the share of one-line rows spanning two columns or more that makes a table
_LINED_UP = 0.65  # the share of a table column's cells that share an edge (OCR drops words)
_UNEVEN = 2.5  # row gaps this much wider than the usual one are no table's
_TABLE_MARGIN = 0.2  # how much more alike rows may be than columns in a table (labels beside values)
_ALIGN = 0.6  # ems between the left edges (or the middles) of lines of one paragraph or heading
_SAME_SIZE = 1.15  # font sizes within this ratio are alike, for lines of a paragraph or a column
_TIE = 0.97  # sizes this close are the same, for the first of a block's biggest lines
_HEADING_STEP = 1.1  # how much bigger than the rest of its block a heading is
_H1_STEP = 1.25  # how much bigger than the page's body text its title is
# A line this long or shorter that reads as a date is a dateline ("Dienstag, 29. Januar 2019",
# "Autor: kinra Artikel veröffentlicht am 16.12.2012"); a longer one is a paragraph that mentions a
# day. 80 characters: the longest datelines of the bench's real pages run to about 60.
_DATELINE_CHARS = 80
# A dateline this many of the headline's ems above or below it may be the headline's (on the bench's
# real pages the two are 1 to 3.5 ems apart, a disclaimer between them at most).
_DATE_REACH = 4.0
# A headline's margin to the standfirst under it, in the headline's ems: about one on the bench's pages.
_DECK_GAP = 1.5
# A title has words: OCR of a picture reads runs of one to four letters ("Bes", "in f" on the bench's
# pages), and the shortest titles there have five ("Fotos"). A row of share icons read as one line has
# more letters but no word ("wv in f"): a title's longest word has three letters or more ("Up in the air").
_TITLE_LETTERS = 5
_TITLE_WORD = 3
# A menu's entries are short ("PR & Kooperation", "Editors Choice"), and a row holds three or more.
_MENU_WORDS = 3
# A byline opens with a short lead-in ("Posted by", "Recipe by", "Fotos von"); after more words a "by" is
# a sentence's ("The intense smoke was detected by NASA", "blog comments powered by Disqus" on the
# bench's pages).
_BYLINE_LEAD = 2
_MENU_MATES = 2

_LABEL = re.compile(r"^[^\W\d][^:]{0,28}[^\W\d]:(?:\s|$)")  # "Seller type: Private", not "8:10 AM"
_SEPARATOR = re.compile(r"\s+(?:[·|•]|-(?![$€£\d]))\s+")  # OCR often reads a "·" as "-"
_COMMON = ("age", "date", "phone", "email", "rating")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\b\.?)?(?:\s+[A-Z]{2,4}\b)?")  # "8:10 AM ET"
_BEFORE_COUNT = re.compile(r"(?<=[^\W\d])\s+(?=\d[\d,]*\s+[^\W\d])")  # "Becker 71 Kommentare", not "Mai 2019"
# Program code: names joined by a dot or an underscore, or called ("wait.until(", "find_element", ".text"),
# the left name of two letters or more ("U.S.", "e.g." are prose); and code's brackets or "=" in the line.
_CODE_WORD = re.compile(r"[^\W\d]{2}[._][^\W\d]|[^\W\d]\(|^\.[^\W\d]")
_CODE_MARK = re.compile(r"[()\[\]{}=]")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[\w/]")
_AMOUNT = re.compile(r"(?<![\w.,])[$€£#]?\d[\d,.]*[kKM]?\+?\s+([A-Za-z]+)\b")


@dataclass(eq=False)
class _Phrase:
    text: str
    left: float
    top: float
    right: float
    bottom: float
    em: float  # estimated font size

    @property
    def letters(self) -> int:
        return sum(ch.isalpha() for ch in self.text)

    @property
    def upper(self) -> float:
        """The top of the box's core: OCR boxes of neighbouring lines often touch."""
        return self.top + _CORE * (self.bottom - self.top)

    @property
    def lower(self) -> float:
        return self.bottom - _CORE * (self.bottom - self.top)


@dataclass(eq=False)
class _Node:
    """A block of the page: a leaf of phrases, or children stacked down ("y"), side by side ("x"),
    or the rows of a table ("t")."""

    own: list[_Phrase] = field(default_factory=list)
    axis: str = ""
    children: list[_Node] = field(default_factory=list)
    gap: float = 0.0  # the whitespace between the children
    columns: list[Gap] = field(default_factory=list)  # a table's gutters

    @property
    def phrases(self) -> list[_Phrase]:
        return self.own if not self.axis else [p for c in self.children for p in c.phrases]


def extract_from_screen(observation: Observation, spec: ExtractSpec, intent: str = "") -> list[Row]:
    """Rows keyed by every field of the spec, read from the OCR'd text and its layout on the screen:
    up to max_items list items in reading order, or the page's one record."""
    phrases = _phrases(observation.elements)
    if not phrases:
        return [] if spec.max_items else [{f.name: None for f in spec.fields}]
    return extract_rows(_page_html(phrases, spec), spec, observation.url, intent)


def _page_html(phrases: list[_Phrase], spec: ExtractSpec) -> str:
    """The synthetic document the phrases make."""
    # The screen's width is unknown; the rightmost text's edge, and a word more, stands in for it.
    root = _build(phrases, max(p.right for p in phrases) + 2 * statistics.median(p.em for p in phrases),
                  _body_size(phrases))
    return f"<html><body>{_Writer(root, spec).node(root)}</body></html>"


# --- phrases ----------------------------------------------------------------------------------------


def _phrases(elements: list[Element]) -> list[_Phrase]:
    found: list[_Phrase] = []
    for e in elements:
        if e.box is None or e.box[2] <= 0 or e.box[3] <= 0:
            continue
        x, y, w, h = e.box
        text = " ".join(e.name.split())
        if any(ch.isalnum() for ch in text):
            found.append(_Phrase(text, x, y, x + w, y + h, _em(text, h)))
    # A box can come out too tall (a border read with the text); the text's width bounds its size.
    widths = [(p.right - p.left) / _advance(p.text) for p in found]
    ratios = [w / p.em for w, p in zip(widths, found, strict=True) if len(p.text) >= 4]
    if ratios:
        usual = statistics.median(ratios)
        for p, w in zip(found, widths, strict=True):
            p.em = min(p.em, _WIDTH_SLACK * w / usual)
    kept = [p for p in found if not _speck(p, found)]
    fields = {id(p) for pair in _form_fields(kept) for p in pair}
    return [p for p in kept if id(p) not in fields]


def _form_fields(phrases: list[_Phrase]) -> list[tuple[_Phrase, _Phrase]]:
    """A form's empty fields: a label with the same words again right under it, indented by the box's
    padding (the placeholder in the box). What a person types into is none of the page's content, and
    read as text the label would name the next block ("Name" naming the "E-Mail" fields)."""
    alike: dict[str, list[_Phrase]] = {}
    for p in phrases:
        alike.setdefault(p.text.casefold(), []).append(p)
    return [(a, b) for same in alike.values() if len(same) > 1 for a in same for b in same
            if b.em <= _SAME_SIZE * a.em and 0 <= b.top - a.bottom <= _FIELD_GAP * a.em
            and a.left + _FIELD_PAD * a.em <= b.left <= a.right + _FIELD_GAP * a.em]


def _em(text: str, height: float) -> float:
    """The font size a box of this height means for this text."""
    rise = max(_RISE.get(ch, _CAP if ch.isupper() or ch.isdigit() or not ch.isascii() else _X_HEIGHT)
               for ch in text)
    return height / (rise + max(_DROP.get(ch, 0.0) for ch in text))


def _advance(text: str) -> float:
    """The text's width in ems, roughly, in a proportional font."""
    return sum(_ADVANCE.get(ch, 0.68 if ch.isupper() else 0.58 if ch.isdigit() else 0.54) for ch in text)


def _speck(phrase: _Phrase, others: list[_Phrase]) -> bool:
    """A lone small letter, or a letter or two far from any other text: OCR reading an icon, an
    arrow or a border."""
    if len(phrase.text) == 1 and phrase.text.islower():
        return True
    if sum(ch.isalnum() for ch in phrase.text) > 2 or any(ch.isdigit() for ch in phrase.text):
        return False
    reach = 2 * (phrase.bottom - phrase.top)
    return not any(o is not phrase and _distance(phrase, o) <= reach for o in others)


def _distance(a: _Phrase, b: _Phrase) -> float:
    return max(b.left - a.right, a.left - b.right, b.top - a.bottom, a.top - b.bottom, 0.0)


# --- blocks -----------------------------------------------------------------------------------------


def _gaps(spans: list[tuple[float, float]]) -> list[Gap]:
    """The empty stretches between spans on one axis."""
    ordered = sorted(spans)
    gaps: list[Gap] = []
    reach = ordered[0][1]
    for lo, hi in ordered[1:]:
        if lo > reach:
            gaps.append((reach, lo))
        reach = max(reach, hi)
    return gaps


def _width(gap: Gap) -> float:
    return gap[1] - gap[0]


def _parts(phrases: list[_Phrase], cuts: list[Gap], axis: str) -> list[list[_Phrase]]:
    ends = [end for _, end in cuts]
    parts: list[list[_Phrase]] = [[] for _ in range(len(cuts) + 1)]
    for p in phrases:
        parts[bisect_right(ends, p.upper if axis == "y" else p.left)].append(p)
    return parts


def _column_gaps(phrases: list[_Phrase], wide: float) -> list[Gap]:
    return [g for g in _gaps([(p.left, p.right) for p in phrases]) if _width(g) >= wide]


def _body_size(phrases: list[_Phrase]) -> float:
    """The font size of the page's body text: the median over its characters, not its lines."""
    return statistics.median(p.em for p in phrases for _ in p.text)


def _build(phrases: list[_Phrase], limit: float, body: float) -> _Node:
    """Recursive XY cut of the page along its whitespace, into a tree of blocks in reading order;
    `limit` is how far right the block's column reaches, for telling wrapped lines, and `body` the
    size of the page's body text, for telling a heading's."""
    if len(phrases) == 1:
        return _Node(phrases)
    em = statistics.median(p.em for p in phrases)
    rows = _gaps([(p.upper, p.lower) for p in phrases])
    cols = _column_gaps(phrases, _MIN_COLUMN_GAP * em)
    if not rows and not cols:  # one line, in pieces closer than a gutter: "3 bds | 2 ba | 1,850 sqft"
        return _Node([_merge(phrases)])
    axis, cuts = _cut(phrases, rows, cols, em)
    parts = _parts(phrases, cuts, "y" if axis == "t" else axis)
    if axis == "t":  # rows of cells, each cell's pieces one phrase
        return _Node(axis="t", columns=cols, children=[
            _Node([_merge(cell) for cell in _parts(part, cols, "x") if cell]) for part in parts])
    children: list[_Node] = []
    for i, part in enumerate(parts):
        # Text in a column runs at most to the middle of the gutter before the next column.
        end = (max(p.right for p in part) + min(p.left for p in parts[i + 1])) / 2 \
            if axis == "x" and i + 1 < len(parts) else limit
        child = _build(part, end, body)
        # A part cut the same way by a gap about as wide is made of siblings: more cards of the row.
        share = _NEST if axis == "x" else _NEST_ROWS
        nested = child.axis != axis or child.gap < share * _width(cuts[0])
        children.extend([child] if nested else child.children)
    return _Node(axis=axis, children=_join_wraps(children, limit, body) if axis == "y" else children,
                 gap=_width(cuts[0]))


def _merge(line: list[_Phrase]) -> _Phrase:
    """Pieces of one line read as one phrase, left to right."""
    line = sorted(line, key=lambda p: p.left)
    return _Phrase(" ".join(p.text for p in line), line[0].left, min(p.top for p in line),
                   max(p.right for p in line), max(p.bottom for p in line),
                   statistics.median(p.em for p in line))


def _cut(phrases: list[_Phrase], rows: list[Gap], cols: list[Gap], em: float) -> tuple[str, list[Gap]]:
    """How to split a block: around a stretch of columns first (a header over a sidebar and results);
    into table rows when the columns are cells of rows; between columns that are flows of their own
    (a sidebar beside results) or far apart; else along the widest row gaps, so that a grid of cards
    reads row by row."""
    region = _region(phrases, rows, em)
    if region:
        return "y", region
    widest_row = max((_width(g) for g in rows), default=0.0)
    # A table's rows are evenly spaced; wider gaps set apart blocks that may each be one.
    even = bool(rows) and widest_row <= _UNEVEN * statistics.median(map(_width, rows))
    if even and cols and _tabular(phrases, rows, cols):
        return "t", rows
    split = [g for g in rows if _width(g) >= _EVEN * widest_row]
    if cols:
        # Of several gutters, split first where the two sides do not line up: a sidebar beside results
        # is a flow of its own, while the gutters inside a grid of cards are all alike.
        scored = [(_aligned(*_beside(phrases, g, em)), g) for g in cols]
        aligned, best = max(scored, key=lambda s: _width(s[1]) * (1 - s[0]))
        # A row gap below which only one side goes on is where a sidebar ends, not a row of cards.
        ends = any(all(p.right <= best[0] for p in part) or all(p.left >= best[1] for p in part)
                   for part in _parts(phrases, split, "y"))
        # Columns far apart are split first, when both run about the block's height (cards of a row).
        tall = min(map(_extent, _parts(phrases, [best], "x"))) >= 0.5 * _extent(phrases)
        far = widest_row < _ROW_BIAS * max(map(_width, cols))
        if not rows or (aligned < _ALIGNED and ends) or (tall and far):
            return "x", [best]
    return "y", _peel(phrases, rows, split)


def _peel(phrases: list[_Phrase], rows: list[Gap], split: list[Gap]) -> list[Gap]:
    """The items of a list are about as tall as each other; a first part much taller is a heading
    run into the first item (a last one, the list's footer), and is cut where the item begins."""
    parts = _parts(phrases, split, "y")
    if len(parts) < 3:
        return split
    usual = statistics.median(map(_extent, parts))
    extra: list[Gap] = []
    for part, top in ((parts[0], False), (parts[-1], True)):
        inner = [g for g in rows if min(p.upper for p in part) < g[0] and g[1] < max(p.lower for p in part)]
        if _extent(part) < _PEEL * usual or not inner:
            continue
        best = min(inner, key=lambda g: abs(_extent(_parts(part, [g], "y")[0 if top else 1]) - usual))
        if abs(_extent(_parts(part, [best], "y")[0 if top else 1]) - usual) <= (_PEEL - 1) * usual:
            extra.append(best)
    return sorted(split + extra)


def _extent(phrases: list[_Phrase]) -> float:
    return max(p.bottom for p in phrases) - min(p.top for p in phrases)


def _region(phrases: list[_Phrase], rows: list[Gap], em: float) -> list[Gap]:
    """The row gaps around the longest run of lines that one gutter runs through, when that run is not
    the whole block: a header above a sidebar and results is a block of its own."""
    bands = [sorted(band, key=lambda p: p.left) for band in _parts(phrases, rows, "y")]
    wide = _MIN_COLUMN_GAP * em
    best = (0, 0, 0)
    runs: list[tuple[int, int, Gap]] = []
    for start, band in enumerate(bands):
        for gutter in _column_gaps(band, wide):
            if any(first <= start <= last and gutter[0] < seen[1] and seen[0] < gutter[1]
                   for first, last, seen in runs):
                continue  # a gutter already followed from a line above
            first = last = start
            for step in (-1, 1):  # the lines above and below that leave the gutter free
                at = start + step
                while 0 <= at < len(bands):
                    free = _free(gutter, bands[at])
                    if _width(free) < wide:
                        break
                    gutter, at = free, at + step
                first, last = (at + 1, last) if step < 0 else (first, at - 1)
            runs.append((first, last, gutter))
            run = bands[first:last + 1]
            # A gutter between two pills of one line is no column: columns go on for lines.
            lo, hi = gutter
            sided = sum(any(p.right <= lo for p in b) and any(p.left >= hi for p in b) for b in run)
            held = sum(map(len, run))
            if sided >= 2 and held > best[0]:
                best = (held, first, last)
    held, first, last = best
    if not held or (first == 0 and last == len(bands) - 1):
        return []
    return ([rows[first - 1]] if first else []) + ([rows[last]] if last + 1 < len(bands) else [])


def _free(gutter: Gap, band: list[_Phrase]) -> Gap:
    """The widest part of the gutter that the band's phrases (left to right) leave empty."""
    lo, hi = gutter
    best = (lo, lo)
    for p in band:
        if p.left >= hi:
            break
        if p.left > lo and p.left - lo > _width(best):
            best = (lo, p.left)
        lo = max(lo, p.right)
    return (lo, hi) if hi - lo > _width(best) else best


def _beside(phrases: list[_Phrase], gutter: Gap, em: float) -> tuple[list[_Phrase], list[_Phrase]]:
    """The columns on either side of a gutter, split off by gutters at least half as wide."""
    wide = max(_MIN_COLUMN_GAP * em, _width(gutter) / 2)
    left, right = _parts(phrases, [gutter], "x")
    return (_parts(left, _column_gaps(left, wide), "x")[-1],
            _parts(right, _column_gaps(right, wide), "x")[0])


def _aligned(a: list[_Phrase], b: list[_Phrase]) -> float:
    """The share of lines on the sparser side at the height of a line on the other side, over the
    stretch where both sides have lines (a heading above one column does not count)."""
    top = max(min(p.top for p in a), min(p.top for p in b))
    bottom = min(max(p.bottom for p in a), max(p.bottom for p in b))
    a = [p for p in a if top <= p.top and p.bottom <= bottom]
    b = [p for p in b if top <= p.top and p.bottom <= bottom]
    if not a or not b:
        return 0.0
    few, many = sorted((a, b), key=len)
    middles = sorted((p.top + p.bottom) / 2 for p in many)
    hits = 0
    for p in few:
        middle = (p.top + p.bottom) / 2
        at = bisect_right(middles, middle)
        hits += min(abs(m - middle) for m in middles[max(at - 1, 0):at + 1]) <= 0.3 * p.em
    return hits / len(few)


def _tabular(phrases: list[_Phrase], rows: list[Gap], cols: list[Gap]) -> bool:
    """Whether the columns are cells of table rows: many one-line rows span columns, and each column
    holds one kind of value (ranks, names, prices) while each row mixes kinds. In a grid of cards it
    is the other way round: one row holds the titles, the next the prices."""
    ends = [end for _, end in cols]
    across: list[list[_Phrase]] = []
    down: dict[int, list[_Phrase]] = {}
    lines = _parts(phrases, rows, "y")
    for line in lines:
        cells: dict[int, _Phrase] = {}
        for p in sorted(line, key=lambda p: p.left):
            cells.setdefault(bisect_right(ends, p.left), p)
        for col, p in cells.items():
            down.setdefault(col, []).append(p)
        if len(cells) >= 2 and _level(list(cells.values())):
            across.append([cells[c] for c in sorted(cells)])
    if len(across) < max(2, _TABLE_ROWS * len(lines)) or not all(map(_lined_up, down.values())):
        return False
    return _sameness(list(down.values())) + _TABLE_MARGIN > _sameness(across)


def _level(cells: list[_Phrase]) -> bool:
    """Whether cells sit on one line, as a table row's do: tops, middles or bottoms level."""
    tolerance = 0.3 * max(p.em for p in cells)
    return any(max(map(edge, cells)) - min(map(edge, cells)) <= tolerance
               for edge in (lambda p: p.top, lambda p: p.top + p.bottom, lambda p: p.bottom))


def _lined_up(column: list[_Phrase]) -> bool:
    """Whether a column's cells share an edge or a middle: left-aligned text, right-aligned numbers."""
    tolerance = 0.5 * statistics.median(p.em for p in column)
    for edge in (lambda p: p.left, lambda p: p.right, lambda p: (p.left + p.right) / 2):
        at = sorted(map(edge, column))
        if max(bisect_right(at, x + tolerance) - i for i, x in enumerate(at)) >= _LINED_UP * len(column):
            return True
    return False


def _sameness(runs: list[list[_Phrase]]) -> float:
    pairs = [_alike(a, b) for run in runs for a, b in pairwise(run)]
    return sum(pairs) / len(pairs) if pairs else 0.0


def _alike(a: _Phrase, b: _Phrase) -> bool:
    return _kind(a) == _kind(b) and _alike_size(a, b)


def _alike_size(a: _Phrase, b: _Phrase) -> bool:
    return max(a.em, b.em) <= _SAME_SIZE * min(a.em, b.em)


def _kind(p: _Phrase) -> str:
    if any(ch in "$€£¥₹" for ch in p.text):
        return "money"
    return "number" if sum(ch.isdigit() for ch in p.text) >= p.letters else "text"


def _join_wraps(children: list[_Node], right: float, body: float) -> list[_Node]:
    """Lines of one paragraph, wrapped at the right edge of its column, joined back into one phrase;
    and the lines of one heading, which wraps where its own measure ends."""
    joined: list[_Node] = []
    for child in children:
        prev = joined[-1] if joined else None
        if prev is not None and not prev.axis and not child.axis and len(prev.own) == 1 == len(child.own):
            a, b = prev.own[0], child.own[0]
            if _wraps(a, b, right) or _heading_wraps(a, b, body):
                joined[-1] = _Node([_join(a, b)])
                continue
        joined.append(child)
    return joined


def _wraps(a: _Phrase, b: _Phrase, right: float) -> bool:
    """Whether b carries on a's paragraph: same size, left-aligned, one line down, and b's first word
    would not have fitted at the end of a."""
    if not _next_line(a, b) or abs(a.left - b.left) > _ALIGN * a.em:
        return False
    return a.right + 0.3 * a.em + _first_word(b) > right


def _heading_wraps(a: _Phrase, b: _Phrase, body: float) -> bool:
    """Whether b carries on a's heading: a heading wraps within a measure of its own (a max-width, or
    lines balanced in length), short of its column's edge, so the lines of one, well above body size,
    one line down and aligned at the left or the middle, are one heading where b's first word would
    not have fitted within the wider of the two lines."""
    if min(a.em, b.em) < _H1_STEP * body or not _next_line(a, b):
        return False
    aligned = min(abs(a.left - b.left), abs(a.left + a.right - b.left - b.right) / 2) <= _ALIGN * a.em
    return aligned and a.right + 0.3 * a.em + _first_word(b) > max(a.right, b.right)


def _next_line(a: _Phrase, b: _Phrase) -> bool:
    """Whether b is the line after a in one run of text: the same size, one line down."""
    return max(a.em, b.em) <= _SAME_SIZE * min(a.em, b.em) and -0.3 * a.em < b.top - a.bottom < 0.8 * a.em


def _first_word(p: _Phrase) -> float:
    """How wide a phrase's first word is, in pixels (its share of the phrase's characters)."""
    return (p.right - p.left) * len(p.text.split(" ", 1)[0]) / len(p.text)


def _join(a: _Phrase, b: _Phrase) -> _Phrase:
    glue = "" if a.text.endswith("-") and a.text[-2:-1].isalnum() else " "
    return _Phrase(a.text + glue + b.text, min(a.left, b.left), a.top, max(a.right, b.right), b.bottom, a.em)


# --- headings ---------------------------------------------------------------------------------------


def _own(node: _Node, owner: _Node, owned: dict[_Node, list[_Phrase]]) -> None:
    """Files each phrase under the innermost block of stacked lines with a few lines of words in it."""
    if node.axis in ("y", "t") and sum(p.letters >= 3 for p in node.phrases) >= 3:
        owner = node
    if node.axis:
        for child in node.children:
            _own(child, owner, owned)
    else:
        owned.setdefault(owner, []).extend(node.own)


def _headings(block: _Node) -> list[_Phrase]:
    """A block's headings are its biggest lines of words, above the widest break in size after which
    they stand out from the rest of the block: the biggest of them (the first of equals), or all of
    them when lines of one size recur (the titles of a list without gaps between its items)."""
    sizes = sorted((p.em for p in block.phrases if p.letters >= 3), reverse=True)
    if len(sizes) < 2:
        return []
    # Headings are the fewer: only breaks with at most half the lines above them count.
    breaks = sorted(((a / b, i) for i, (a, b) in enumerate(pairwise(sizes)) if 2 * (i + 1) <= len(sizes)),
                    reverse=True)
    stands_out = (sizes[i] for _, i in breaks if sizes[i] >= _HEADING_STEP * statistics.median(sizes[i + 1:]))
    floor = next(stands_out, None)
    if floor is None:
        return []
    big = [p for p in block.phrases if p.letters >= 3 and p.em >= floor]
    usual = statistics.median(p.em for p in big)
    alike = [p for p in big if max(p.em, usual) <= _SAME_SIZE * min(p.em, usual)]
    if len(alike) >= 3:
        return alike
    return [next(p for p in big if p.em >= _TIE * sizes[0])]


# --- the headline -----------------------------------------------------------------------------------


def _headline(phrases: list[_Phrase], body: float) -> _Phrase | None:
    """The page's title: its biggest line of words, well above body size, that is no menu item and
    no date. Where the page shows datelines, an article's headline sits by one (above or below it, as
    news pages and blogs print date and title): the line of title size nearest each dateline is a
    title, and a bigger logo or banner further off is not the headline. Of dated titles of about one
    size, the first is the page's own: the teasers and lists of dated items come after it."""
    days = [p for p in phrases if len(p.text) <= _DATELINE_CHARS and shown_day(p.text)]
    big = [p for p in phrases if _worded(p) and not _code(p.text) and p.em >= _H1_STEP * body
           and not _menu_item(p, phrases) and not any(p is d for d in days)]
    dated: set[int] = set()
    for day in days:
        near = [(gap, p) for p in big if (gap := _date_gap(p, day)) is not None]
        if near:
            dated.add(id(_over_standfirst(min(near, key=lambda n: n[0])[1], big)))
    if not dated:
        return max(big, key=lambda p: p.em, default=None)
    titles = [p for p in big if id(p) in dated]
    top = max(p.em for p in titles)
    return next(p for p in titles if _SAME_SIZE * p.em >= top)


def _code(text: str) -> bool:
    """Whether a line reads as program code: it has brackets or an "=", and half its words or more
    are names joined or called ("box = wait.until(visible((By.NAME,", "(By.ID,") that are no address."""
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    if not words or not _CODE_MARK.search(text):
        return False
    shaped = sum(bool(_CODE_WORD.search(w)) and not _URL.search(w) and "@" not in w for w in words)
    return 2 * shaped >= len(words)


def _worded(phrase: _Phrase) -> bool:
    """Whether a line has a title's words, not the letters OCR reads in a picture or a row of icons."""
    longest = max(sum(ch.isalpha() for ch in word) for word in phrase.text.split())
    return phrase.letters >= _TITLE_LETTERS and longest >= _TITLE_WORD


def _over_standfirst(title: _Phrase, big: list[_Phrase]) -> _Phrase:
    """The headline over a line of title size: a standfirst in big type sits between a headline and
    its dateline ("The new price cap was set by ..." under "Household energy bills fall ...")."""
    above = [p for p in big if p.em >= _HEADING_STEP * title.em and p.left < title.right
             and title.left < p.right and 0 <= title.top - p.bottom < _DECK_GAP * p.em]
    return max(above, key=lambda p: p.em, default=title)


def _date_gap(title: _Phrase, day: _Phrase) -> float | None:
    """How far a dateline sits above or below a title in its column, if within reach of it."""
    reach = _DATE_REACH * title.em
    if not (title.left - reach < day.right and day.left < title.right + reach):
        return None
    gap = max(day.top - title.bottom, title.top - day.bottom)
    return gap if gap < reach else None


def _menu_item(phrase: _Phrase, phrases: list[_Phrase]) -> bool:
    """A short run of words with others like it on its row: an entry of a menu or a tab bar."""
    if len(phrase.text.split()) > _MENU_WORDS:
        return False
    middle = (phrase.top + phrase.bottom) / 2
    mates = [o for o in phrases if o is not phrase and o.upper <= middle <= o.lower
             and len(o.text.split()) <= _MENU_WORDS and _alike_size(o, phrase)]
    return len(mates) >= _MENU_MATES


# --- the document -----------------------------------------------------------------------------------


class _Writer:
    """Blocks as nested divs, tables as tables, lines as paragraphs, the biggest lines as headings."""

    def __init__(self, root: _Node, spec: ExtractSpec) -> None:
        entity = frozenset(tokens(spec.entity_name)) - GENERIC
        self.fields = [field_info(f, entity) for f in spec.fields]
        self.matcher = Matcher(self.fields)
        # Values of common kinds stand apart in a line whether or not the schema asks for them.
        common = [field_info(ExtractField(name=kind), frozenset()) for kind in _COMMON]
        self.spans = [*dict.fromkeys(f.span for f in [*self.fields, *common] if f.span is not None), _CLOCK]
        # A host name, as the vocabulary's "site" values look: printed after a title it is where the
        # title leads, a value of its own.
        self.host = field_info(ExtractField(name="site"), frozenset()).pattern
        everything = root.phrases
        self.body = _body_size(everything)
        self.h1 = _headline(everything, self.body)
        owned: dict[_Node, list[_Phrase]] = {}
        _own(root, root, owned)
        self.headings = {id(p) for owner, mine in owned.items() for p in _headings(owner)
                         if any(p is q for q in mine)}

    def node(self, node: _Node) -> str:
        if not node.axis:
            return "".join(self.line(p) for p in node.own)
        if node.axis == "t":
            return self.table(node)
        inner = self.sections(node.children) if node.axis == "y" else "".join(map(self.node, node.children))
        return f'<div class="{node.axis}">{inner}</div>'

    def sections(self, children: list[_Node]) -> str:
        """Blocks stacked without gaps between them, each led by a heading (a list of titles, each with
        its details below), wrapped as one block per heading."""
        starts = [i for i, c in enumerate(children) if len(c.own) == 1 and self.leads(c.own[0])]
        if len(starts) < 2:
            return "".join(map(self.node, children))
        before = "".join(map(self.node, children[:starts[0]]))
        return before + "".join(f'<div class="y">{"".join(map(self.node, children[a:b]))}</div>'
                                for a, b in pairwise([*starts, len(children)]))

    def leads(self, p: _Phrase) -> bool:
        return p is self.h1 or id(p) in self.headings

    def line(self, p: _Phrase) -> str:
        if _code(p.text):  # verbatim, as a page's <pre> is: never one of its facts
            return f"<pre>{escape(p.text, quote=False)}</pre>"
        if self.leads(p):
            return self.heading(p)
        # Lines are told apart by look, as a page's classes would tell them apart: lines of one
        # template share a look, and the lines of one card rarely do.
        size = "s" if p.em * _SAME_SIZE < self.body else "l" if p.em > self.body * _SAME_SIZE else "m"
        day = shown_day(p.text) if len(p.text) <= _DATELINE_CHARS else None
        inner = self.text(p, dated=day is not None)
        if day is not None and "<time" not in inner:  # the date is in words no piece holds alone
            inner = f'<time datetime="{day}">{inner}</time>'
        return f'<p class="{size} {_kind(p)[0]}">{inner}</p>'

    def heading(self, p: _Phrase) -> str:
        """A heading, with a host name printed after it apart: where the title leads, not its words.
        Host names are written in lower case; "Learning Node.js" ends in a word, not an address."""
        tag = "h1" if p is self.h1 else "h3"
        title, site = p.text, ""
        head, _, last = title.rpartition(" ")
        if head and last.islower() and self.host is not None and self.host.fullmatch(last):
            title, site = head, f' <span class="v">{escape(last.strip("()"), quote=False)}</span>'
        return f"<{tag}>{escape(title, quote=False)}</{tag}>{site}"

    def table(self, node: _Node) -> str:
        """Cells placed by the table's gutters; a first row of words names the columns, and columns of
        labels (a spec sheet) name the cells beside them."""
        ends = [end for _, end in node.columns]
        grid: list[list[list[_Phrase]]] = []
        for row in node.children:
            cells: list[list[_Phrase]] = [[] for _ in range(len(ends) + 1)]
            for p in row.own:
                cells[bisect_right(ends, p.left)].append(p)
            grid.append(cells)
        headed = any(self.leads(p) for p in node.phrases)
        head = len(grid) > 2 and sum(map(bool, grid[0])) >= 2 and not _has_digit(grid[0]) \
            and all(len(p.text.split()) <= 3 for cell in grid[0] for p in cell)  # "Avg. price", not a title
        keys = {j for j in range(len(ends)) if not head and self.keys([r[j] for r in grid if r[j]], ends)}
        # A table with nothing bigger in it, no header and no labels, is a list of rows; each row's
        # title is the first words of the column with the most words (after a date, a rank).
        wordy = -1 if head or keys or headed else max(
            range(len(ends) + 1), key=lambda j: sum(p.letters for r in grid for p in r[j]) / len(grid))
        rows = []
        for i, cells in enumerate(grid):
            tags = ["th" if (head and i == 0) or j in keys else "td" for j in range(len(cells))]
            # Rows of different shapes get different classes (the columns they fill, as letters), so
            # that a record spread over several rows (a title row, then a details row) shows.
            shape = " ".join(chr(97 + j) for j, c in enumerate(cells[:26]) if c)
            tds = "".join(f"<{t}>{self.cell(c, j == wordy)}</{t}>" for j, (t, c) in enumerate(zip(tags, cells,
                                                                                                 strict=True)))
            rows.append(f'<tr class="{shape}">{tds}</tr>')
        thead = f"<thead>{rows[0]}</thead>" if head else ""
        return f"<table>{thead}<tbody>{''.join(rows[head:])}</tbody></table>"

    def keys(self, column: list[list[_Phrase]], gutters: list[float]) -> bool:
        """Whether a column names the cells beside it: words only, and labels ("Make", "Fuel:") or the
        only column before the values of a two-column table."""
        texts = [" ".join(p.text for p in cell) for cell in column]
        if len(texts) < 2 or any(_has_digit_text(t) or len(t.split()) > 4 for t in texts):
            return False
        named = sum(t.endswith(":") or self.matcher.speaks_of_fields(t) for t in texts)
        return len(gutters) == 1 or 2 * named >= len(texts)

    def cell(self, phrases: list[_Phrase], titled: bool = False) -> str:
        parts = [self.heading(p) if self.leads(p) else self.text(p, titled and k == 0)
                 for k, p in enumerate(phrases)]
        if len(parts) > 1:
            parts = [part if part.startswith("<") else f'<span class="t">{part}</span>' for part in parts]
        return " ".join(parts)

    def text(self, p: _Phrase, titled: bool = False, dated: bool = False) -> str:
        """The phrase's text, as elements where the page would have had them (see _pieces), each
        classed by its kind so that the values of one line are not all alike to the extractor; when
        `titled`, its first words are the record's title. In a dateline (`dated`), a count after words
        is a value of its own ("Christoph Becker 71 Kommentare" is a name and a count), and the piece
        that reads as a date is one (d)."""
        pieces = [piece for segment in _SEPARATOR.split(p.text) for piece in self._pieces(segment)]
        if dated:
            pieces = [("d" if shown_day(part) else kind, part) for kind, text in pieces
                      for part in (_BEFORE_COUNT.split(text) if kind == "t" else [text])]
        if titled:
            first = next((i for i, (kind, text) in enumerate(pieces)
                          if kind == "t" and sum(ch.isalpha() for ch in text) >= 3), None)
            if first is not None:
                pieces[first] = ("h", pieces[first][1])
        if len(pieces) == 1 and pieces[0][0] == "t":
            return escape(pieces[0][1], quote=False)
        return " ".join(_piece(kind, text) for kind, text in pieces)

    def _pieces(self, text: str) -> list[tuple[str, str]]:
        """A run of values in one line, cut apart: printed URLs (u), values of the schema's kinds
        ("3 hours ago", "$1,200": v), amounts with a unit the schema names ("412 points": n), and a
        label the schema names (w) from the text after it (t): "by pg", "Year 2016". "Label: value"
        is left whole: the reader splits that itself."""
        if _LABEL.match(text) and not _URL.match(text):
            return [("t", text)]
        found = [("u", m.span()) for m in _URL.finditer(text)]
        found += [("v", m.span()) for rx in self.spans for m in rx.finditer(text) if m.end() > m.start()]
        found += [("n", m.span()) for m in _AMOUNT.finditer(text) if self._counts(m[1])]
        pieces: list[tuple[str, str]] = []
        at = 0
        for kind, (start, end) in sorted(found, key=lambda f: f[1]):
            if start >= at:
                pieces += self._labelled(text[at:start])
                pieces.append((kind, text[start:end]))
                at = end
        pieces += self._labelled(text[at:])
        return [(kind, piece.strip(" -")) for kind, piece in pieces if piece.strip(" -")]

    def _labelled(self, text: str) -> list[tuple[str, str]]:
        """Words of the schema's vocabulary at the start ("by", "Year") apart from the value after them."""
        words = text.split()
        if self.matcher.speaks_of_fields(text):  # a label of its own ("Fuel type"), for the next line
            return [("t", text)]
        for n in (2, 1):
            label = " ".join(words[:n])
            if len(words) > n and not _has_digit_text(label) and self.matcher.speaks_of_fields(label):
                return [("w", label), *self._named(words[n:], words[n - 1])]
        # A byline word inside the line labels the name after it ("Posted by Ned Deily"), after a short
        # lead-in only (words after a date or a time: "13. Mai 2014, von ..."): further into a line it is
        # a sentence's ("was detected by NASA").
        dated = max((j for j, w in enumerate(words) if _has_digit_text(w)), default=-1)
        for i, word in enumerate(words[1:-1], 1):
            if i - dated - 1 > _BYLINE_LEAD:
                break
            byline = word.lower() in BYLINE_WORDS and self.matcher.speaks_of_fields(word)
            if byline and words[i + 1][:1].isupper():
                return [("t", " ".join(words[:i])), ("w", word), *self._named(words[i + 1:], word)]
        return [("t", text)]

    @staticmethod
    def _named(words: list[str], label: str) -> list[tuple[str, str]]:
        """The value after a label; after a byline word, the name runs up to a word that is no name's
        ("Lauren on February 24", "Ned Deily at 5:11 AM", "Isabelle Boucher 2 Comments")."""
        end = next((j for j, w in enumerate(words) if w.lower() in STOP or _has_digit_text(w)), len(words)) \
            if label.lower() in BYLINE_WORDS else len(words)
        return [("t", " ".join(words[:end])), ("t", " ".join(words[end:]))]

    def _counts(self, unit: str) -> bool:
        """Whether the word after a number names a count the schema asks for ("points", "sqft")."""
        return any(self.fields[fi].type in NUMERIC_TYPES or self.fields[fi].head in NUMERIC
                   for t in tokens(unit) for fi, _, _ in self.matcher.lookup(t))


def shown_day(text: str) -> str | None:
    """The day a line of text gives, as YYYY-MM-DD, read the way the DOM side reads a page's date (with
    htmldate, which knows dates in many languages and forms: "Dienstag, 29. Januar 2019", "11.05.2012,
    10:22"); None when it gives none, or one outside what htmldate takes for plausible."""
    return try_date_expr(text, "%Y-%m-%d", True, MIN_DATE, datetime.now())


def _piece(kind: str, text: str) -> str:
    """A value as its own element; a printed URL as a link to it, a title as a heading."""
    if kind == "h":
        return f"<h3>{escape(text, quote=False)}</h3>"
    if kind == "d":
        # A date as a <time>; one the vocabulary's date pattern cannot read ("29. Januar 2019") shows
        # the day it names, so that the extractor, which knows dates by that pattern, reads it too.
        day = shown_day(text)
        shown = text if DATE_PATTERN.search(text) else day
        return f'<time datetime="{day}">{escape(shown or text, quote=False)}</time>'
    if kind != "u":
        return f'<span class="{kind}">{escape(text, quote=False)}</span>'
    href = text if "://" in text else f"https://{text}"
    return f'<a class="u" href="{escape(href)}">{escape(text, quote=False)}</a>'


def _has_digit(cells: list[list[_Phrase]]) -> bool:
    return any(_has_digit_text(p.text) for cell in cells for p in cell)


def _has_digit_text(text: str) -> bool:
    return any(ch.isdigit() for ch in text)

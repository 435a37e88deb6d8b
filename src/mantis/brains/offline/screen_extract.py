"""Offline extraction on a vision-only plane: rows read from what the screen shows.

The computer plane sees OCR'd phrases with boxes, never a DOM. The page's visual structure is rebuilt
from the boxes (blocks split along whitespace, wrapped lines joined, relative type sizes, values beside
their labels) as a small synthetic HTML document, which `extract_rows` then reads like any page, so
both planes map fields with one algorithm.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from dataclasses import dataclass, field

from mantis.brains.offline.extract import extract_rows
from mantis.planes.base import Element, Observation
from mantis.plans.models import ExtractSpec

Row = dict[str, object]
Gap = tuple[float, float]

# How far glyphs reach above and below the baseline, in ems (sans-serif web fonts, roughly): a box's
# height is the reach of the tallest glyph plus that of the deepest, so the text tells its font size.
_X_HEIGHT = 0.55
_CAP = 0.73
_RISE = {**dict.fromkeys("bdfhklij()[]{}|/\\", 0.76), "t": 0.7, "$": 0.8}
_DROP = {**dict.fromkeys("gjpqy", 0.23), **dict.fromkeys(",;Q", 0.12), **dict.fromkeys("()[]{}|$", 0.13),
         "@": 0.17}
_MIN_COLUMN_GAP = 1.2  # ems of empty space that set columns apart (phrases already split at ~1)
_ROW_BIAS = 0.5  # a row gap this share of the widest column gap still cuts rows first (reading order)
_EVEN = 0.95  # gaps this close to the widest are cut at once (a list's even spacing)
_NEST = 0.5  # a part cut the same way by a gap at least this share as wide is spliced in beside its siblings
_SAME_SIZE = 1.15
_NEAR_TOP = 0.9  # lines within this share of a block's biggest are as big, given how rough the sizes are
_HEADING_STEP = 1.1  # how much bigger than the rest of its block a heading is


@dataclass(eq=False)
class _Phrase:
    text: str
    left: float
    top: float
    right: float
    bottom: float
    em: float  # estimated font size, from the box height and which glyphs the text has

    @property
    def letters(self) -> int:
        return sum(ch.isalpha() for ch in self.text)


@dataclass(eq=False)
class _Node:
    """A block of the page: a leaf of phrases, or children stacked down ("y") or side by side ("x")."""

    own: list[_Phrase] = field(default_factory=list)
    axis: str = ""
    children: list[_Node] = field(default_factory=list)
    gap: float = 0.0  # the whitespace between the children

    @property
    def phrases(self) -> list[_Phrase]:
        return self.own if not self.axis else [p for c in self.children for p in c.phrases]


def extract_from_screen(observation: Observation, spec: ExtractSpec, intent: str = "") -> list[Row]:
    """Rows keyed by every field of the spec, read from the OCR'd text and its layout on the screen."""
    phrases = _phrases(observation.elements)
    if not phrases:
        return [] if spec.max_items else [{f.name: None for f in spec.fields}]
    return extract_rows(page_html(phrases), spec, observation.url, intent)


def page_html(phrases: list[_Phrase]) -> str:
    root = _build(phrases, max(p.right for p in phrases))
    return f"<html><body>{_Writer(root).node(root)}</body></html>"


def _em(text: str, height: float) -> float:
    rise = max(_RISE.get(ch, _CAP if ch.isupper() or ch.isdigit() or not ch.isascii() else _X_HEIGHT)
               for ch in text)
    return height / (rise + max(_DROP.get(ch, 0.0) for ch in text))


def _phrases(elements: list[Element]) -> list[_Phrase]:
    found = [
        _Phrase(e.name.strip(), x, y, x + w, y + h, _em(e.name, h))
        for e in elements
        if e.box is not None and any(ch.isalnum() for ch in e.name)
        for x, y, w, h in (e.box,)
    ]
    return [p for p in found if not _speck(p, found)]


def _speck(phrase: _Phrase, others: list[_Phrase]) -> bool:
    """A letter or two far from any other text: OCR reading an icon, an arrow or a border."""
    if sum(ch.isalnum() for ch in phrase.text) > 2 or any(ch.isdigit() for ch in phrase.text):
        return False
    reach = 2 * (phrase.bottom - phrase.top)
    return not any(o is not phrase and _distance(phrase, o) <= reach for o in others)


def _distance(a: _Phrase, b: _Phrase) -> float:
    return max(b.left - a.right, a.left - b.right, b.top - a.bottom, a.top - b.bottom, 0.0)


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


def _parts(phrases: list[_Phrase], cuts: list[Gap], axis: str) -> list[list[_Phrase]]:
    ends = [end for _, end in cuts]
    parts: list[list[_Phrase]] = [[] for _ in range(len(cuts) + 1)]
    for p in phrases:
        parts[bisect_right(ends, p.top if axis == "y" else p.left)].append(p)
    return parts


def _build(phrases: list[_Phrase], limit: float) -> _Node:
    """Recursive XY cut of the page along its whitespace, into a tree of blocks in reading order."""
    if len(phrases) == 1:
        return _Node(phrases)
    em = statistics.median(p.em for p in phrases)
    rows = _gaps([(p.top, p.bottom) for p in phrases])
    cols = [g for g in _gaps([(p.left, p.right) for p in phrases]) if g[1] - g[0] >= _MIN_COLUMN_GAP * em]
    if not rows and not cols:
        return _Node(sorted(phrases, key=lambda p: (p.top, p.left)))
    axis, cuts = _cut(phrases, rows, cols, em)
    children: list[_Node] = []
    parts = _parts(phrases, cuts, axis)
    for i, part in enumerate(parts):
        # Text in a column runs at most to the middle of the gutter before the next column.
        end = (max(p.right for p in part) + min(p.left for p in parts[i + 1])) / 2 \
            if axis == "x" and i + 1 < len(parts) else limit
        child = _build(part, end)
        # A part cut the same way by a gap about as wide is made of siblings: more cards of the row.
        nested = child.axis != axis or child.gap < _NEST * (cuts[0][1] - cuts[0][0])
        children.extend([child] if nested else child.children)
    return _Node(axis=axis, children=_join_wraps(children, limit) if axis == "y" else children,
                 gap=cuts[0][1] - cuts[0][0])


def _cut(phrases: list[_Phrase], rows: list[Gap], cols: list[Gap], em: float) -> tuple[str, list[Gap]]:
    """Where to split a block: around a stretch of columns (a header over a sidebar and results) first;
    then between columns that are flows of their own (the sidebar beside the results); then along the
    widest gap, rows first when they are about as wide, so a grid of cards reads row by row, and
    always rows when the columns are the cells of table rows."""
    region = _region(phrases, rows, em)
    if region:
        return "y", region
    widest_row = max((hi - lo for lo, hi in rows), default=0.0)
    split = [g for g in rows if g[1] - g[0] >= _EVEN * widest_row]
    if cols:
        # Of several columns, split first where the two sides do not line up: a sidebar beside
        # results is a flow of its own, while the gutters inside a grid of cards are all alike.
        scored = [(_aligned(*_beside(phrases, g, em)), g) for g in cols]
        aligned, best = max(scored, key=lambda s: (s[1][1] - s[1][0]) * (1 - s[0]))
        lo, hi = best
        # A row gap below which only one side goes on is where the sidebar ends, not a row of cards.
        ends = any(all(p.right <= lo for p in part) or all(p.left >= hi for p in part)
                   for part in _parts(phrases, split, "y"))
        widest_col = max(g[1] - g[0] for g in cols)
        if not rows or ((aligned < 0.5 and ends) or widest_row < _ROW_BIAS * widest_col) \
                and not _tabular(phrases, rows, cols):
            return "x", [best]
    return "y", split


def _region(phrases: list[_Phrase], rows: list[Gap], em: float) -> list[Gap]:
    """The row gaps around the longest run of lines that a column gutter runs through, when that run
    is not the whole block: the header above a sidebar and results is a block of its own."""
    bands = _parts(phrases, rows, "y")
    wide = _MIN_COLUMN_GAP * em
    best = (0, 0, 0)
    for start, band in enumerate(bands):
        for gutter in _gaps([(p.left, p.right) for p in band]):
            if gutter[1] - gutter[0] < wide:
                continue
            first = last = start
            for step in (-1, 1):  # lines above and below that leave the gutter free belong to the run
                at = start + step
                while 0 <= at < len(bands):
                    free = _free(gutter, bands[at])
                    if free[1] - free[0] < wide:
                        break
                    gutter, at = free, at + step
                first, last = (at + 1, last) if step < 0 else (first, at - 1)
            held = sum(len(b) for b in bands[first:last + 1])
            if last > first and held > best[0]:
                best = (held, first, last)
    held, first, last = best
    if not held or (first == 0 and last == len(bands) - 1):
        return []
    return [g for g in (rows[first - 1] if first else None, rows[last] if last + 1 < len(bands) else None) if g]


def _free(channel: Gap, band: list[_Phrase]) -> Gap:
    """The widest part of the channel that the band's phrases leave empty."""
    lo, hi = channel
    best = (lo, lo)
    for p in sorted(band, key=lambda p: p.left):
        if p.left > lo and min(p.left, hi) - lo > best[1] - best[0]:
            best = (lo, min(p.left, hi))
        lo = max(lo, p.right)
    if hi - lo > best[1] - best[0]:
        best = (lo, hi)
    return best


def _beside(phrases: list[_Phrase], channel: Gap, em: float) -> tuple[list[_Phrase], list[_Phrase]]:
    """The columns on either side of a gutter (not all that lies left and right of it)."""
    left, right = _parts(phrases, [channel], "x")
    inner = [_columns(left, em)[-1], _columns(right, em)[0]]
    return inner[0], inner[1]


def _columns(phrases: list[_Phrase], em: float) -> list[list[_Phrase]]:
    gaps = [g for g in _gaps([(p.left, p.right) for p in phrases]) if g[1] - g[0] >= _MIN_COLUMN_GAP * em]
    return _parts(phrases, gaps, "x")


def _aligned(a: list[_Phrase], b: list[_Phrase]) -> float:
    """The share of lines on the sparser side that sit at the height of a line on the other side."""
    few, many = sorted((a, b), key=len)
    middles = sorted((p.top + p.bottom) / 2 for p in many)
    hits = 0
    for p in few:
        middle = (p.top + p.bottom) / 2
        at = bisect_right(middles, middle)
        near = [abs(m - middle) for m in middles[max(at - 1, 0):at + 1]]
        hits += bool(near) and min(near) <= 0.3 * p.em
    return hits / len(few)


def _kind(p: _Phrase) -> str:
    if any(ch in "$€£¥₹" for ch in p.text):
        return "money"
    digits = sum(ch.isdigit() for ch in p.text)
    return "number" if digits >= p.letters else "text"


def _alike(a: _Phrase, b: _Phrase) -> bool:
    return _kind(a) == _kind(b) and max(a.em, b.em) <= _SAME_SIZE * min(a.em, b.em)


def _sameness(runs: list[list[_Phrase]]) -> float:
    pairs = [_alike(a, b) for run in runs for a, b in zip(run, run[1:], strict=False)]
    return sum(pairs) / len(pairs) if pairs else 0.0


def _tabular(phrases: list[_Phrase], rows: list[Gap], cols: list[Gap]) -> bool:
    """Whether the columns are cells of table rows: most phrases share a one-line row with other
    columns, and each column holds one kind of value (prices, names) while each row mixes kinds.
    In a grid of cards it is the other way round: a row holds the titles, the next the prices."""
    ends = [end for _, end in cols]
    across: list[list[_Phrase]] = []
    down: dict[int, list[_Phrase]] = {}
    aligned = 0
    for line in _parts(phrases, rows, "y"):
        cells: dict[int, _Phrase] = {}
        for p in sorted(line, key=lambda p: p.left):
            cells.setdefault(bisect_right(ends, p.left), p)
        for col, p in cells.items():
            down.setdefault(col, []).append(p)
        height = max(p.bottom for p in line) - min(p.top for p in line)
        if len(cells) >= 2 and height <= 1.5 * max(p.em for p in line):
            aligned += len(line)
            across.append([cells[c] for c in sorted(cells)])
    if aligned < 0.5 * len(phrases):
        return False
    return _sameness(list(down.values())) > _sameness(across)


def _join_wraps(children: list[_Node], right: float) -> list[_Node]:
    """Lines of one paragraph, wrapped at the right edge of its column, joined back into one phrase."""
    joined: list[_Node] = []
    for child in children:
        prev = joined[-1] if joined else None
        if prev is not None and len(prev.phrases) == 1 == len(child.phrases) and not prev.axis \
                and not child.axis and _wraps(prev.own[0], child.own[0], right):
            joined[-1] = _Node([_join(prev.own[0], child.own[0])])
        else:
            joined.append(child)
    return joined


def _wraps(a: _Phrase, b: _Phrase, right: float) -> bool:
    """Whether b carries on a's paragraph: same size, left-aligned, one line down, and b's first word
    would not have fitted at the end of a."""
    if max(a.em, b.em) > _SAME_SIZE * min(a.em, b.em) or abs(a.left - b.left) > 0.6 * a.em:
        return False
    if not a.bottom - 0.3 * a.em < b.top < a.top + 1.9 * a.em:
        return False
    first = b.text.split(" ", 1)[0]
    width = (b.right - b.left) * len(first) / max(len(b.text), 1)
    return a.right + 0.3 * a.em + width > right


def _join(a: _Phrase, b: _Phrase) -> _Phrase:
    glue = "" if a.text.endswith("-") and a.text[-2:-1].isalpha() else " "
    return _Phrase(a.text + glue + b.text, min(a.left, b.left), a.top, max(a.right, b.right), b.bottom, a.em)


def _own(node: _Node, owner: _Node, owned: dict[_Node, list[_Phrase]]) -> None:
    """Files each phrase under its innermost stacked block with another line of words in it."""
    if node.axis == "y" and sum(p.letters >= 3 for p in node.phrases) >= 2:
        owner = node
    if node.axis:
        for child in node.children:
            _own(child, owner, owned)
    else:
        owned.setdefault(owner, []).extend(node.own)


def _headings(block: _Node) -> list[_Phrase]:
    """A block's heading is its biggest line of words, when it stands out from the rest of the block;
    the first of them, unless lines that big recur (the titles of a list with no gaps between items)."""
    lettered = [p for p in block.phrases if p.letters >= 3]
    if len(lettered) < 2:
        return []
    top = max(p.em for p in lettered)
    big = [p for p in lettered if p.em >= _NEAR_TOP * top]
    rest = [p.em for p in lettered if p.em < _NEAR_TOP * top]
    if not rest or top < _HEADING_STEP * statistics.median(rest):
        return []
    return big if len(big) >= 3 else big[:1]


class _Writer:
    """The synthetic page: blocks as nested divs, lines as paragraphs, the biggest text as headings."""

    def __init__(self, root: _Node) -> None:
        self.headings: set[int] = set()
        self.h1: _Phrase | None = None
        everything = root.phrases
        base = statistics.median(p.em for p in everything for _ in range(max(len(p.text), 1)))
        titled = [p for p in everything if p.letters >= 3]
        top = max(titled, key=lambda p: p.em, default=None)
        if top is not None and top.em >= 1.25 * base:
            self.h1 = top
        owned: dict[_Node, list[_Phrase]] = {}
        _own(root, root, owned)
        for owner, phrases in owned.items():
            self.headings.update(id(p) for p in _headings(owner) if p in phrases)

    def node(self, node: _Node) -> str:
        if not node.axis:
            return "".join(self.line(p) for p in node.own)
        inner = "".join(self.node(c) for c in node.children)
        return f'<div class="{node.axis}">{inner}</div>'

    def line(self, p: _Phrase) -> str:
        tag = "h1" if p is self.h1 else "h3" if id(p) in self.headings else "p"
        return f"<{tag}>{_escape(p.text)}</{tag}>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

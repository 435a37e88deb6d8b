"""Finding the repeated records of a list page: the items a multi-row extraction returns.

Items of a list are built by the same template, so they share a structural signature. Two kinds
of repetition are collected: elements reached by the same path of tag+class steps from the body
(cards in a grid, even one split over several rows; table rows; search results), and runs of
siblings whose signatures repeat with a period of 2-4 (a story spread over three table rows,
<dt>/<dd> pairs). Which repetition holds the items is decided by how well the schema's fields fill
from its members, elsewhere; here each group also gets a cheap size measure to rank them by.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from lxml.html import HtmlElement

from mantis.brains.offline.dom import signature

Rec = tuple[HtmlElement, ...]

_MAX_RECORD_ELEMENTS = 600  # larger "records" are page sections, not items
_MAX_PERIOD = 4
_CELLS = frozenset(("td", "th"))  # parts of a row, never items of their own
# Records with this many characters or fewer are looked into for a word ("›", " | " hold none); a
# separator is rarely longer, and looking into every record would cost time on large pages.
_SEPARATOR_CHARS = 3


@dataclass(eq=False)
class Group:
    records: list[Rec]
    texts: list[int]  # visible characters of each record
    strict: bool  # members share their full signature (not just their tag)

    @property
    def coverage(self) -> int:
        """How much of the page the group holds, one record counting at most 2,000 characters."""
        return sum(min(t, 2000) for t in self.texts)

    @property
    def mean_text(self) -> float:
        return sum(self.texts) / len(self.texts)


def _strip_len(text: str | None) -> int:
    return len(text.strip()) if text else 0


def find_groups(body: HtmlElement, limit: int) -> list[Group]:
    """Repeated structures of the page, largest first, at most `limit` of them."""
    order = [el for el in body.iter() if isinstance(el.tag, str)]
    text: dict[HtmlElement, int] = {}
    size: dict[HtmlElement, int] = {}
    for el in reversed(order):
        t, n = _strip_len(el.text), 1
        for child in el:
            t += text.get(child, 0) + _strip_len(child.tail)
            n += size.get(child, 0)
        text[el], size[el] = t, n

    sig: dict[HtmlElement, str] = {}
    parent: dict[HtmlElement, HtmlElement] = {}
    path: dict[HtmlElement, int] = {body: 0}
    by_path: dict[int, list[HtmlElement]] = defaultdict(list)
    by_loose: dict[int, list[HtmlElement]] = defaultdict(list)
    for el in order[1:]:
        parent[el] = up = el.getparent()
        parent_key = path.get(up, 0)
        sig[el] = s = signature(el)
        path[el] = key = hash((parent_key, s))
        by_path[key].append(el)
        by_loose[hash((parent_key, el.tag))].append(el)  # variants: "product" and "product sale"

    raw: list[tuple[list[Rec], bool]] = []
    seen: set[tuple[int, int]] = set()
    for strict, members in [*((True, m) for m in by_path.values()), *((False, m) for m in by_loose.values())]:
        if len(members) >= 2 and (id(members[0]), len(members)) not in seen:
            seen.add((id(members[0]), len(members)))
            raw.append(([(m,) for m in members], strict))
    for el in order:
        if len(el) >= 4:
            kids = [c for c in el if isinstance(c.tag, str)]
            raw.extend((recs, True) for recs in _periodic(kids, sig, text))

    groups: list[Group] = []
    worded: dict[HtmlElement, bool] = {}
    for records, strict in raw:
        # Separators between items (a "›" or "|" of their own) are no items; their text has no word.
        records = [r for r in records if sum(text[e] for e in r) > _SEPARATOR_CHARS
                   or any(_worded(e, worded) for e in r)]
        if len(records) < 2 or all(len(r) == 1 and r[0].tag == "th" for r in records):
            continue  # header cells name the columns of a table; they are never its items
        texts = [sum(text[e] for e in r) for r in records]
        elements = sum(size[e] for r in records for e in r) / len(records)
        shown = sum(t > 0 for t in texts)
        if shown >= 2 and sum(texts) >= 3 * len(texts) and elements <= _MAX_RECORD_ELEMENTS:
            groups.append(Group(records, texts, strict))
    groups.sort(key=lambda g: g.coverage, reverse=True)
    top = groups[: 2 * limit]
    containers = _containers(top, text, parent)
    return [g for g in top if not any(e in containers for r in g.records for e in r)][:limit]


_WORD = re.compile(r"[^\W_]")


def _worded(el: HtmlElement, seen: dict[HtmlElement, bool]) -> bool:
    """Whether the element's text holds a letter or digit; asked of short records only, and cached."""
    found = seen.get(el)
    if found is None:
        found = seen[el] = _WORD.search(el.text_content()) is not None
    return found


def _containers(groups: list[Group], text: dict[HtmlElement, int],
                parent: dict[HtmlElement, HtmlElement]) -> set[HtmlElement]:
    """Elements mostly made of three or more records of one same-template group.

    Rows of a grid, the table around a list, a page section: containers of the items, not items;
    groups of them are left out so that scoring spends its time on likelier groups.
    """
    found: set[HtmlElement] = set()
    for group in groups:
        if not group.strict or len(group.records) < 3 or group.records[0][0].tag in _CELLS:
            continue
        count: dict[HtmlElement, int] = defaultdict(int)
        held: dict[HtmlElement, int] = defaultdict(int)
        for rec, chars in zip(group.records, group.texts, strict=True):
            anc = parent.get(rec[0])
            while anc is not None:
                count[anc] += 1
                held[anc] += chars
                anc = parent.get(anc)
        found.update(a for a, n in count.items() if n >= 3 and held[a] >= 0.8 * text[a])
    return found


def _periodic(kids: list[HtmlElement], sig: dict[HtmlElement, str],
              text: dict[HtmlElement, int]) -> list[list[Rec]]:
    """Records made of p consecutive siblings, where the sibling signatures repeat with period p."""
    sigs = [sig[k] for k in kids]
    found: list[list[Rec]] = []
    runs: list[tuple[int, int, int]] = []
    for p in range(2, _MAX_PERIOD + 1):
        i = 0
        while i + p < len(sigs):
            if sigs[i] != sigs[i + p]:
                i += 1
                continue
            j = i
            while j + p < len(sigs) and sigs[j] == sigs[j + p]:
                j += 1
            end = j + p
            covered = any(q < p and p % q == 0 and a <= i and end <= b for q, a, b in runs)
            if (end - i) // p >= 2 and len(set(sigs[i:i + p])) > 1 and not covered:
                runs.append((p, i, end))
                # A record starts with content; empty spacers close records rather than open them.
                shift = next((r for r in range(p) if text[kids[i + r]] > 0), 0)
                found.append([tuple(kids[s:s + p]) for s in range(i + shift, end - p + 1, p)])
            i = end
    return found

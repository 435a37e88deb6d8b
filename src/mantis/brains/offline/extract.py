"""The offline extractor: rows for an inline extraction schema, read from the DOM with no model.

A list extraction (max_items set) finds the page's repeated records and keeps the repetition whose
members fill the schema best; a single-row extraction reads the page's main content as one record.
Both map fields by what the page calls its parts, so nothing here is written for any one site.
"""

from __future__ import annotations

import math
from collections import Counter

from lxml.html import HtmlElement

from mantis.brains.base import Rows
from mantis.brains.offline.dom import HEADINGS, Page, header_row, is_chrome, load, main_root
from mantis.brains.offline.fields import Mapper, Pick
from mantis.brains.offline.reader import Reader
from mantis.brains.offline.records import Group, find_groups
from mantis.brains.offline.structured import page_date, stated_items, stated_values
from mantis.brains.offline.values import coerce, collapse
from mantis.brains.offline.vocab import AD_WORDS, GENERIC, STOP, FieldInfo, Matcher, field_info, tokens
from mantis.plans.models import ExtractSpec

__all__ = ["coerce", "extract_rows"]

Row = dict[str, object]

_GROUPS_TRIED = 30
_SAMPLES = 4
_MIN_QUALITY = 0.2
# How much of the tab's title a heading outside the main content must repeat to be its headline (half
# of a title's words are often the site's and section's names).
_FRAME_ECHO = 0.5
# Words of an intent that never name the entity ("extract the top 5 …").
_INTENT_NOISE = frozenset({
    "extract", "get", "scrape", "collect", "top", "first", "last", "list", "all", "each", "every",
    "page", "from", "with", "include", "including", "visible", "show"
})


def extract_rows(html: str, spec: ExtractSpec, base_url: str, intent: str = "") -> Rows:
    """Rows keyed by every field of the spec: up to max_items list items, or the page's one record."""
    entity = frozenset(tokens(spec.entity_name)) - GENERIC
    fields = [field_info(f, entity) for f in spec.fields]
    page = load(html, base_url)
    if page is None:
        return Rows() if spec.max_items else Rows([{f.name: None for f in fields}])
    matcher = Matcher(fields)
    field_words = {t for f in fields for t in f.cores}
    about = (entity | frozenset(tokens(intent))) - STOP - GENERIC - _INTENT_NOISE - field_words
    if spec.max_items is not None:
        rows = _list_rows(page, fields, matcher, spec.max_items, about)
        return _stated_list(rows, stated_items(html, page, fields, matcher, entity), fields, spec.max_items)
    row = _single_row(page, fields, matcher)
    stated = stated_values(html, page, fields, matcher, entity)
    for f in fields:
        if f.head == "date" and f.name in stated and _dateless(f, stated[f.name]) and not _dateless(
                f, row[f.name]):
            del stated[f.name]  # a statement that reads as no date ("9:05 PM") yields to a shown date
    row = {**row, **stated}
    for f in fields:
        shown = row[f.name]
        if f.head == "date" and _dateless(f, shown) and f.name not in stated:
            # A date field holds a date: text that reads as none ("Posts/Comments Time") gives way to
            # the page's date, when htmldate finds one.
            row[f.name] = coerce(page_date(html, f) or "", f.type) or shown
    # A page with no h1 may be a list page: its first item stands in for a main record that lacks
    # fields, never for one that read them all (a blog post's date is the post's, not a sidebar's).
    # The record's own link counts as unread: on a page read as one record it is the page's address.
    headless = page.body.find(".//h1") is None and any(
        row[f.name] is None or (f.kind == "url" and f.main) for f in fields)
    if headless or any(f.required and row[f.name] is None for f in fields):
        first = _list_rows(page, fields, matcher, 1, about)
        if first and _filled(first[0]) + headless > _filled(row) + len(stated):
            return Rows(first[:1])
    return Rows([row])


def _dateless(f: FieldInfo, value: object) -> bool:
    """Whether a date field's value reads as no date (by the field's pattern, which knows ISO dates)."""
    return value is None or (f.pattern is not None and not f.pattern.search(str(value)))


def _single_row(page: Page, fields: list[FieldInfo], matcher: Matcher, titled: bool = True) -> Row:
    """The main content as one record; what it lacks of the required fields is looked for page-wide."""
    reader = Reader(page, matcher, skip_chrome=True)
    mapper = Mapper(fields, matcher, page, single=True, titled=titled)
    root = _framed(main_root(page.body), mapper)
    picks = mapper.map(reader.read((root,)))
    if root is not page.body and any(f.required and _empty(picks.get(f.name)) for f in fields):
        wider = mapper.map(reader.read((page.body,)))
        picks = {**wider, **{k: v for k, v in picks.items() if not _empty(v)}}
    return {f.name: _value(picks.get(f.name)) for f in fields}


def _framed(root: HtmlElement, mapper: Mapper) -> HtmlElement:
    """The main content widened to its headline, when the page states it above <main> or the article
    (a header band holding the h1, the date and the byline): the heading, navigation aside, that
    repeats the tab's title best, if it says most of it."""
    best, best_echo = None, _FRAME_ECHO
    for el in root.getroottree().iter(*HEADINGS):
        echo = mapper.echo(collapse(el.text_content()))
        if echo > best_echo and not any(is_chrome(a) for a in el.iterancestors()):
            best, best_echo = el, echo
    if best is None or best is root or root in best.iterancestors():
        return root
    around = set(best.iterancestors())
    return next((frame for frame in root.iterancestors() if frame in around), root)


def _list_rows(page: Page, fields: list[FieldInfo], matcher: Matcher, max_items: int,
               about: frozenset[str]) -> Rows:
    reader = Reader(page, matcher)
    mapper = Mapper(fields, matcher, page, single=False)
    best: Group | None = None
    best_score = 0.0
    for group in find_groups(page.body, _GROUPS_TRIED):
        score = _group_score(group, reader, mapper, fields, about)
        if score > best_score:
            best, best_score = group, score
    if best is None:
        row = _single_row(page, fields, matcher, titled=False)  # a list of one: the page is not its item
        return Rows([row] if any(v is not None for v in row.values()) else [])
    wants_ads = any(AD_WORDS.intersection(f.cores) for f in fields)
    found: list[dict[str, Pick]] = []
    enough = max_items + max(3, max_items // 2)
    members = best.records[: max(4 * max_items, 50)]
    read = 0
    for roots in members:
        read += 1
        if len(roots) == 1 and roots[0].tag == "tr" and header_row(roots[0]) is roots[0]:
            continue  # the row naming the columns
        rec = reader.read(roots)
        if rec.ad and not wants_ads:
            continue
        picks = mapper.map(rec)
        if all(_empty(p) for p in picks.values()):
            continue  # spacers, separators, headers: members that hold none of the fields
        found.append(picks)
        if sum(_complete(p, fields) for p in found) >= enough:
            break
    _drop_strays(found, fields)
    found = [p for p in found if not all(_empty(v) for v in p.values())]
    # Every member is returned, in page order: one without a required field is a row the contract
    # judges not viable (a card whose price says "N/A"), never an item silently left out.
    rows = Rows({f.name: _value(p.get(f.name)) for f in fields} for p in found[:max_items])
    _fill_by_position(rows, fields)
    # Members past where reading stopped are counted as items too, like those read.
    rows.shown = len(found) + (len(best.records) - read)
    return rows


def _stated_list(rows: Rows, items: list[Row], fields: list[FieldInfo], max_items: int) -> Rows:
    """The list the page states (ItemList; a BreadcrumbList when breadcrumbs are asked for), when its
    shown items fill more of the fields than the visible structure read; the count of records shown is
    never below the stated list's, so a list cut short says so."""
    if not items:
        return rows
    stated = Rows({f.name: item.get(f.name) for f in fields} for item in items[:max_items])
    _fill_by_position(stated, fields)
    if sum(map(_filled, stated)) <= sum(map(_filled, rows)):
        rows.shown = max(rows.shown or len(rows), len(items))
        return rows
    stated.shown = max(rows.shown or 0, len(items))
    return stated


def _complete(picks: dict[str, Pick], fields: list[FieldInfo]) -> bool:
    return all(not f.required or f.head == "rank" or not _empty(picks.get(f.name)) for f in fields)


def _drop_strays(found: list[dict[str, Pick]], fields: list[FieldInfo]) -> None:
    """Forget values taken from where most members of the list do not keep that field.

    Items share a template, so a field's value sits in the same place in most of them; a member
    whose "title" is a widget's heading or whose "url" is a link of some strip is not an item.
    """
    for f in fields:
        places = Counter(p[f.name].where for p in found if not _empty(p.get(f.name)) and p[f.name].where)
        if not places:
            continue
        usual, count = places.most_common(1)[0]
        if count < 3 or count < 0.6 * sum(places.values()):
            continue
        for picks in found:
            pick = picks.get(f.name)
            if pick is not None and pick.where and _stray(pick.where, usual):
                del picks[f.name]


def _stray(where: str, usual: str) -> bool:
    """Elements with classes match on a shared class ("price" and "price price--sale" do); bare
    tags must also sit under a like parent."""
    parent, _, own = where.partition(">")
    usual_parent, _, usual_own = usual.partition(">")
    return not _alike(own, usual_own) or ("." not in own and not _alike(parent, usual_parent))


def _alike(sig: str, other: str) -> bool:
    tag, *classes = sig.split(".")
    other_tag, *other_classes = other.split(".")
    if tag != other_tag:
        return False
    return bool(set(classes) & set(other_classes)) if classes or other_classes else True


def _group_score(group: Group, reader: Reader, mapper: Mapper, fields: list[FieldInfo],
                 about: frozenset[str]) -> float:
    """How likely the group's members are the items: fill quality, count, and text per member."""
    n = len(group.records)
    idx = sorted({round(i * (n - 1) / (_SAMPLES - 1)) for i in range(_SAMPLES)}) if n > _SAMPLES else range(n)
    total = sum(f.weight for f in fields if f.head != "rank") or 1.0
    qualities: list[float] = []
    titles: list[object] = []
    named = False
    for i in idx:
        rec = reader.read(group.records[i])
        picks = mapper.map(rec)
        qualities.append(_fill(picks, fields) / total)
        titles.extend(_value(picks.get(f.name)) for f in fields if f.head == "title")
        named = named or any(about.intersection(reader.cues.own_cues(r)) for r in rec.roots)
    quality = sum(qualities) / len(qualities)
    if quality < _MIN_QUALITY:
        return 0.0
    richness = min(1.0, math.log1p(group.mean_text) / math.log1p(60))
    score = quality**2 * math.log2(1 + n) * math.sqrt(richness)
    if len(titles) >= 2 and len(set(map(str, titles))) == 1:
        score *= 0.5  # every member with the same title: a repeated widget, not a list of items
    return score * 1.15 if named else score


def _fill(picks: dict[str, Pick], fields: list[FieldInfo]) -> float:
    got = 0.0
    for f in fields:
        pick = picks.get(f.name)
        if pick is not None and f.head != "rank":
            got += f.weight * min(pick.score, 1.0) * (1.0 if pick.value is not None else 0.3)
    return got


def _fill_by_position(rows: list[Row], fields: list[FieldInfo]) -> None:
    """A rank the page does not print is the item's place in the list; a flag absent is a no."""
    for f in fields:
        if f.head == "rank" and f.type in ("int", "str"):
            for pos, row in enumerate(rows, 1):
                if row[f.name] is None:
                    row[f.name] = pos if f.type == "int" else str(pos)
        elif f.type == "bool" and any(row[f.name] is not None for row in rows):
            for row in rows:
                if row[f.name] is None:
                    row[f.name] = False


def _filled(row: Row) -> int:
    return sum(v is not None for v in row.values())


def _empty(pick: Pick | None) -> bool:
    return pick is None or pick.value is None


def _value(pick: Pick | None) -> object:
    return None if pick is None else pick.value

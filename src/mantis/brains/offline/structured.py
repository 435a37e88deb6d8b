"""What a page states about itself for machines: JSON-LD, microdata, RDFa, OpenGraph, <meta>, and its date.

Publishers write these for search engines and link previews, and they name their values with a shared
vocabulary (schema.org, ogp.me), so where one of them names a field it is a better answer than any
guess from the layout. extruct reads the syntaxes; htmldate finds the page's date when no statement
gives one. Statements are flattened into (key words, value) pairs and matched to fields through the
same vocabulary as the page's visible labels (vocab.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import extruct
import htmldate
from lxml.html import HtmlElement

from mantis.brains.offline.cues import Cues
from mantis.brains.offline.dom import Page
from mantis.brains.offline.fields import Mapper
from mantis.brains.offline.values import coerce, collapse
from mantis.brains.offline.vocab import (
    IMAGE_WORDS,
    URL_WORDS,
    FieldInfo,
    Matcher,
    concept,
    is_concept,
    tokens,
)

log = logging.getLogger("mantis.brains.offline")

# The syntaxes read, best first: JSON-LD and microdata describe the page's own entity with schema.org
# types; OpenGraph and RDFa (mostly OpenGraph again) describe the page as a shared link; plain <meta>
# tags are free-form.
_SYNTAXES = ("json-ld", "microdata", "opengraph", "rdfa")
_RANK = {"json-ld": 4, "microdata": 4, "opengraph": 3, "rdfa": 2, "meta": 1}
# schema.org types (and data-vocabulary.org's Breadcrumb, an older trail) that describe the site or
# the page's furniture rather than what the page is about.
_FURNITURE = frozenset({
    "breadcrumblist", "website", "organization", "searchaction", "imageobject", "listitem", "wpheader",
    "wpfooter", "wpsidebar", "sitenavigationelement", "person", "readaction", "entrypoint", "corporation",
    "localbusiness", "newsmediaorganization", "breadcrumb"
})
# A key's first word says what its value is ("author" in author.name); words further down the path only
# qualify it ("name" of the author), so they count this much.
_NESTED_WEIGHT = 0.3
# How strongly a statement's key must name a field: a synonym of its head noun (vocab.py scores those
# 0.85) or better; looser matches are left to the page's visible text.
NAMES_FIELD = 0.85
# How much of the tab's title (Mapper.echo) a stated title must say to be the page's own: a headline says
# most of it (0.5 and up, as extract._FRAME_ECHO reasons); a related teaser's name shares a word or none
# with it (under 0.1 on the tuning half's pages).
_OWN_TITLE = 0.2
_MAX_VALUE = 2000  # longer values are article bodies, not field values
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Statement:
    cues: Cues
    value: str
    rank: int  # how much the syntax it came from is trusted (_RANK)
    # Vocabulary sets of the words that qualify the key's last word ("site" in og:site_name): the
    # value is the name, date or title of that thing, not of the page's own entity.
    of: frozenset[str] = frozenset()


def statements(html: str | bytes, doc: HtmlElement, url: str, entity: frozenset[str]) -> list[Statement]:
    """Every flat statement of the page's main entity and of its link preview, best syntax first."""
    # RDFa's parser visits every element (seconds on a large page): only for pages that use RDFa beyond
    # the OpenGraph <meta> tags, which the opengraph syntax and the <meta> reader already read.
    syntaxes = [s for s in _SYNTAXES if s != "rdfa" or doc.find(".//*[@typeof]") is not None]
    try:
        found = extruct.extract(html, base_url=url, syntaxes=syntaxes, uniform=True, errors="ignore")
    except Exception as exc:  # extruct raises what its parsers raise on broken markup; the page still reads
        log.debug("structured data unreadable on %s: %s", url, exc)
        found = {}
    out: list[Statement] = []
    for syntax in _SYNTAXES:
        items = [i for i in found.get(syntax) or [] if isinstance(i, dict)]
        if syntax in ("json-ld", "microdata"):
            items = _main_items(items, entity)
        for item in items:
            out.extend(_flatten(item, (), _RANK[syntax], 0))
    out.extend(_meta(doc))
    return out


def _item_types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type") or []
    return {str(k).rsplit("/", 1)[-1].lower() for k in (kind if isinstance(kind, list) else [kind])}


def _main_items(items: list[dict[str, Any]], entity: frozenset[str]) -> list[dict[str, Any]]:
    """The items that say what the page is about: those whose type is the entity, else all but furniture."""
    flat: list[dict[str, Any]] = []
    for item in items:
        graph = item.get("@graph")
        flat.extend(g for g in graph if isinstance(g, dict)) if isinstance(graph, list) else flat.append(item)
    named = [i for i in flat if any(entity.intersection(tokens(t)) for t in _item_types(i))]
    return named or [i for i in flat if not _item_types(i) <= _FURNITURE]


def _key_words(key: str) -> tuple[str, ...]:
    """Words of a property name: the last part of a URI or prefixed name ("og:title", "…/ns#title")."""
    for sep in ("#", "/"):
        key = key.rsplit(sep, 1)[-1]
    return tokens(key.replace(":", " "))


def _flatten(value: Any, path: tuple[str, ...], rank: int, depth: int) -> list[Statement]:
    if depth > _MAX_DEPTH:
        return []
    if isinstance(value, dict):
        if "@value" in value:
            return _flatten(value["@value"], path, rank, depth + 1)
        out: list[Statement] = []
        for key, inner in value.items():
            if not key.startswith("@"):
                out.extend(_flatten(inner, (*path, key), rank, depth + 1))
        return out
    if isinstance(value, list):
        parts = [s for v in value for s in _flatten(v, path, rank, depth + 1)]
        joined: dict[tuple[tuple[tuple[str, float], ...], frozenset[str]], list[str]] = {}
        for s in parts:
            joined.setdefault((tuple(sorted(s.cues.items())), s.of), []).append(s.value)
        return [Statement(dict(k), ", ".join(dict.fromkeys(v)), rank, of) for (k, of), v in joined.items()]
    if isinstance(value, bool) or value is None or not path:
        return []
    text = collapse(str(value))
    if not text or len(text) > _MAX_VALUE:
        return []
    cues: dict[str, float] = {}
    for i, key in enumerate(path):
        for tok in _key_words(key):
            cues[tok] = max(cues.get(tok, 0.0), 1.0 if i == 0 else _NESTED_WEIGHT)
    return [Statement(cues, text, rank, _qualified(_key_words(path[0])))]


def _qualified(words: tuple[str, ...]) -> frozenset[str]:
    """The vocabulary sets that the words before a key's last word belong to, other than the last
    word's own ("site" in site_name; "date" in datePublished is the same set as "published")."""
    head = concept(words[-1]) if words else ""
    return frozenset(concept(w) for w in words[:-1] if is_concept(w) and concept(w) != head)


def _meta(doc: HtmlElement) -> list[Statement]:
    """Plain <meta name=… content=…> tags ("author", "description", "DC.date.issued")."""
    out = []
    for el in doc.iter("meta"):
        key = el.get("name") or el.get("property") or el.get("itemprop") or ""
        content = collapse(el.get("content") or "")
        if key and content and len(content) <= _MAX_VALUE:
            words = tokens(key.replace(".", " ").replace(":", " "))
            out.append(Statement(dict.fromkeys(words, 1.0), content, _RANK["meta"], _qualified(words)))
    return out


def _fits(field: FieldInfo, statement: Statement) -> bool:
    """Whether a statement's value can be a value of the field's kind (a link, an image, a text)."""
    is_link = statement.value.startswith(("http://", "https://", "/"))
    if field.kind == "image":
        return is_link and bool(IMAGE_WORDS.intersection(statement.cues))
    if field.kind == "url":
        return is_link and bool(URL_WORDS.intersection(statement.cues))
    return not is_link


def stated_values(html: str, page: Page, fields: list[FieldInfo], matcher: Matcher,
                  entity: frozenset[str]) -> dict[str, object]:
    """The fields the page's statements name, each from the most trusted statement naming it best.

    A page's own URL field is left to the caller.
    """
    doc = page.body.getroottree().getroot()
    found = statements(html, doc, page.url, entity)
    mapper = Mapper(fields, matcher, page, single=True)
    best: dict[int, tuple[int, float, float, str]] = {}
    for statement in found:
        names = mapper.names(statement.cues)
        for fi, f in enumerate(fields):
            if names[fi] < NAMES_FIELD or (f.kind != "text" and f.main) or not _fits(f, statement):
                continue
            if f.kind == "text" and statement.of - {f.head}:
                continue  # og:site_name names the site, not the article
            echo = mapper.echo(statement.value) if f.head == "title" and page.title.strip() else 1.0
            if echo < _OWN_TITLE:
                continue  # a teaser's or a site's name, stated beside the page's own
            key = (statement.rank, names[fi], echo, statement.value)
            if fi not in best or key[:3] > best[fi][:3]:
                best[fi] = key
    out: dict[str, object] = {}
    for fi, f in enumerate(fields):
        value = coerce(best[fi][3], f.type) if fi in best else None
        if value is not None:
            out[f.name] = value
    return out


# schema.org types whose items are a list the page shows: a list of results, products, or the trail of
# pages above this one.
_LISTS = frozenset({"itemlist", "breadcrumblist", "offercatalog"})
# A trail is on nearly every page: it is the list asked for only when the entity is named so.
_TRAILS = frozenset({"breadcrumblist"})
_TRAIL_WORDS = frozenset({"breadcrumb", "crumb", "trail"})
_MIN_ITEMS = 2  # one item is no list


def stated_items(html: str, page: Page, fields: list[FieldInfo], matcher: Matcher,
                 entity: frozenset[str]) -> list[dict[str, object]]:
    """The items of the list the page states (JSON-LD or microdata ItemList / BreadcrumbList), each as the
    fields its statements name; only items whose stated text the page also shows (what a person cannot
    see is never extracted), in the list's order. Empty when the page states no list of two or more."""
    if "itemListElement" not in html:  # the property every stated list uses: most pages skip the parse
        return []
    try:
        found = extruct.extract(html, base_url=page.url, syntaxes=["json-ld", "microdata"], uniform=True,
                                errors="ignore")
    except Exception as exc:  # as in statements(): broken markup leaves the visible structure to read
        log.debug("structured data unreadable on %s: %s", page.url, exc)
        return []
    shown = " ".join(page.body.text_content().split()).casefold()
    mapper = Mapper(fields, matcher, page, single=False)
    for syntax in ("json-ld", "microdata"):
        for item in _flat_items([i for i in found.get(syntax) or [] if isinstance(i, dict)]):
            members = item.get("itemListElement")
            kinds = _item_types(item)
            if not kinds & _LISTS or not isinstance(members, list) or len(members) < _MIN_ITEMS:
                continue
            if kinds <= _TRAILS and not entity & _TRAIL_WORDS:
                continue
            rows = [_list_member(m, fields, mapper) for m in sorted(members, key=_position)
                    if isinstance(m, dict)]
            visible = [r for r in rows if r and all(
                " ".join(str(v).split()).casefold() in shown for v in r.values()
                if isinstance(v, str) and not v.startswith(("http://", "https://", "/")))]
            if len(visible) >= _MIN_ITEMS:
                return visible
    return []


def _flat_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for item in items:
        graph = item.get("@graph")
        flat.extend(g for g in graph if isinstance(g, dict)) if isinstance(graph, list) else flat.append(item)
    return flat


def _position(member: Any) -> float:
    try:
        return float(member.get("position", 0)) if isinstance(member, dict) else 0.0
    except (TypeError, ValueError):
        return 0.0


def _list_member(member: dict[str, Any], fields: list[FieldInfo], mapper: Mapper) -> dict[str, object]:
    """One ListItem's fields: its own statements and those of the thing it holds ("item"), alike."""
    inner = member.get("item")
    merged = {k: v for k, v in member.items() if k != "item"}
    if isinstance(inner, dict):
        merged = {**merged, **inner}
    elif isinstance(inner, str):
        merged.setdefault("url", inner)
    if "@id" in merged and "url" not in merged:
        merged["url"] = merged["@id"]
    found = _flatten(merged, (), _RANK["json-ld"], 0)
    out: dict[str, object] = {}
    for fi, f in enumerate(fields):
        best: tuple[float, str] | None = None
        for statement in found:
            named = mapper.names(statement.cues)[fi]
            main_url = f.kind == "url" and f.main and bool(URL_WORDS.intersection(statement.cues))
            better = best is None or named > best[0]
            if (named >= NAMES_FIELD or main_url) and _fits(f, statement) and better:
                best = (named, statement.value)
        value = coerce(best[1], f.type) if best else None
        if value is not None:
            out[f.name] = value
    return out


# Field words asking for when a page first appeared rather than when it last changed.
_ORIGINAL = frozenset({"published", "created", "original", "first", "posted", "issued", "released"})


def page_date(html: str, field: FieldInfo) -> str | None:
    """The page's date as htmldate finds it (YYYY-MM-DD), for a date field nothing else filled: its
    original date when the field asks for one ("published"), else its latest."""
    original = bool(_ORIGINAL.intersection(field.cores))
    try:
        found = htmldate.find_date(html, extensive_search=True, original_date=original)
    except Exception as exc:  # htmldate raises what lxml and dateparser raise on odd pages
        log.debug("no date read: %s", exc)
        return None
    return str(found) if found else None

"""Reading one record: each piece of text in it, with the words around it that say what it is.

A value rarely names itself; its element's classes and itemprops, its ancestors', a label before
it ("Price:", <dt>, <th>, "by"), a column header or an icon next to it do. Each piece of text
becomes a candidate carrying those words as weighted cue tokens, for the field mapper to match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from mantis.brains.offline.dom import BLOCK_TAGS, HEADINGS, Page, is_chrome, span, table_headers
from mantis.brains.offline.values import collapse
from mantis.brains.offline.vocab import AD_WORDS, TITLE_WORDS, Matcher, label_cues, split_words, tokens

Cues = dict[str, float]

_ATTR_WEIGHTS = {"itemprop": 1.0, "class": 0.9, "id": 0.8, "name": 0.8, "aria-label": 0.8, "data-testid": 0.9,
                 "data-test": 0.9, "data-qa": 0.9, "data-cy": 0.9, "data-field": 0.9, "title": 0.4, "alt": 0.6}
_LABEL_CLASSES = frozenset(("label", "key", "term", "caption", "lbl"))
_LINK_CHORES = frozenset(
    "more|read more|see more|view more|learn more|details|view details|view|click here|here|share|save|hide|"
    "reply|flag|report|edit|delete|buy|buy now|add to cart|apply|apply now|next|previous|prev|comments|"
    "discuss|past|web|favorite|like|follow".split("|")
)
_AD_TEXTS = frozenset(("ad", "ads", "sponsored", "promoted", "advertisement", "sponsored result"))
_DECAY = 0.75
_TEXT_CUE = 0.8


@dataclass(eq=False)
class Cand:
    """A piece of text a field could take; lo..hi are the text nodes it spans, for exclusivity."""

    text: str
    el: HtmlElement
    lo: int
    hi: int
    cues: Cues
    order: int
    anchor: HtmlElement | None
    heading: int
    meta: bool = False
    label: bool = False


@dataclass(eq=False)
class Link:
    el: HtmlElement
    href: str
    text: str
    cues: Cues
    heading: int


@dataclass(eq=False)
class Image:
    src: str
    cues: Cues


@dataclass(eq=False)
class Record:
    roots: tuple[HtmlElement, ...]
    cands: list[Cand] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    ad: bool = False
    main_link: Link | None = None


def _merge(*many: Cues | None) -> Cues:
    out: Cues = {}
    for cues in many:
        if cues:
            for tok, w in cues.items():
                if w > out.get(tok, 0.0):
                    out[tok] = w
    return out


def _decay(cues: Cues) -> Cues:
    return {t: w * _DECAY for t, w in cues.items() if w * _DECAY >= 0.3}


def _text_cues(text: str) -> Cues | None:
    """A short text names itself: "45 comments", "123 points", "Remote"."""
    if len(text) > 40 or text.count(" ") > 3:
        return None
    return {t: _TEXT_CUE for t in tokens(text)}


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


class Reader:
    """Reads records of one page; caches what elements say of themselves across records and groups."""

    def __init__(self, page: Page, matcher: Matcher, *, skip_chrome: bool = False) -> None:
        self.page = page
        self.matcher = matcher
        self.skip_chrome = skip_chrome
        self._own: dict[HtmlElement, Cues] = {}
        self._headers: dict[HtmlElement, list[str]] = {}
        self._host = urlsplit(page.base).netloc

    def read(self, roots: tuple[HtmlElement, ...]) -> Record:
        rec = Record(roots)
        walk = _Walk(self, rec)
        for root in roots:
            walk.visit(root, {}, None, None, 0, top=True)
        rec.ad = any(AD_WORDS.intersection(self.own_cues(r)) for r in roots) or any(
            c.text.lower() in _AD_TEXTS for c in rec.cands)
        rec.main_link = _main_link(rec.links)
        return rec

    def own_cues(self, el: HtmlElement) -> Cues:
        """The words an element's own attributes say about it (class, itemprop, aria-label, data-*)."""
        cues = self._own.get(el)
        if cues is None:
            cues = {}
            for key, value in el.attrib.items():
                weight = _ATTR_WEIGHTS.get(key)
                if weight is None and key.startswith("data-") and not key.startswith("data-mantis"):
                    found = tokens(key[5:])  # data-price="89.5" says "price" by its name
                    weight = 0.6
                elif weight is None:
                    continue
                else:
                    found = tokens(value)
                for tok in found:
                    if weight > cues.get(tok, 0.0):
                        cues[tok] = weight
            self._own[el] = cues
        return cues

    def href_cues(self, raw: str, href: str) -> Cues:
        """Where a link goes says what it is: tel:, mailto:, /user?id=…, /jobs/…; not other sites."""
        scheme = raw.split(":", 1)[0].lower() if ":" in raw[:8] else ""
        if scheme in ("tel", "mailto"):
            return {scheme: 0.9}
        parts = urlsplit(href)
        if parts.netloc != self._host:
            return {}
        segment = parts.path.strip("/").split("/", 1)[0]
        keys = " ".join(kv.split("=", 1)[0] for kv in parts.query.split("&"))
        return {t: 0.5 for t in tokens(segment + " " + keys)}

    def row_headers(self, row: HtmlElement) -> list[str]:
        parent = row.getparent()
        if parent is None:
            return []
        headers = self._headers.get(parent)
        if headers is None:
            headers = self._headers[parent] = table_headers(row)
        return headers

    def label_of(self, el: HtmlElement, text: str) -> Cues | None:
        """Label cues when the element is a label for what follows it rather than a value."""
        if not text:
            own = self.own_cues(el)
            return {t: w * 0.6 for t, w in own.items()} if own and el.tag != "td" else None
        if len(text) > 40:
            return None
        nxt = el.getnext()
        follows = bool((el.tail or "").strip()) or nxt is not None
        is_label = (
            el.tag in ("dt", "label")
            or (el.tag == "th" and nxt is not None and nxt.tag == "td")
            or bool(_LABEL_CLASSES.intersection(split_words(el.get("class", ""))))
            or text.endswith(":")
            or (follows and not any(ch.isdigit() for ch in text) and self.matcher.speaks_of_fields(text))
        )
        return label_cues(text.rstrip(": "), 1.0) if is_label else None


class _Walk:
    """One pass over a record's elements in document order."""

    def __init__(self, reader: Reader, rec: Record) -> None:
        self.r = reader
        self.rec = rec
        self.atom = 0
        self.order = 0

    def visit(self, el: HtmlElement, inherited: Cues, extra: Cues | None, anchor: HtmlElement | None,
              heading: int, top: bool = False) -> tuple[str, Cand | None]:
        tag = el.tag
        if not isinstance(tag, str) or (self.r.skip_chrome and not top and is_chrome(el)):
            return "", None
        cues = _merge(inherited, self.r.own_cues(el), extra)
        raw_href = el.get("href") if tag == "a" else None
        href = self.r.page.absolute(raw_href)
        if raw_href and href:
            anchor = el
            cues = _merge(cues, self.r.href_cues(raw_href, href))
        heading = HEADINGS.get(tag, heading)
        if tag in ("meta", "link"):
            self._meta(el, cues)
            return "", None
        if tag == "img":
            self._image(el, cues)
            return "", None
        lo, order, links_before = self.atom, self.order, len(self.rec.links)
        self.order += 1
        inner = _decay(cues)
        parts = [" "] if tag in BLOCK_TAGS else []
        pending: Cues | None = None
        if el.text and el.text.strip():
            pending = self._atom(el.text, el, cues, None, anchor, heading, standalone=len(el) > 0)
            parts.append(el.text)
        headers = self.r.row_headers(el) if tag == "tr" else []
        col = 0
        for child in el:
            given = pending
            if headers and child.tag in ("td", "th"):
                if col < len(headers) and headers[col]:
                    given = _merge(given, label_cues(headers[col], 1.0))
                col += span(child)
            text, cand = self.visit(child, inner, given, anchor, heading)
            parts.append(text)
            label = self.r.label_of(child, collapse(text))
            if label is not None and cand is not None:
                cand.label = True
            pending = label
            tail = child.tail
            if tail and tail.strip():
                pending = self._atom(tail, el, cues, label, anchor, heading, standalone=True)
                parts.append(tail)
        if tag in BLOCK_TAGS:
            parts.append(" ")
        text = "".join(parts)
        full = collapse(text)
        if not _has_alnum(full):
            return text, None
        new_links = self.rec.links[links_before:]
        own_anchor = anchor if anchor is not None else (new_links[0].el if len(new_links) == 1 else None)
        cand = Cand(full, el, lo, self.atom, _merge(cues, _text_cues(full)), order, own_anchor, heading)
        self.rec.cands.append(cand)
        if anchor is el and href:
            self.rec.links.append(Link(el, href, full, cand.cues, heading))
        return text, cand

    def _atom(self, raw: str, el: HtmlElement, cues: Cues, label: Cues | None, anchor: HtmlElement | None,
              heading: int, standalone: bool) -> Cues | None:
        """Count a text node; make it a candidate of its own when it stands beside elements.

        Returns label cues for the next sibling when the text is itself a label ("by ", "Price:").
        """
        idx = self.atom
        self.atom += 1
        text = collapse(raw)
        if not _has_alnum(text):
            return None
        if text.endswith(":") or (not any(ch.isdigit() for ch in text) and self.r.matcher.speaks_of_fields(text)):
            return label_cues(text.rstrip(": "), 1.0)
        name, sep, value = text.partition(":")
        if sep and value.strip() and len(name) <= 30 and name[:1].isalpha() and not value.startswith("//"):
            named = label_cues(name, 1.0)
            if any(self.r.matcher.lookup(t) for t in named):
                value = value.strip()
                self._add(value, el, idx, _merge(cues, label, named, _text_cues(value)), anchor, heading)
        if standalone:
            self._add(text, el, idx, _merge(cues, label, _text_cues(text)), anchor, heading)
        return None

    def _add(self, text: str, el: HtmlElement, idx: int, cues: Cues, anchor: HtmlElement | None,
             heading: int, meta: bool = False) -> None:
        self.rec.cands.append(Cand(text, el, idx, idx + 1, cues, self.order, anchor, heading, meta=meta))
        self.order += 1

    def _meta(self, el: HtmlElement, cues: Cues) -> None:
        """Microdata that is stated rather than shown (<meta itemprop content>, <link itemprop href>)."""
        if not el.get("itemprop"):
            return
        value = el.get("content") or el.get("href", "").rstrip("/").rsplit("/", 1)[-1]
        if value and value.strip():
            self.rec.cands.append(
                Cand(collapse(value), el, self.atom, self.atom, cues, self.order, None, 0, meta=True))
            self.order += 1

    def _image(self, el: HtmlElement, cues: Cues) -> None:
        src = el.get("src", "")
        if not src or src.startswith("data:"):
            srcset = el.get("data-srcset") or el.get("srcset") or ""
            src = el.get("data-src") or el.get("data-lazy-src") or el.get("data-original") or (
                srcset.strip().split(" ", 1)[0] if srcset.strip() else "")
        url = self.r.page.absolute(src)
        if url:
            self.rec.images.append(Image(url, _merge(cues, {t: 0.6 for t in tokens(el.get("alt", ""))})))


def _main_link(links: list[Link]) -> Link | None:
    """The record's own link: the longest-titled one, favouring headings and title-named elements."""
    best, best_score = None, 0.0
    for link in links:
        text = link.text
        if sum(ch.isalpha() for ch in text) < 2 or text.lower() in _LINK_CHORES:
            continue
        score = min(len(text), 80) + (40 if link.heading else 0)
        if any(w >= 0.5 for t, w in link.cues.items() if t in TITLE_WORDS):
            score += 30
        if score > best_score:
            best, best_score = link, score
    return best

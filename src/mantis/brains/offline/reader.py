"""Reading one record: each piece of text in it, with the words around it that say what it is.

Each text node, and each element's whole text, becomes a candidate carrying cue words (see
cues.py) for the field mapper to match; links and images are collected for URL fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from lxml.html import HtmlElement

from mantis.brains.offline.cues import CueBook, Cues, decay, merge, names_amount, text_cues
from mantis.brains.offline.dom import BLOCK_TAGS, HEADINGS, Page, is_chrome, span
from mantis.brains.offline.values import collapse, parse_int
from mantis.brains.offline.vocab import (
    AD_WORDS,
    BYLINE_WORDS,
    DATE_PATTERN,
    TITLE_WORDS,
    Matcher,
    label_cues,
    tokens,
)

_LINK_CHORES = frozenset({
    "more", "read more", "see more", "view more", "learn more", "details", "view details", "view",
    "click here", "here", "share", "save", "hide", "reply", "flag", "report", "edit", "delete", "buy",
    "buy now", "add to cart", "apply", "apply now", "next", "previous", "prev", "comments", "discuss",
    "favorite", "like", "follow"
})
_AD_TEXTS = frozenset(("ad", "ads", "sponsored", "advertisement", "sponsored result"))
# Punctuation a text node between elements starts or ends with: "— snippet", "Austin, TX ·".
_SEPARATORS = re.compile(r"^(?:[—–·|•:;,]|-(?=\s))+\s*|\s*[—–·|•:;,]+$")
# What sets values apart inside one text: "Listed 3 days ago · 12 views | Used".
_SEGMENTS = re.compile(r"\s+[·|•]\s+")
# Inline elements that read as separate words even with no space between them in the markup.
_SPACED_TAGS = frozenset(("a", "button", "time", "img", "input"))
_MAX_DEPTH = 200
# Code listings: on a detail page, verbatim text of the body ("from selenium.webdriver.common.by import
# By"), never one of its facts.
_VERBATIM = frozenset(("pre", "code"))
_DATA_NOISE = ("data-mantis", "data-test", "data-qa", "data-cy", "data-action", "data-layout")
# A byline inside a line of text ("Posted by jamieanne at 3:37 AM", "By Ida Brandt on 6 May 2014"): the
# name runs from the byline word to a date, a digit, a separator or the end. Lines longer than this are
# prose ("… baked by my grandmother in …"); a byline's label is at most this many words before its "by"
# ("Recipe by", "Originally posted by"); a name is at most this many words ("Maria de la Cruz Ortega").
_BYLINE_LINE_CHARS = 80
_BYLINE_LEAD_WORDS = 2
_NAME_WORDS = 5
_NAME_END = re.compile(r"[,;|·•()\[\]\d]")
# A time of day right after the name ("at 3:37 AM", "9 pm") dates the line as a post's.
_TIME_OF_DAY = re.compile(r"^\d{1,2}(?::\d{2}|\s*[ap]\.?m\b)", re.I)
# The longest lower-case word taken for a particle inside a person's name ("de", "van", "bin"): longer
# lower-case words are a phrase's ("Sort by price and rating").
_PARTICLE_CHARS = 3


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
    section: bool = False  # holds a heading: a block of the page rather than one value

    @cached_property
    def number(self) -> int | None:
        return parse_int(self.text)

    @cached_property
    def letters(self) -> int:
        """Letters among the first 64 characters: enough to tell words from numbers and symbols."""
        return sum(ch.isalpha() for ch in self.text[:64])


@dataclass(eq=False)
class Link:
    el: HtmlElement
    href: str
    text: str
    cues: Cues
    heading: int


@dataclass(eq=False)
class Image:
    el: HtmlElement
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


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


class Reader:
    """Reads records of one page; caches what elements say of themselves across records and groups."""

    def __init__(self, page: Page, matcher: Matcher, *, skip_chrome: bool = False) -> None:
        self.page = page
        self.cues = CueBook(page, matcher)
        self.skip_chrome = skip_chrome
        self._records: dict[tuple[HtmlElement, ...], Record] = {}

    def read(self, roots: tuple[HtmlElement, ...]) -> Record:
        """The record's candidates; kept, since a record is read when scoring groups and again for rows."""
        rec = self._records.get(roots)
        if rec is not None:
            return rec
        rec = self._records[roots] = Record(roots)
        walk = _Walk(self, rec)
        for root in roots:
            walk.visit(root, {}, None, None, 0)
        rec.ad = any(AD_WORDS.intersection(self.cues.own_cues(r)) for r in roots) or any(
            c.text.lower() in _AD_TEXTS for c in rec.cands)
        rec.main_link = _main_link(rec.links)
        return rec


class _Walk:
    """One pass over a record's elements in document order."""

    def __init__(self, reader: Reader, rec: Record) -> None:
        self.r = reader
        self.rec = rec
        self.atom = 0
        self.order = 0
        self.headings = 0

    def visit(self, el: HtmlElement, inherited: Cues, extra: Cues | None, anchor: HtmlElement | None,
              heading: int, depth: int = 0) -> tuple[str, Cand | None]:
        tag = el.tag
        if not isinstance(tag, str) or (self.r.skip_chrome and depth and (is_chrome(el) or tag in _VERBATIM)):
            return "", None
        if depth > _MAX_DEPTH:  # runaway nesting (unclosed tags): read as plain text, stay off the stack
            return " " + " ".join(el.itertext()) + " ", None
        cues = merge(inherited, self.r.cues.own_cues(el), extra)
        raw_href = el.get("href") if tag == "a" else None
        href = self.r.page.absolute(raw_href)
        if raw_href and href:
            anchor = el
            cues = merge(cues, self.r.cues.href_cues(raw_href, href))
        heading = HEADINGS.get(tag, heading)
        self._data_values(el)
        if tag in ("meta", "link"):
            self._meta(el, cues)
            return "", None
        if tag == "img":
            self._image(el, cues)
            return "", None
        lo, order, links_before, headings_before = self.atom, self.order, len(self.rec.links), self.headings
        if tag in HEADINGS:
            self.headings += 1
        self.order += 1
        inner = decay(cues)
        parts = [" "] if tag in BLOCK_TAGS or tag in _SPACED_TAGS else []
        pending: Cues | None = None
        if el.text:
            parts.append(el.text)
            if el.text.strip():
                pending = self._atom(el.text, el, cues, None, anchor, heading, standalone=len(el) > 0)
        header, headers = self.r.cues.columns(el) if tag == "tr" else (None, [])
        col = 0
        for child in el:
            given = pending
            if headers and child.tag in ("td", "th"):
                if col < len(headers) and headers[col]:
                    given = merge(given, label_cues(headers[col], 1.0))
                col += span(child)
            text, cand = self.visit(child, inner, given, anchor, heading, depth + 1)
            parts.append(text)
            label = self.r.cues.label_of(child, collapse(text))
            if cand is not None and (label is not None or el is header):
                cand.label = True  # a column header names values, it is none
            pending = label
            tail = child.tail
            if tail:
                parts.append(tail)
                if tail.strip():
                    pending = self._atom(tail, el, cues, label, anchor, heading, standalone=True)
                    if pending is not None and cand is not None and names_amount(tail, cand.text):
                        cand.cues = merge(cand.cues, pending)  # "<b>3</b> bd": the unit names the number
                        pending = None
        if tag in BLOCK_TAGS or tag in _SPACED_TAGS:
            parts.append(" ")
        text = "".join(parts)
        full = collapse(text)
        label = el.get("aria-label") or el.get("title")
        if label and label.strip() and label.strip().lower() not in full.lower():
            self._stated(label, el, cues)  # e.g. star ratings drawn in CSS, named only for screen readers
        if tag == "a" and raw_href and href and not _has_alnum(full):
            # An icon link: what it says is in its aria-label, title or its picture's alt text.
            alt = next((i.get("alt", "") for i in el.iter("img") if i.get("alt", "").strip()), "")
            named = collapse(label or alt)
            if named:
                self.rec.links.append(Link(el, href, named, merge(cues, text_cues(named)), heading))
        if tag == "time" and el.get("datetime"):
            # The machine-readable form of a shown date ("last Thursday" is 2023-11-02); being stated, it
            # ranks below the shown text wherever that reads as a date itself ("3 days ago").
            self._stated(el.get("datetime", ""), el, cues)
        if not _has_alnum(full):
            return text, None
        new_links = self.rec.links[links_before:]
        own_anchor = anchor if anchor is not None else (new_links[0].el if len(new_links) == 1 else None)
        cand = Cand(full, el, lo, self.atom, merge(cues, _own_cues(full)), order, own_anchor, heading,
                    section=self.headings > headings_before and tag not in HEADINGS)
        self.rec.cands.append(cand)
        if anchor is el and href:
            self.rec.links.append(Link(el, href, full, cand.cues, heading))
        return text, cand

    def _atom(self, raw: str, el: HtmlElement, cues: Cues, label: Cues | None, anchor: HtmlElement | None,
              heading: int, standalone: bool) -> Cues | None:
        """Count a text node; make it, and each labelled or separated part of it, a candidate.

        "Listing ID: 8841203 · Listed 12 days ago" holds two values, each its own candidate that
        uses up only its part. Returns label cues for the next sibling when the text is itself a
        label ("by ", "Price:").
        """
        text = _SEPARATORS.sub("", collapse(raw))
        parts = [p for p in _SEGMENTS.split(text) if _has_alnum(p)]
        matcher = self.r.cues.matcher
        bylines = [_inline_byline(p) for p in parts]
        lo = self.atom
        self.atom += max(1, len(parts) + sum(b is not None for b in bylines))
        if not parts:
            return None
        if text.endswith(":") or (not any(ch.isdigit() for ch in text) and matcher.is_label(text)):
            return label_cues(text.rstrip(": "), 1.0)
        at = lo
        for i, part in enumerate(parts):
            name, sep, value = part.partition(":")
            if name[-1:].isdigit() and value[:1].isdigit():
                sep = ""  # a time of day ("at 3:37 AM"), not a label and its value
            named = label_cues(name, 1.0) if sep and len(name) <= 30 and name[:1].isalpha() else {}
            byline = bylines[i]
            if byline is not None:
                # The name and the rest of the line (the date it was posted on) are each a value.
                who, rest = byline
                self._add(who, el, at, at + 1, merge(cues, label_cues("by", 1.0), text_cues(who)), anchor,
                          heading)
                if _has_alnum(rest):
                    self._add(rest, el, at + 1, at + 2, merge(cues, text_cues(rest)), anchor, heading)
            elif value.strip() and not value.startswith("//") and any(matcher.lookup(t) for t in named):
                value = value.strip()
                labelled = merge(cues, named, text_cues(value))
                self._add(value, el, at, at + 1, labelled, anchor, heading)
            elif len(parts) > 1:
                given = label if i == 0 else None
                self._add(part, el, at, at + 1, merge(cues, given, _own_cues(part)), anchor, heading)
            at += 1 if byline is None else 2
        if standalone:
            self._add(text, el, lo, self.atom, merge(cues, label, _own_cues(text)), anchor, heading)
        return None

    def _add(self, text: str, el: HtmlElement, lo: int, hi: int, cues: Cues, anchor: HtmlElement | None,
             heading: int) -> None:
        self.rec.cands.append(Cand(text, el, lo, hi, cues, self.order, anchor, heading))
        self.order += 1

    def _meta(self, el: HtmlElement, cues: Cues) -> None:
        """Microdata that is stated rather than shown (<meta itemprop content>, <link itemprop href>)."""
        if el.get("itemprop"):
            self._stated(el.get("content") or el.get("href", "").rstrip("/").rsplit("/", 1)[-1], el, cues)

    def _data_values(self, el: HtmlElement) -> None:
        """Values kept in data-* attributes named like a field: data-sku="A-113", data-price="89.5"."""
        for key, value in el.attrib.items():
            if key.startswith("data-") and not key.startswith(_DATA_NOISE) and 0 < len(value.strip()) <= 40:
                named = {t: 0.9 for t in tokens(key[5:])}
                if any(self.r.cues.matcher.lookup(t) for t in named):
                    self._stated(value, el, named)

    def _stated(self, value: str, el: HtmlElement, cues: Cues) -> None:
        """A value the markup states without showing it as text; it uses up no text node."""
        text = collapse(value)
        if text:
            self.rec.cands.append(
                Cand(text, el, -1, -1, merge(cues, text_cues(text)), self.order, None, 0, meta=True))
            self.order += 1

    def _image(self, el: HtmlElement, cues: Cues) -> None:
        src = el.get("src", "")
        if not src or src.startswith("data:"):
            srcset = el.get("data-srcset") or el.get("srcset") or ""
            src = el.get("data-src") or el.get("data-lazy-src") or el.get("data-original") or (
                srcset.strip().split(" ", 1)[0] if srcset.strip() else "")
        url = self.r.page.absolute(src)
        if url:
            alt = {t: 0.6 for t in tokens(el.get("alt", ""))}
            self.rec.images.append(Image(el, url, merge(cues, alt)))


def _inline_byline(text: str) -> tuple[str, str] | None:
    """The name a short line gives after its byline word, and what follows the name ("on 6 May 2014");
    None when the line holds no such name. A short lower-case word left dangling before the cut ("on",
    "at", "le") joins the name to the date and is no part of it."""
    if len(text) > _BYLINE_LINE_CHARS:
        return None
    words = text.split()
    at = next((i for i, w in enumerate(words[: _BYLINE_LEAD_WORDS + 1]) if w.lower() in BYLINE_WORDS), None)
    if at is None or at == len(words) - 1:
        return None
    after = " ".join(words[at + 1:])
    date = DATE_PATTERN.search(after)
    end = _NAME_END.search(after)
    cut = min(date.start() if date else len(after), end.start() if end else len(after))
    name = after[:cut].split()
    if len(name) > 1 and len(name[-1]) <= 3 and name[-1].islower():
        name.pop()
    if not name or len(name) > _NAME_WORDS or not name[0][:1].isalpha():
        return None
    rest = after[cut:].strip()
    told = rest.lstrip(",;|·•-–—() ")
    dated = DATE_PATTERN.match(told) is not None or _TIME_OF_DAY.match(told) is not None
    if at > 0 and not dated and not _person_like(name):
        return None
    return " ".join(name), rest


def _own_cues(text: str) -> Cues | None:
    """A short text's cue words, less a byline word inside it that opens no byline: "Sort by price" and
    "Powered by WordPress" are about no author, where "By Ida Brandt" is."""
    cues = text_cues(text)
    if not cues or not BYLINE_WORDS & cues.keys():
        return cues
    opens = text.split(None, 1)[0].lower() in BYLINE_WORDS
    return cues if opens or _inline_byline(text) is not None else {
        t: w for t, w in cues.items() if t not in BYLINE_WORDS}


def _person_like(words: list[str]) -> bool:
    """Whether the words after a line's lead-in and its byline word ("Posted by", "Sort by") read as a
    person's name where no date follows to say the line is a post's: two or more capitalised words,
    short lower-case particles between them ("Maria de la Cruz"). One word, or a lower-case one, is as
    often a thing's: "Sort by price", "Shop by Category", "Powered by WordPress"."""
    if len(words) < 2 or not words[0][:1].isupper() or not words[-1][:1].isupper():
        return False
    return all(w[:1].isupper() or (w.isalpha() and w.islower() and len(w) <= _PARTICLE_CHARS) for w in words)


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

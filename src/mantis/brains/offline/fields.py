"""Which piece of a record each field of the schema takes.

Every (field, candidate) pair is scored from the cue words around the candidate, the look of its
text (a price has a currency sign, an age says "ago") and, for titles, its prominence; then the
pairs are taken best first so that each piece of text goes to one field only, unless a field is
left with nothing better than a piece another field already took.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from mantis.brains.offline.cues import Cues
from mantis.brains.offline.dom import HEADINGS, Page, is_chrome, place
from mantis.brains.offline.reader import Cand, Link, Record
from mantis.brains.offline.values import collapse, parse_bool, parse_whole
from mantis.brains.offline.vocab import (
    AGE_PATTERN,
    BYLINE_WORDS,
    DATE_PATTERN,
    NUMERIC,
    STOP,
    FieldInfo,
    Matcher,
    tokens,
    without_byline_word,
)
from mantis.plans.extract import NUMERIC_TYPES

THRESHOLD = 0.45
_SHARE = 0.7  # a field left empty may share text with another field when it fits this well
_TIGHT = 0.25  # how much better a block must fit than a value nested in it to be taken instead
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)")  # a year, as dates in any language write it
_WORDY = frozenset(("title", "description", "location"))  # values that run to many words
_WHOLE = frozenset(("title", "description"))  # values read whole, even when they hold other fields
# On a detail page the tab's name (<title>) repeats the headline, usually with the site's name: a heading
# that says most of it is the page's headline, whatever its level ("Home" and "News" h1s say none of it).
# Weighted so that a heading repeating most of the title outbids an h1 (0.8) and a teaser's heading
# whose class says "title" (0.9 x 0.85 for the synonym, vocab.py) together with its own heading prior.
_ECHO = 1.2
# The facts of a detail page (its date, its byline) sit next to its headline: within this many elements
# of it they gain up to _NEAR_BONUS, over the same facts of teasers, comments and related items further off.
_NEAR = 40
_NEAR_BONUS = 0.15
# A dateline: the small block around a shown date ("13. Mai 2014 · Dr. Sebastian Brüggemann"); a name
# there is the byline's even with no "by" or class naming it. Blocks longer than this are paragraphs.
_DATELINE_CHARS = 200
_DATELINE_NAME = 0.5  # as much as a label word names a field (label_cues), a little under a class
# A shown date without its year ("Jun 17") in a <time> whose datetime has one ranks below that stated
# datetime, which Reader states at 0.8 of its score (_score's meta factor): so a little under it.
_YEARLESS = 0.7
# A card: a block of the content holding lists (a recipe's ingredients and steps, a how-to's parts and
# steps), named by its first heading. Lists of fewer items are a byline's links or a share bar's.
_CARD_LISTS = 2
_CARD_ITEMS = 3


@dataclass(frozen=True)
class Pick:
    value: int | str | bool | None
    score: float
    where: str = ""  # the template position the value came from, to check a list for consistency


class Mapper:
    """Maps the schema's fields onto records of one page."""

    def __init__(
        self, fields: list[FieldInfo], matcher: Matcher, page: Page, single: bool, titled: bool = True
    ) -> None:
        """`titled`: the record is the page's own, so the tab's title names it (a detail page); a list's
        one item is not named by the list's title ("Contacts")."""
        self.fields = fields
        self.matcher = matcher
        self.page = page
        self.single = single
        self._title = tuple(t for t in tokens(page.title) if t not in STOP) if single and titled else ()
        self._levels: dict[Record, int] = {}  # records hash by identity (eq=False)
        self._cards: dict[Record, HtmlElement | None] = {}

    def names(self, cues: Cues) -> list[float]:
        """How strongly the cue words speak of each field; the head noun counts most."""
        per: dict[tuple[int, int], float] = {}
        lookup = self.matcher.lookup
        for tok, weight in cues.items():
            for fi, ci, strength in lookup(tok):
                v = strength * weight
                if v > per.get((fi, ci), 0.0):
                    per[fi, ci] = v
        out = [0.0] * len(self.fields)
        for fi in {fi for fi, _ in per}:
            vals = [per.get((fi, ci), 0.0) for ci in range(len(self.fields[fi].cores))]
            score = max(vals[-1], 0.6 * max(vals[:-1], default=0.0))
            matched = sum(v >= 0.5 for v in vals)
            out[fi] = score + 0.15 * max(matched - 1, 0)
        return out

    def map(self, rec: Record) -> dict[str, Pick]:
        """The value each field takes in this record; fields with no fitting piece are absent."""
        picks: dict[str, Pick] = {}
        taken = self._texts(rec, picks)
        self._links(rec, picks, taken)
        return picks

    def _texts(self, rec: Record, picks: dict[str, Pick]) -> dict[str, Cand]:
        pairs: list[tuple[float, int, int, int]] = []
        first_number = next((c.order for c in rec.cands if any(ch.isdigit() for ch in c.text)), -1)
        last = max((c.order for c in rec.cands), default=0) + 1
        lead = self._lead(rec) if self.single else None
        datelines = _datelines(rec) if self.single and any(f.head == "author" for f in self.fields) else set()
        for ci, cand in enumerate(rec.cands):
            names = self.names(cand.cues)
            for fi, f in enumerate(self.fields):
                if f.kind != "text" or (cand.label and f.type != "bool"):
                    continue
                name = names[fi]
                if f.head == "author" and datelines and _name_shaped(cand.text) and any(
                        a in datelines for a in cand.el.iterancestors()):
                    name = max(name, _DATELINE_NAME)
                if not name and f.pattern is None and f.head not in ("title", "description"):
                    continue
                s = self._score(f, cand, name, rec, cand.order == first_number)
                if s >= THRESHOLD:
                    if self.single:
                        s += 0.1 * (1 - cand.order / last)  # a detail page states its own facts first
                    if lead is not None and f.head not in _WORDY:
                        s += _NEAR_BONUS * max(0.0, 1 - abs(cand.order - lead.order) / _NEAR)
                    pairs.append((s, -cand.order, fi, ci))
        pairs = self._prefer_tight(pairs, rec.cands)
        pairs.sort(reverse=True)
        chosen: dict[int, tuple[Cand, float]] = {}
        used: list[tuple[Cand, FieldInfo]] = []
        for s, _, fi, ci in pairs:
            f, cand = self.fields[fi], rec.cands[ci]
            if fi in chosen:
                continue
            if f.type == "bool":  # a flag reads text without using it up
                chosen[fi] = (cand, s)
            # Fields asking for the same thing ("price" and "price_text") may share a piece of text,
            # and a title may hold other fields ("2021 Subaru Outback" holds the year).
            elif not any(_clash(cand, u, "title" in (f.head, g.head)) for u, g in used if g.cores != f.cores):
                chosen[fi] = (cand, s)
                used.append((cand, f))
        for s, _, fi, ci in pairs:
            if fi not in chosen and s >= _SHARE:
                chosen[fi] = (rec.cands[ci], s)
        for fi, (cand, s) in chosen.items():
            f = self.fields[fi]
            picks[f.name] = Pick(self._value(f, cand), s, place(_innermost(cand.el)))
        return {self.fields[fi].name: cand for fi, (cand, _) in chosen.items()}

    def _prefer_tight(self, pairs: list[tuple[float, int, int, int]],
                      cands: list[Cand]) -> list[tuple[float, int, int, int]]:
        """Rank a candidate below one nested in it that fits the field almost as well.

        A block ("#812 opened 2 days ago by dkim") matches "opened" by its class; the <time> in it is
        the value, and taking the block would use up the "#812" another field needs. Titles and
        descriptions are read whole ("2021 Subaru Outback" is not just its last words), and so is a
        block whose value is wider than the nested one's ("Sat, Jun 14 · 7:00 PM", not "Sat, Jun 14").
        """
        by_field: dict[int, list[tuple[float, int]]] = {}
        for s, _, fi, ci in pairs:
            by_field.setdefault(fi, []).append((s, ci))
        out: list[tuple[float, int, int, int]] = []
        for s, order, fi, ci in pairs:
            f, a = self.fields[fi], cands[ci]
            if f.head not in _WHOLE:
                wide = str(self._value(f, a)) if f.span is not None else ""
                inner = max((t for t, cj in by_field[fi] if _inside(cands[cj], a)
                             and not _wider(wide, str(self._value(f, cands[cj])))), default=None)
                if inner is not None and inner >= s - _TIGHT:
                    s = min(s, inner - 0.01)
            out.append((s, order, fi, ci))
        return out

    def _score(self, f: FieldInfo, cand: Cand, name: float, rec: Record, first_number: bool) -> float:
        text = cand.text
        s = name
        if f.pattern is not None and (f.head != "rank" or first_number) and f.pattern.search(text):
            s += 0.35 if s else 0.45
        if f.head == "title":
            s += self._title_prior(cand, rec)
        elif f.head == "description":
            s += self._description_prior(cand)
        if f.head not in _WORDY:  # values are terse: prefer the tightest, counting words beside the value
            m = f.span.search(text) if f.span is not None else None
            loose = text.replace(m[0], "", 1) if m else text
            s -= min(0.02 * max(loose.count(" ") - 2, 0), 0.3)
        if f.type != "bool" and (f.type in NUMERIC_TYPES or f.head in NUMERIC) and cand.number is None:
            s *= 0.4  # a count, a price or a phone number is written with digits
        if f.type == "str":
            if f.head == "title" and not cand.letters:
                s *= 0.3
            if len(text) > 300 and f.head != "description":
                s *= 0.5
        elif f.type == "bool" and name < 0.5:
            s = 0.0  # a yes/no is read off a named flag, never guessed from look alone
        if f.head == "date" and not cand.meta and not _YEAR.search(text) and not (
                f.pattern is not None and f.pattern.search(text)):
            s *= 0.5  # a date is written with a year or in a form the pattern knows, never as "1"
        if f.head == "date" and not cand.meta and _yearless_time(cand.el, text):
            s *= _YEARLESS  # "Jun 17" shown, <time datetime="2019-06-17"> stated: the stated form is whole
        if f.head == "author" and tokens(text)[-1:] and tokens(text)[-1] in BYLINE_WORDS:
            s *= 0.2  # "Photograph by", "comments powered by": the label of a name, not one
        if cand.section and f.head not in ("title", "description"):
            s *= 0.5  # a value never holds a heading; that is a block of the page
        return s * 0.8 if cand.meta else s

    def _title_prior(self, cand: Cand, rec: Record) -> float:
        """Titles are the record's heading or its main link; on a detail page, the h1."""
        if cand.letters < 2:
            return 0.0
        if self.single:
            if cand.heading and self._site_name(cand):
                return 0.0
            # The top level of heading the content has is its title's: h1, or h2 where the only h1 is
            # in the navigation left out or is the site's name. A card's heading ranks with it (a post's
            # h1 names the post, "Our favourite lemon cakes, at last!"; its card names the recipe), and
            # the tab's title, which names one of them, tells them apart.
            card = self._card(rec)
            top = cand.heading == self._top_level(rec) or (
                card is not None and (cand.el is card or card in cand.el.iterancestors()))
            prior = 0.8 if top else 0.25 if cand.heading else 0.0
            return prior + _ECHO * self.echo(cand.text) if cand.heading else prior
        prior = 0.55 if cand.heading or cand.el.tag == "dt" else 0.0
        if not rec.links and _only_text(cand, rec):
            prior = max(prior, 0.5)  # a record of one phrase is named by it (a breadcrumb's current page)
        if _stub_cell(cand.el) and not cand.number:
            prior = max(prior, 0.5)
        main = rec.main_link
        if main is not None and cand.anchor is main.el and cand.text == main.text and len(cand.text) <= 150:
            prior = max(prior, 0.5)
        return prior

    def echo(self, text: str) -> float:
        """How much of the tab's title a text says: its words' share in the title, by the share of the
        title it covers (square-rooted: the site's name takes part of every title)."""
        if not self._title or len(text) > 300:
            return 0.0
        words = [t for t in tokens(text) if t not in STOP]
        if not words:
            return 0.0
        title = Counter(self._title)
        common = sum((Counter(words) & title).values())
        return float((common / len(words)) * (common / len(self._title)) ** 0.5)

    def _top_level(self, rec: Record) -> int:
        level = self._levels.get(rec)
        if level is None:
            level = self._levels[rec] = min((c.heading for c in rec.cands if c.heading and c.el.tag in
                                             HEADINGS and not self._site_name(c)), default=1)
        return level

    def _site_name(self, cand: Cand) -> bool:
        """A heading that is only a link to the site's home page: the site's name (a blog's <h1> logo)."""
        if cand.anchor is None or collapse(cand.anchor.text_content()) != cand.text:
            return False
        home = urlsplit(self.page.absolute(cand.anchor.get("href")) or "")
        return home.path in ("", "/") and not home.query and home.netloc == urlsplit(self.page.url).netloc

    def _card(self, rec: Record) -> HtmlElement | None:
        """The heading of the content's card: the first heading of the deepest block holding
        _CARD_LISTS lists, outside the navigation, whose first heading repeats some of the tab's title."""
        if rec in self._cards:
            return self._cards[rec]
        holding: Counter[HtmlElement] = Counter()
        for root in rec.roots:
            for lst in root.iter("ul", "ol"):
                if sum(child.tag == "li" for child in lst) < _CARD_ITEMS:
                    continue
                above = []
                for a in lst.iterancestors():
                    above.append(a)
                    if a is root:
                        break
                if not any(is_chrome(a) for a in above):
                    holding.update(above)
        found = None
        for block in sorted((b for b, n in holding.items() if n >= _CARD_LISTS),
                            key=lambda b: -sum(1 for _ in b.iterancestors())):
            heading = next(block.iter(*HEADINGS), None)
            said = collapse(heading.text_content()) if heading is not None else ""
            if heading is not None and heading.tag != "h1" and self.echo(said) > 0:
                found = heading
                break
        self._cards[rec] = found
        return found

    def _lead(self, rec: Record) -> Cand | None:
        """The detail page's headline: its heading that is most a title (level, echo of the tab's name)."""
        best, best_score = None, 0.0
        for cand in rec.cands:
            if cand.heading and not cand.meta and cand.el.tag in HEADINGS:
                score = self._title_prior(cand, rec)
                if score > best_score:
                    best, best_score = cand, score
        return best

    def _description_prior(self, cand: Cand) -> float:
        """Descriptions are the prose of a record: a paragraph, a <dd>, or simply a long text."""
        prose = cand.el.tag in ("p", "dd", "blockquote") and cand.text.count(" ") >= 3
        if self.single:
            return 0.3 if len(cand.text) >= 60 else 0.0
        return 0.5 if len(cand.text) >= 60 else 0.45 if prose else 0.0

    @staticmethod
    def _value(f: FieldInfo, cand: Cand) -> int | str | bool | None:
        if f.type == "int":
            return parse_whole(cand.text)
        if f.type == "bool":
            found = parse_bool(cand.text)
            return True if found is None else found  # a named flag that is present and not a "no"
        m = f.span.search(cand.text) if f.span is not None and " " in cand.text else None
        if m:
            return m["v"] if "v" in m.groupdict() else m[0]
        return without_byline_word(cand.text) if f.head == "author" else cand.text

    def _links(self, rec: Record, picks: dict[str, Pick], taken: dict[str, Cand]) -> None:
        """URL and image fields: the record's own link or picture, or the one named like the field."""
        used: set[str] = set()
        for f in self.fields:
            if f.kind == "url" and f.main and self.single:
                picks[f.name] = Pick(self.page.url, 1.0)
            elif f.kind == "url" and f.main:
                link = self._main_link(rec, taken)
                if link is not None:
                    picks[f.name] = Pick(link.href, 1.0, place(link.el))
                    used.add(link.href)
            elif f.kind == "image" and f.main and rec.images:
                picks[f.name] = Pick(rec.images[0].src, 1.0, place(rec.images[0].el))
        for fi, f in enumerate(self.fields):
            if f.main or f.kind == "text":
                continue
            options = ([(link.href, link.cues, link.el) for link in rec.links] if f.kind == "url"
                       else [(img.src, img.cues, img.el) for img in rec.images])
            best: Pick | None = None
            for value, cues, el in options:
                score = self.names(cues)[fi]
                if value not in used and score >= THRESHOLD and (best is None or score > best.score):
                    best = Pick(value, score, place(el))
            if best is not None:
                picks[f.name] = Pick(best.value, min(best.score, 1.0), best.where)
                used.add(str(best.value))

    def _main_link(self, rec: Record, taken: dict[str, Cand]) -> Link | None:
        """The link of the record's title when the title is a link, else its most prominent link."""
        for f in self.fields:
            cand = taken.get(f.name)
            if f.head == "title" and cand is not None and cand.anchor is not None:
                for link in rec.links:
                    if link.el is cand.anchor:
                        return link
        return rec.main_link


def _datelines(rec: Record) -> set[HtmlElement]:
    """The short blocks holding a shown date (a <time>, or text that reads as one), from the date's
    element up to the largest block still short."""
    out: set[HtmlElement] = set()
    for cand in rec.cands:
        dated = cand.el.tag == "time" or DATE_PATTERN.search(cand.text) is not None
        if not cand.meta and len(cand.text) <= 60 and dated:
            for el in cand.el.iterancestors():
                if len(el.text_content()) > _DATELINE_CHARS:
                    break
                out.add(el)
    return out


def _yearless_time(el: HtmlElement, text: str) -> bool:
    """Whether a shown date lacks the year its <time datetime> states, the <time> around it or within it
    (a day and a month each in a <time> of their own); a time ago ("3 days ago") is whole."""
    time = el if el.tag == "time" else next(el.iterancestors("time"), None)
    if time is None and len(text) <= _DATELINE_CHARS:
        time = next((t for t in el.iter("time") if t.get("datetime")), None)
    stated = time.get("datetime", "") if time is not None else ""
    return bool(_YEAR.search(stated)) and not _YEAR.search(text) and AGE_PATTERN.search(text) is None


def _name_shaped(text: str) -> bool:
    """Two to five words, at least two capitalised, no digits: how a person's name is written."""
    words = text.split()
    return (2 <= len(words) <= 5 and len(text) <= 60 and not any(ch.isdigit() for ch in text)
            and sum(w[:1].isupper() for w in words) >= 2)


def _only_text(cand: Cand, rec: Record) -> bool:
    """Whether the candidate is the record's one piece of shown text."""
    return cand.hi - cand.lo == 1 and all(c.meta or (cand.lo <= c.lo and c.hi <= cand.hi) for c in rec.cands)


def _stub_cell(el: HtmlElement) -> bool:
    """The first cell of a table row: the column that names the row (a person reads a table so)."""
    row = el.getparent()
    return el.tag in ("td", "th") and row is not None and row.tag == "tr" and next(
        (c for c in row if c.tag in ("td", "th")), None) is el


def _innermost(el: HtmlElement) -> HtmlElement:
    """The deepest element holding the same text: <h2><a>Title</a></h2> is the <a>."""
    while len(el) == 1 and not (el.text or "").strip() and not (el[0].tail or "").strip():
        el = el[0]
    return el


def _clash(a: Cand, b: Cand, nesting_ok: bool) -> bool:
    """Whether two candidates share text; nesting is allowed where one of them is a title."""
    if not (a.lo < b.hi and b.lo < a.hi):
        return False
    nested = (a.lo <= b.lo and b.hi <= a.hi) or (b.lo <= a.lo and a.hi <= b.hi)
    return not (nesting_ok and nested and (a.lo, a.hi) != (b.lo, b.hi))


def _inside(b: Cand, a: Cand) -> bool:
    return 0 <= a.lo <= b.lo and b.hi <= a.hi and (b.lo, b.hi) != (a.lo, a.hi)


def _wider(wide: str, narrow: str) -> bool:
    return len(wide) > len(narrow) and narrow in wide  # never for "" (fields read without a span)

"""What the markup around a piece of text says it is, as weighted cue words.

A value rarely names itself; its element's classes and itemprops, its ancestors', a label before
it ("Price:", <dt>, <th>, "by"), a column header, where its link goes or an icon next to it do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.html import HtmlElement

from mantis.brains.offline.dom import Page, column_names, header_row
from mantis.brains.offline.vocab import Matcher, label_cues, split_words, tokens

Cues = dict[str, float]

_ATTR_WEIGHTS = {
    "itemprop": 1.0, "class": 0.9, "id": 0.8, "name": 0.8, "aria-label": 0.8, "data-testid": 0.9,
    "data-test": 0.9, "data-qa": 0.9, "data-cy": 0.9, "data-field": 0.9, "title": 0.4, "alt": 0.6,
}
_LABEL_CLASSES = frozenset(("label", "key", "term", "caption", "lbl"))
_PREPOSITIONS = frozenset(("by", "from", "at", "in", "on", "to", "via", "with", "for", "of"))
_NAMING_TAGS = frozenset(("time", "address", "cite", "price", "data"))
_DECAY = 0.75
_TEXT_CUE = 0.8


def merge(*many: Cues | None) -> Cues:
    """All cue words of several sources, each at its strongest."""
    out: Cues = {}
    for cues in many:
        if cues:
            for tok, w in cues.items():
                if w > out.get(tok, 0.0):
                    out[tok] = w
    return out


def decay(cues: Cues) -> Cues:
    """What an element's words say of its descendants: less, the deeper they are."""
    return {t: w * _DECAY for t, w in cues.items() if w * _DECAY >= 0.3}


def text_cues(text: str) -> Cues | None:
    """A short text names itself: "45 comments", "123 points", "Remote"."""
    if len(text) > 40 or text.count(" ") > 3:
        return None
    return {t: _TEXT_CUE for t in tokens(text)}


def names_amount(unit: str, amount: str) -> bool:
    """Whether a word after a short number is its unit ("3 bd", "1,850 sqft"), not a label."""
    if unit.strip().endswith(":") or set(tokens(unit)) & _PREPOSITIONS:
        return False
    return any(ch.isdigit() for ch in amount) and amount.count(" ") <= 2


class CueBook:
    """Cue words of one page's elements, each element read once across records and groups."""

    def __init__(self, page: Page, matcher: Matcher) -> None:
        self.matcher = matcher
        self._own: dict[HtmlElement, Cues] = {}
        self._headers: dict[HtmlElement, tuple[HtmlElement | None, list[str]]] = {}
        self._host = urlsplit(page.base).netloc

    def own_cues(self, el: HtmlElement) -> Cues:
        """The words an element's own attributes say about it (class, itemprop, aria-label, data-*)."""
        cues = self._own.get(el)
        if cues is None:
            tag = el.tag
            # Semantic and custom tags name their content: <time>, <address>, <relative-time>.
            cues = {t: 0.7 for t in tokens(tag)} if tag in _NAMING_TAGS or "-" in tag else {}
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
        """Where a link goes says what it is: tel:, mailto:, /user?id=…, /jobs/…; not on other sites."""
        scheme = raw.split(":", 1)[0].lower() if ":" in raw[:8] else ""
        if scheme in ("tel", "mailto"):
            return {scheme: 0.9}
        parts = urlsplit(href)
        if parts.netloc != self._host:
            return {}
        segment = parts.path.strip("/").split("/", 1)[0]
        keys = " ".join(kv.split("=", 1)[0] for kv in parts.query.split("&"))
        return {t: 0.5 for t in tokens(f"{segment} {keys} {parts.fragment}")}  # "#customerReviews" too

    def columns(self, row: HtmlElement) -> tuple[HtmlElement | None, list[str]]:
        """The header row of the row's table and its column names, looked up once per table part."""
        parent = row.getparent()
        if parent is None:
            return None, []
        found = self._headers.get(parent)
        if found is None:
            header = header_row(row)
            found = self._headers[parent] = (header, column_names(header) if header is not None else [])
        return found

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
            or (follows and not any(ch.isdigit() for ch in text) and self.matcher.is_label(text))
        )
        return label_cues(text.rstrip(": "), 1.0) if is_label else None

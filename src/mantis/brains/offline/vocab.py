"""Words of web markup: how field names, class names and labels are cut up and compared.

A plan's field names and the names a page gives its parts (classes, itemprops, labels, column
headers) rarely agree letter for letter, so both sides are split into stemmed tokens and matched
through small sets of common web vocabulary. Nothing here knows any particular site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mantis.plans.models import ExtractField

_PIECE = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# Words that mean the same thing on web pages; the first word names the set.
_CONCEPTS = (
    "title name headline heading subject caption term keyword",
    "url link href permalink uri website",
    "price cost amount fee msrp pricing",
    "comment discuss discussion reply response thread",
    "point score vote upvote karma like",
    # "by" as bylines write it in English, German, French and Spanish ("Von Markus Balser").
    "author by von par por user username poster creator submitter byline",
    "date time posted published when timestamp created updated modified datetime clock opened listed added",
    # How old something is, a duration ("3 hours ago", "7 years"), apart from the point in time it began.
    "age ago old",
    "rank position pos index",
    "rating star",
    "review",
    "location city address place region locality area where map marker pin neighborhood district",
    "phone tel telephone mobile cell",
    "email mail mailto",
    "company employer organization org hiring",
    "salary pay compensation wage",
    "description desc summary snippet excerpt abstract blurb teaser definition meaning",
    "image img photo picture thumbnail thumb pic logo avatar",
    "site domain source host",
    "category tag genre topic",
    "brand manufacturer make",
    "seller dealer vendor merchant store shop",
    "stock availability available inventory",
    "mileage mile odometer",
    "bed bedroom bd",
    "bath bathroom ba",
    "sqft footage",
    "sponsored ad ads advert advertisement promoted promo",
)

# Tokens that qualify a field name without saying what it is ("comments_count", "is_remote").
GENERIC = frozenset({
    "count", "number", "num", "no", "nr", "total", "value", "val", "text", "txt", "str", "string",
    "int", "field", "info", "data", "the", "of", "a", "an", "is", "has", "in", "on", "at", "for", "qty",
    "usd", "eur", "gbp", "min", "max", "minimum", "maximum"
})
# Tokens naming the record itself: "product_name" is the record's name, "listing_url" its link.
MAIN_WORDS = frozenset({
    "story", "item", "post", "article", "product", "listing", "page", "detail", "main", "entry",
    "result", "job", "offer", "record", "entity", "row", "external", "target"
})
URL_WORDS = frozenset({"url", "link", "href", "uri", "permalink", "website"})
IMAGE_WORDS = frozenset({
    "image", "img", "photo", "picture", "thumbnail", "thumb", "pic", "logo", "avatar", "src"
})
AD_WORDS = frozenset({"sponsored", "ad", "ads", "advert", "advertisement"})
# The word a byline opens with, before the name it labels ("Recipe by", "Photograph by", "Von").
BYLINE_WORDS = frozenset({"by", "von", "par", "por"})
_BYLINE_LEAD = re.compile(r"^(?:" + "|".join(sorted(BYLINE_WORDS)) + r")\b[\s:]*", re.I)
STOP = frozenset({
    "the", "a", "an", "of", "on", "in", "at", "for", "to", "per", "your", "our", "is", "are", "and",
    "or", "with", "from"
})

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_DAY = r"\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_AGO = (r"\b\d+\+?\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mos?|months?"
        r"|y|yrs?|years?)\.?\s+ago\b")
_CLOCK = r"(?:\s*[·,@|-]?\s*(?:at\s+)?\d{1,2}(?::\d{2}(?:\s*[ap]\.?m\b\.?)?|\s*[ap]\.?m\b\.?))?"
_PATTERNS = {
    "price": r"[$€£¥₹]\s?\d|\d\s?[$€£¥₹]|\b(?:usd|eur|gbp|cad|aud|chf)\b",
    "age": _AGO + r"|\b\d+\s*(?:y|yrs?|years?|mos?|months?)\.?(?:\s+old)?\b",
    "date": _AGO + r"|\b(?:yesterday|today|just now|just posted)\b|\b\d{4}-\d{2}-\d{2}(?:\b|(?=T\d))"
    r"|\b\d{1,2}\.\s?\d{1,2}\.\s?\d{4}\b"
    r"|" + _DAY + r"(?:" + _MONTH + r"\.?\s+\d{1,2}\b(?:,?\s+\d{4}\b)?"
    r"|\d{1,2}\s+" + _MONTH + r"\b\.?(?:,?\s+\d{4}\b)?)" + _CLOCK,
    "email": r"[\w.+-]+@[\w-]+\.[\w.]+",
    "phone": r"(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b",
    "rating": r"\b\d(?:\.\d)?\s*(?:/\s*5|out of 5|stars?)\b|★|^\d\.\d$",
    "site": r"^\(?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?\)?$",
    "rank": r"^#?\d{1,4}\.?$",
    "number": r"(?:^|\s)(?:#|no\.\s?)\d+\b",
    "location": r"\b\d{1,6}\s+\w[\w .]*\b(?:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane"
    r"|way|hwy|highway|ct|court|pkwy|parkway)\b|(?-i:,\s*[A-Z]{2}(?:\s+\d{5})?\b)",
    "mileage": r"\d[\d,]*\s*(?:mi|miles|km)\b",
    "year": r"^(?:19|20)\d{2}$",
    "salary": r"[$€£¥₹]\s?\d|\d\s?[$€£¥₹]|\d+k\b",
}

DATE_PATTERN = re.compile(_PATTERNS["date"], re.I)
AGE_PATTERN = re.compile(_PATTERNS["age"], re.I)

# Kinds of value that are always written with digits.
NUMERIC = frozenset({
    "price", "salary", "rating", "phone", "year", "mileage", "rank", "number", "point", "review", "comment",
    "bed", "bath", "sqft",
})

# Where a value of these kinds sits inside a longer text ("Rated 4.5 out of 5 stars" -> "4.5").
_SPANS = {
    "rating": r"(?P<v>\b\d(?:\.\d+)?)\s*(?:/\s*5|out of 5|stars?)\b",
    "price": r"[$€£¥₹]\s?\d(?:[\d,.]*\d)?|\b\d(?:[\d,.]*\d)?\s?(?:€|£|usd|eur|gbp)",
    "age": _PATTERNS["age"],
    "date": _PATTERNS["date"],
    "email": _PATTERNS["email"],
    "phone": _PATTERNS["phone"],
}


def split_words(text: str) -> list[str]:
    """Lower-case words of an identifier or label: "commentsCount" and "comment-count" alike."""
    words: list[str] = []
    for piece in _PIECE.findall(text):
        parts = _CAMEL.findall(piece) if piece.isascii() else [piece]
        words.extend(p.lower() for p in parts)
    return words


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude plural fold, enough to make "comments" meet "comment" and "stories" meet "story"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Stemmed, meaningful tokens of a name or label (no numbers, no one-letter bits)."""
    return tuple(stem(w) for w in split_words(text) if len(w) > 1 and not w.isdigit())


_CONCEPT_OF: dict[str, str] = {}
_MATES: dict[str, frozenset[str]] = {}
for _line in _CONCEPTS:
    _words = frozenset(stem(w) for w in _line.split())
    for _w in _words:
        _CONCEPT_OF.setdefault(_w, stem(_line.split()[0]))
        _MATES[_w] = _MATES.get(_w, frozenset()) | _words
TITLE_WORDS = _MATES["title"]


def concept(word: str) -> str:
    """The name of the vocabulary set a token belongs to (itself when it is in none)."""
    return _CONCEPT_OF.get(word, word)


def is_concept(word: str) -> bool:
    """Whether a token belongs to one of the vocabulary's sets of web words."""
    return word in _CONCEPT_OF


@dataclass(frozen=True)
class FieldInfo:
    """What a schema field asks for, read from its name and type."""

    name: str
    type: str
    required: bool
    kind: str  # "text", "url" (a link's href) or "image" (an img's src)
    cores: tuple[str, ...]  # the tokens that say what the value is; the last is the head noun
    main: bool  # a url/image of the record itself rather than of some named part of it
    pattern: re.Pattern[str] | None
    head: str  # the vocabulary set of the head noun: "title", "price", "rank", …
    span: re.Pattern[str] | None  # where in a longer text a value of this kind sits

    @property
    def weight(self) -> float:
        return 2.0 if self.required else 1.0


def field_info(field: ExtractField, entity_words: frozenset[str]) -> FieldInfo:
    """Split a field name into what it is (cores), how it is read (kind) and how it looks (pattern)."""
    toks = list(tokens(field.name)) or [field.name.lower()]
    meaningful = [t for t in toks if t not in GENERIC] or toks
    if any(t in IMAGE_WORDS for t in toks):
        kind, rest = "image", [t for t in meaningful if t not in IMAGE_WORDS and t not in URL_WORDS]
    elif meaningful[-1] in URL_WORDS:
        kind, rest = "url", [t for t in meaningful if t not in URL_WORDS]
    else:
        kind, rest = "text", meaningful
    named = [t for t in rest if t not in MAIN_WORDS and t not in entity_words]
    if kind == "text":
        cores = named or rest
        if len(cores) > 1 and "name" in cores:
            cores = [t for t in cores if t != "name"]
        main = False
    else:
        cores, main = named, not named
    head = concept(cores[-1]) if cores else ""
    key = cores[-1] if cores and cores[-1] in _PATTERNS else head
    pattern = re.compile(_PATTERNS[key], re.I) if key in _PATTERNS else None
    span = re.compile(_SPANS[head], re.I) if head in _SPANS else None
    return FieldInfo(field.name, field.type, field.required, kind, tuple(cores), main, pattern, head, span)


class Matcher:
    """Which fields a page token speaks of, and how strongly; cached because pages repeat tokens."""

    def __init__(self, fields: list[FieldInfo]) -> None:
        self._exact: dict[str, list[tuple[int, int, float]]] = {}
        self._long: list[tuple[str, int, int]] = []
        for fi, f in enumerate(fields):
            for ci, core in enumerate(f.cores):
                for word in _MATES.get(core, frozenset()) | {core}:
                    self._exact.setdefault(word, []).append((fi, ci, 1.0 if word == core else 0.85))
                    if len(word) >= 4:
                        self._long.append((word, fi, ci))
        self._cache: dict[str, tuple[tuple[int, int, float], ...]] = {}

    def lookup(self, token: str) -> tuple[tuple[int, int, float], ...]:
        """(field index, core index, strength) for each field core the token matches."""
        hit = self._cache.get(token)
        if hit is None:
            hit = tuple(self._exact.get(token, ()))
            if not hit and len(token) >= 6:
                # Compounds the tokenizer cannot split: "pricetag", "authorname", "commentcount".
                hit = tuple(
                    (fi, ci, 0.55)
                    for word, fi, ci in self._long
                    if len(token) >= len(word) + 2 and (token.startswith(word) or token.endswith(word))
                )
            self._cache[token] = hit
        return hit

    def speaks_of_fields(self, text: str) -> bool:
        """True when every word of a short text names some field: then the text is a label."""
        toks = [t for t in tokens(text) if t not in STOP]
        return 0 < len(toks) <= 3 and all(t in self._exact for t in toks)

    def is_label(self, text: str) -> bool:
        """A short text naming fields, or one ending in a byline's "by" ("Recipe by", "Photograph by"),
        which labels the name after it, whatever it says before."""
        if self.speaks_of_fields(text):
            return True
        toks = tokens(text)
        return 0 < len(toks) <= 3 and toks[-1] in BYLINE_WORDS and toks[-1] in self._exact


def without_byline_word(text: str) -> str:
    """A byline's name without the word that labels it: "By Ned Deily" is Ned Deily."""
    rest = _BYLINE_LEAD.sub("", text, count=1)
    return rest if rest and rest != text and rest[:1].isalpha() else text


def label_cues(text: str, weight: float) -> dict[str, float]:
    """Cue tokens of a label; its last word carries it ("Posted by" is about the author)."""
    toks = [t for t in tokens(text) if t not in STOP]
    cues = {t: weight * 0.7 for t in toks[:-1]}
    if toks:
        cues[toks[-1]] = weight
    return cues

"""Which piece of a record each field of the schema takes.

Every (field, candidate) pair is scored from the cue words around the candidate, the look of its
text (a price has a currency sign, an age says "ago") and, for titles, its prominence; then the
pairs are taken best first so that each piece of text goes to one field only, unless a field is
left with nothing better than a piece another field already took.
"""

from __future__ import annotations

from dataclasses import dataclass

from mantis.brains.offline.dom import Page
from mantis.brains.offline.reader import Cand, Cues, Record
from mantis.brains.offline.values import parse_bool, parse_int
from mantis.brains.offline.vocab import FieldInfo, Matcher

THRESHOLD = 0.45
_SHARE = 0.7  # a field left empty may share text with another field when it fits this well


@dataclass(frozen=True)
class Pick:
    value: int | str | bool | None
    score: float


class Mapper:
    """Maps the schema's fields onto records of one page."""

    def __init__(self, fields: list[FieldInfo], matcher: Matcher, page: Page, single: bool) -> None:
        self.fields = fields
        self.matcher = matcher
        self.page = page
        self.single = single

    def names(self, cues: Cues) -> list[float]:
        """How strongly the cue words speak of each field; the head noun counts most."""
        per: dict[tuple[int, int], float] = {}
        for tok, weight in cues.items():
            for fi, ci, strength in self.matcher.lookup(tok):
                v = strength * weight
                if v > per.get((fi, ci), 0.0):
                    per[fi, ci] = v
        out = [0.0] * len(self.fields)
        for fi, f in enumerate(self.fields):
            vals = [per.get((fi, ci), 0.0) for ci in range(len(f.cores))]
            if not vals:
                continue
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
        for ci, cand in enumerate(rec.cands):
            names = self.names(cand.cues)
            for fi, f in enumerate(self.fields):
                if f.kind != "text" or (cand.label and f.type != "bool"):
                    continue
                s = self._score(f, cand, names[fi], rec, cand.order == first_number)
                if s >= THRESHOLD:
                    if self.single:
                        s += 0.1 * (1 - cand.order / last)  # a detail page states its own facts first
                    pairs.append((s, -cand.order, fi, ci))
        pairs.sort(reverse=True)
        chosen: dict[int, tuple[Cand, float]] = {}
        used: list[Cand] = []
        for s, _, fi, ci in pairs:
            cand = rec.cands[ci]
            if fi not in chosen and not any(cand.lo < u.hi and u.lo < cand.hi for u in used):
                chosen[fi] = (cand, s)
                used.append(cand)
        for s, _, fi, ci in pairs:
            if fi not in chosen and s >= _SHARE:
                chosen[fi] = (rec.cands[ci], s)
        for fi, (cand, s) in chosen.items():
            f = self.fields[fi]
            picks[f.name] = Pick(self._value(f, cand), s)
        return {self.fields[fi].name: cand for fi, (cand, _) in chosen.items()}

    def _score(self, f: FieldInfo, cand: Cand, name: float, rec: Record, first_number: bool) -> float:
        text = cand.text
        s = name
        if f.pattern is not None and (f.head != "rank" or first_number) and f.pattern.search(text):
            s += 0.35 if s else 0.45
        if f.head == "title":
            s += self._title_prior(cand, rec)
        elif f.head == "description" and len(text) >= 60:
            s += 0.3
        if f.type == "int" and parse_int(text) is None:
            s *= 0.5
        elif f.type == "str":
            if f.head == "title" and not any(ch.isalpha() for ch in text):
                s *= 0.3
            if len(text) > 300 and f.head != "description":
                s *= 0.5
        elif f.type == "bool" and name < 0.5:
            s = 0.0  # a yes/no is read off a named flag, never guessed from look alone
        return s * 0.8 if cand.meta else s

    def _title_prior(self, cand: Cand, rec: Record) -> float:
        """Titles are the record's heading or its main link; on a detail page, the h1."""
        if sum(ch.isalpha() for ch in cand.text) < 2:
            return 0.0
        if self.single:
            return 0.8 if cand.heading == 1 else 0.25 if cand.heading else 0.0
        prior = 0.55 if cand.heading else 0.0
        main = rec.main_link
        if main is not None and cand.anchor is main.el and cand.text == main.text and len(cand.text) <= 150:
            prior = max(prior, 0.5)
        return prior

    @staticmethod
    def _value(f: FieldInfo, cand: Cand) -> int | str | bool | None:
        if f.type == "int":
            return parse_int(cand.text)
        if f.type == "bool":
            found = parse_bool(cand.text)
            return True if found is None else found  # a named flag that is present and not a "no"
        return cand.text

    def _links(self, rec: Record, picks: dict[str, Pick], taken: dict[str, Cand]) -> None:
        """URL and image fields: the record's own link or picture, or the one named like the field."""
        used: set[str] = set()
        for f in self.fields:
            if f.kind == "url" and f.main:
                href = self.page.url if self.single else self._main_href(rec, taken)
                if href:
                    picks[f.name] = Pick(href, 1.0)
                    used.add(href)
            elif f.kind == "image" and f.main and rec.images:
                picks[f.name] = Pick(rec.images[0].src, 1.0)
        for fi, f in enumerate(self.fields):
            if f.main or f.kind == "text":
                continue
            options = ([(link.href, link.cues) for link in rec.links] if f.kind == "url"
                       else [(img.src, img.cues) for img in rec.images])
            best, best_score = "", 0.0
            for value, cues in options:
                score = self.names(cues)[fi]
                if value not in used and score >= THRESHOLD and score > best_score:
                    best, best_score = value, score
            if best:
                picks[f.name] = Pick(best, min(best_score, 1.0))
                used.add(best)

    def _main_href(self, rec: Record, taken: dict[str, Cand]) -> str | None:
        """The link of the record's title when the title is a link, else its most prominent link."""
        for f in self.fields:
            cand = taken.get(f.name)
            if f.head == "title" and cand is not None and cand.anchor is not None:
                for link in rec.links:
                    if link.el is cand.anchor:
                        return link.href
        return rec.main_link.href if rec.main_link is not None else None

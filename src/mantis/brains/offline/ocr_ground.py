"""Grounds a step's target on the computer plane: finds the target's text among the OCR'd phrases and
points at it. Exact matches win over containment, containment over fuzzy matches; OCR's usual damage
(lost spaces, misread letters, a label split into phrases or wrapped onto two lines) is tolerated.

For `fill` (and `select`) the target is usually the field's label, and the point is the label itself:
clicking a <label> focuses its input, while guessing where the input sits beside or below a label is
unreliable. Fields labelled only by a placeholder are found by the placeholder text, inside the field."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from mantis.brains.base import Grounding, GroundingError
from mantis.planes.base import ActionKind, Element, Observation

MIN_SCORE = 0.7
FUZZY_WEIGHT = 0.85  # a fuzzy match scores at most this; with MIN_SCORE, it needs a ratio of 0.82
MIN_FUZZY_LENGTH = 4  # shorter targets must match exactly or as whole words
# Squashed matches (spaces aside): whole words at both ends score from WHOLE_WORDS, a several-word
# target starting or ending inside a word from INSIDE_WORDS; both above MIN_SCORE, below containment
# (0.9) and the best fuzzy matches' reach of whole words.
WHOLE_WORDS = 0.85
INSIDE_WORDS = 0.8
MAX_PARTS = 3  # phrases joined into one candidate, for labels OCR split apart
NEAREST = 3

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Part:
    box: Box
    start: int  # character span in the candidate's normalised text
    end: int


@dataclass(frozen=True)
class _Candidate:
    text: str  # normalised
    parts: tuple[_Part, ...]
    order: int


@dataclass(frozen=True)
class _Match:
    score: float
    start: int
    end: int


def normalise(text: str) -> str:
    """Case, accents and punctuation dropped: OCR gets them wrong far more often than letters."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", stripped).split())


def ground_on_screen(target: str, observation: Observation, action: ActionKind) -> Grounding:
    wanted = normalise(target)
    if not wanted:
        raise GroundingError(f"the {action} target {target!r} has no letters or digits to look for")
    best: tuple[_Match, _Candidate] | None = None
    for candidate in _candidates(observation.elements):
        match = _match(wanted, candidate.text)
        if match is None or match.score < MIN_SCORE:
            continue
        if best is None or (match.score, -candidate.order) > (best[0].score, -best[1].order):
            best = (match, candidate)
    if best is None:
        raise GroundingError(_not_found(target, wanted, observation.elements, action))
    match, candidate = best
    return Grounding(point=_point(candidate, match), score=round(match.score, 3))


def _candidates(elements: list[Element]) -> list[_Candidate]:
    """Every phrase, plus runs of up to MAX_PARTS phrases that read on: the next phrase on the same row,
    or the next line of a wrapped label (left-aligned, just below)."""
    boxed = [(normalise(e.name), e.box) for e in elements if e.box is not None and normalise(e.name)]
    candidates: list[_Candidate] = []
    for first in range(len(boxed)):
        run = [boxed[first]]
        candidates.append(_joined(run, len(candidates)))
        for index in range(first + 1, len(boxed)):
            last = run[-1][1]
            if len(run) == MAX_PARTS or boxed[index][1][1] > last[1] + 3 * last[3]:
                break  # in reading order, nothing further down can follow on
            if _reads_on(last, boxed[index][1]):
                run.append(boxed[index])
                candidates.append(_joined(run, len(candidates)))
    return candidates


def _reads_on(box: Box, following: Box) -> bool:
    x, y, w, h = box
    fx, fy, _, fh = following
    line = max(h, fh)
    same_row = abs((fy + fh / 2) - (y + h / 2)) < line / 2 and 0 <= fx - (x + w) < 2 * line
    next_line = 0 <= fy - (y + h) < line and abs(fx - x) < line
    return same_row or next_line


def _joined(run: list[tuple[str, Box]], order: int) -> _Candidate:
    parts, texts, position = [], [], 0
    for text, box in run:
        parts.append(_Part(box, position, position + len(text)))
        texts.append(text)
        position += len(text) + 1
    return _Candidate(" ".join(texts), tuple(parts), order)


def _match(wanted: str, text: str) -> _Match | None:
    if text == wanted:
        return _Match(1.0, 0, len(text))
    if text.replace(" ", "") == wanted.replace(" ", ""):
        return _Match(0.96, 0, len(text))
    found = f" {text} ".find(f" {wanted} ")
    if found >= 0:
        return _Match(0.9 + 0.05 * len(wanted) / len(text), found, found + len(wanted))
    squashed = _squashed_within(wanted, text)
    if squashed is not None:
        return squashed
    if len(wanted) < MIN_FUZZY_LENGTH:
        return None
    return _fuzzy(wanted, text)


def _squashed_within(wanted: str, text: str) -> _Match | None:
    """'sign in' in 'customerservice signin': spaces lost or added by OCR, but whole words at both ends,
    so 'add' never matches inside 'address'. A target of several words may also start or end inside a
    word, as OCR joins the words around it ('near you' in 'Boatsfor salenearyou', 'got it' in
    'cookiesGot it'): such a run of letters is specific, and it scores below a match of whole words."""
    target = wanted.replace(" ", "")
    if len(target) < MIN_FUZZY_LENGTH:
        return None
    positions = [i for i, c in enumerate(text) if c != " "]
    squashed = "".join(text[i] for i in positions)
    inside: _Match | None = None
    found = squashed.find(target)
    while found >= 0:
        start, end = positions[found], positions[found + len(target) - 1] + 1
        share = len(target) / len(squashed)
        if (start == 0 or text[start - 1] == " ") and (end == len(text) or text[end] == " "):
            return _Match(WHOLE_WORDS + 0.05 * share, start, end)
        if inside is None and " " in wanted:
            inside = _Match(INSIDE_WORDS + 0.05 * share, start, end)
        found = squashed.find(target, found + 1)
    return inside


def _fuzzy(wanted: str, text: str) -> _Match | None:
    """The best window of about as many words as the target, by difflib's ratio."""
    words = list(re.finditer(r"\S+", text))
    size = len(wanted.split())
    best: _Match | None = None
    for length in {max(size - 1, 1), size, size + 1}:
        for first in range(max(len(words) - length + 1, 1)):
            window = words[first : first + length]
            start, end = window[0].start(), window[-1].end()
            ratio = difflib.SequenceMatcher(None, wanted, text[start:end], autojunk=False).ratio()
            if best is None or ratio * FUZZY_WEIGHT > best.score:
                best = _Match(ratio * FUZZY_WEIGHT, start, end)
    return best


def _point(candidate: _Candidate, match: _Match) -> tuple[int, int]:
    """The centre of the matched characters within the phrase that holds most of them; OCR boxes are
    per phrase, so the characters' position is estimated in proportion to their index."""
    part = max(candidate.parts, key=lambda p: min(p.end, match.end) - max(p.start, match.start))
    length = max(part.end - part.start, 1)
    first = (max(match.start, part.start) - part.start) / length
    last = (min(match.end, part.end) - part.start) / length
    x, y, w, h = part.box
    return round(x + w * (first + last) / 2), round(y + h / 2)


def _not_found(target: str, wanted: str, elements: list[Element], action: ActionKind) -> str:
    if not elements:
        return f"no text was read on the screen, so {target!r} ({action}) could not be found"
    ranked = sorted(
        {e.name for e in elements},
        key=lambda name: -difflib.SequenceMatcher(None, wanted, normalise(name)).ratio(),
    )
    nearest = ", ".join(repr(name) for name in ranked[:NEAREST])
    return f"no text on the screen matches {target!r} ({action}); the nearest are {nearest}"

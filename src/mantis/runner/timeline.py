"""The polished recording's clock: each step gets a stretch of the video long enough to read its caption,
and long stretches are sped up, so the video slows where steps are quick and hurries through waits.

The raw recording is cut into pieces (each step, and the gaps between steps); each piece is shown for a
chosen length. Mapping raw time to shown time is one piecewise-linear function, given to ffmpeg's `setpts`
as a sum of `clip` terms (one per piece whose speed changes) and computed here the same way for the
captions, so a 200-step run is a few expressions (45 pieces each), not 200 filters."""

from __future__ import annotations

from dataclasses import dataclass, field

from mantis.runner.marks import Marks

CHARS_PER_S = 18.0  # a caption is read at about 18 characters a second (~200 words a minute)
MIN_SHOWN_S = 1.5  # however short its text, a step stays on screen this long
LONG_S = 5.0  # a piece longer than this (a wait, a slow page) is shortened...
SHORTENED_S = 4.0  # ...to this: at least 1.25 times faster, enough to be worth saying
# ffmpeg 5.1 refuses an expression of 99 such terms ("Cannot allocate memory": its parser's depth limit
# of 100) and takes 90; half that leaves room.
SETPTS_TERMS = 45
MIN_PIECE_S = 0.02  # a step that took no time still gets a sliver of the raw video to stretch


@dataclass(frozen=True)
class Span:
    """A step's place in the raw recording, in seconds from its first frame, and its caption."""

    step_index: int
    start: float
    end: float
    caption: str
    marks: Marks = field(default_factory=Marks)


@dataclass(frozen=True)
class Piece:
    start: float  # raw seconds
    length: float  # raw seconds
    shown: float  # seconds in the polished video
    span: Span | None  # None for the gap between two steps

    @property
    def speedup(self) -> float:
        return self.length / self.shown


@dataclass(frozen=True)
class Timeline:
    pieces: list[Piece]

    @classmethod
    def of(cls, spans: list[Span]) -> Timeline:
        """Spans are ordered and made disjoint first (a step's end never runs into the next's start),
        so no two captions can ever share the screen."""
        pieces: list[Piece] = []
        cursor = 0.0
        for span in sorted(spans, key=lambda s: s.start):
            start = max(span.start, cursor)
            if start - cursor > 0:
                pieces.append(_piece(cursor, start - cursor, None))
            length = max(span.end - start, MIN_PIECE_S)
            pieces.append(_piece(start, length, span))
            cursor = start + length
        return cls(pieces)

    def shown_at(self, raw: float) -> float:
        """Where a moment of the raw recording lands in the polished one."""
        out = raw
        for piece in self.pieces:
            out += (piece.shown - piece.length) * min(max((raw - piece.start) / piece.length, 0.0), 1.0)
        return out

    def setpts(self) -> list[str]:
        """The same function as `shown_at`, in ffmpeg's expression language, as `setpts` arguments to
        apply in turn: one expression of at most SETPTS_TERMS pieces, the latest pieces first. A group
        leaves earlier times alone and never maps a later time before its own first piece, so each
        earlier group then sees its pieces as they were, and the ones after as done."""
        terms = [
            f"{piece.shown - piece.length:+.4f}*clip((T-{piece.start:.4f})/{piece.length:.4f},0,1)"
            for piece in self.pieces
            if abs(piece.shown - piece.length) > 1e-4
        ]
        groups = [terms[i : i + SETPTS_TERMS] for i in range(0, len(terms), SETPTS_TERMS)]
        return ["(T" + "".join(group) + ")/TB" for group in reversed(groups)] or ["PTS"]

    def shown(self) -> list[tuple[float, float, Piece]]:
        """Each piece's start and end in the polished video: the pieces tile the raw video from 0."""
        out, at = [], 0.0
        for piece in self.pieces:
            out.append((at, at + piece.shown, piece))
            at += piece.shown
        return out


def _piece(start: float, length: float, span: Span | None) -> Piece:
    if length > LONG_S:
        return Piece(start, length, SHORTENED_S, span)
    if span is None:
        return Piece(start, length, length, None)
    return Piece(start, length, max(length, MIN_SHOWN_S, len(span.caption) / CHARS_PER_S), span)

"""Reads a whole page on the computer plane, not only the screen it shows: OCR of the first screen, then
scroll by scroll, OCR of only the strip each scroll brought into view, until the page stops moving.

How far a scroll moved the page is read from the pixels alone: rows of the new screen that equal rows of
the last one, each pair voting for the distance between them; the distance with the most votes is the
scroll. Rows that stay where they were (a sticky header or footer, a fixed cookie bar) vote for no move
and are never read twice. Words keep page coordinates (the first screen's, so those of the screen as it
is once the reading scrolls back), so a heading three screens down stays below the byline above it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

from PIL import Image, ImageDraw, ImageOps

from mantis.planes.ocr import SCALE, ScreenText, Word, read_words, screen_text

log = logging.getLogger(__name__)

# Screens read at most, the first included: 7 scrolls of 600 px on an 800-px page show 5000 px, an
# article's head and the start of its text on the real news pages of bench/extraction.py, and bound the
# OCR of one page at 8 strips (tens of seconds on 2 shared cores); a longer page is logged as cut.
MAX_SCREENS = 8
# Rows of the last screen read again at the top of each strip: a line cut by the screen's bottom edge is
# read whole from the next strip. Larger than a 48-px heading's line; words are kept by where their
# middle falls, so each line is taken from one reading only.
OVERLAP = 64
MIN_VOTES = 8  # rows that must agree on a distance: a few equal rows are chance (borders, rules)
# A row that recurs more often in one screen says nothing of the move (the inside of a wide coloured band);
# a row repeated a few times (a button's fill) still votes for the move, along with its neighbours' wrong
# ones, which each get fewer votes than the move every row of the page agrees on.
MAX_REPEATS = 64
# After scrolling back, how long to wait for the screen to show the first screen again: a smooth scroll
# still running when the next step starts would look to it like the page changing (a navigation would
# take it for its new page). Several times what a 4800-px smooth scroll takes on a loaded machine.
RESTORE_S = 5.0
RESTORE_POLL_S = 0.05

Look = Callable[[], Awaitable[Image.Image]]
Scroll = Callable[[int], Awaitable[None]]  # scroll steps down (negative: up), waiting for the screen


async def read_page(
    look: Look, scroll: Scroll, env: Mapping[str, str], within_s: float = 0.0
) -> tuple[ScreenText, Image.Image]:
    """The page's text in page pixels, and its first screen; the page is left scrolled as it was. With
    `within_s`, a screen is read only while the time spent, plus what the last screen took, stays within
    it (the step that reads has a timeout): on a quiet machine 8 screens take about 12 s (about 1.5 s
    each), on one loaded tenfold, the offline brain's 30-s default step reads one or two."""
    began = time.monotonic()
    first = await look()
    words = await read_words(first, env)
    previous, top, steps, took = first, 0, 0, time.monotonic() - began
    try:
        for screen in range(1, MAX_SCREENS):
            if within_s and time.monotonic() - began + took > within_s:
                log.info(
                    "read %d screens of the page in %.1f s; the rest is left unread",
                    screen,
                    time.monotonic() - began,
                )
                break
            started = time.monotonic()
            await scroll(1)
            steps += 1
            current = await look()
            moved = distance(previous, current)
            if moved <= 0:
                break  # the page ends here (or moved in a way its pixels do not tell)
            # Words of the last screen below this line are read again, whole, from the new strip.
            boundary = top + previous.height - OVERLAP // 2
            words = [w for w in words if _middle(w) < boundary]
            top += moved
            start = max(previous.height - moved - OVERLAP, 0)
            strip = _without_fixed(current, previous, start)
            found = await read_words(strip, env, screen)
            words += [m for w in found if _middle(m := w.moved(top + start)) >= boundary]
            previous, took = current, time.monotonic() - started
        else:
            log.info("read %d screens of the page; it goes on below", MAX_SCREENS)
    finally:
        if steps:
            await scroll(-steps)
            await _back_at(first, look)
    return screen_text(words), first


async def _back_at(first: Image.Image, look: Look) -> None:
    """Waits until the screen shows `first` again, or RESTORE_S (a page that changed meanwhile)."""
    deadline = time.monotonic() + RESTORE_S
    while time.monotonic() < deadline and (await look()).tobytes() != first.tobytes():
        await asyncio.sleep(RESTORE_POLL_S)


def distance(before: Image.Image, after: Image.Image) -> int:
    """How many pixels the page moved up between two screens, 0 when it did not move (or the two do not
    line up well enough to tell)."""
    old, new = _rows(before), _rows(after)
    at: dict[bytes, list[int]] = {}
    for y, row in enumerate(old):
        if row is not None:
            at.setdefault(row, []).append(y)
    votes: Counter[int] = Counter()
    for y, row in enumerate(new):
        places = at.get(row) if row is not None else None
        if places and len(places) <= MAX_REPEATS:
            votes.update(place - y for place in places)
    moves = [(count, move) for move, count in votes.items() if move > 0 and count >= MIN_VOTES]
    if not moves or votes[0] >= max(moves)[0]:
        return 0
    return max(moves)[1]


def _rows(image: Image.Image) -> list[bytes | None]:
    """Each row's greyscale pixels; None for a row of one shade, which matches any other."""
    grey = ImageOps.grayscale(image)
    data, width = grey.tobytes(), grey.width
    rows: list[bytes | None] = []
    for y in range(grey.height):
        row = data[y * width : (y + 1) * width]
        rows.append(row if row.count(row[:1]) != width else None)
    return rows


def _without_fixed(current: Image.Image, previous: Image.Image, start: int) -> Image.Image:
    """The strip of the new screen from `start` down, with rows that did not move (fixed to the screen,
    already read) painted over in the colour of their first pixel."""
    strip = current.crop((0, start, current.width, current.height))
    new, old = _rows(current), _rows(previous)
    draw = ImageDraw.Draw(strip)
    for y in range(start, current.height):
        if new[y] is not None and new[y] == old[y]:
            draw.line([(0, y - start), (current.width, y - start)], fill=current.getpixel((0, y)))
    return strip


def _middle(word: Word) -> float:
    return (word.top + word.height / 2) / SCALE

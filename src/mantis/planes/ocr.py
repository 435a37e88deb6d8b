"""Reads the text on a screenshot with Debian's tesseract, as phrases with boxes in screen pixels.

Measured on rendered pages at 1280x800 (see docs/operator/computer-plane.md): greyscale upscaled 2x
with `--psm 3` reads far more than the raw screenshot (26 of 26 test phrases, spacing aside, vs 12),
and `--psm 11` drops text inside boxes (most buttons). Its one global threshold still loses small text
that is light on dark, faint, or on a coloured button, and its layout analysis takes a small dark box
for a picture. So a second pass reads only the regions of the screen the first was unsure of, each cut
out and brought to dark on white (planes/ocr_sheet.py), and its words replace the first pass's there.
bench/ocr.py measures the candidates (an adaptive-threshold pass over the whole screen, inverting, psm
modes, PP-OCR) on 38 phrases of 11-14 px; the figures are in bench/README.md."""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, replace

from PIL import Image, ImageOps

from mantis.planes import ocr_sheet
from mantis.planes.base import Element
from mantis.planes.subproc import run

SCALE = 2
MIN_CONFIDENCE = 40.0
SYMBOL_CONFIDENCE = 80.0  # words without a letter or digit are mostly box edges read as | [ {
BOX_EDGES = "|[]{}"
PHRASE_GAP = 1.0  # a gap wider than the line's word height starts a new phrase (column, nav item)
OCR_TIMEOUT_S = 30.0
# A first-pass word under this confidence does not count as read when choosing the regions to read
# again: tesseract gives 40-70 to its guesses at faint or light-on-dark text ("Skip tutorlal").
SURE = 70.0
# Page segmentation: `--psm 3` (automatic) for both passes; on the sheet of regions, 6 (one block) and
# 11 (sparse text) read fewer of the corpus's phrases (bench/ocr.py).
PSM = "3"
SHEET_PSM = "3"
# Icons beside text (a vote arrow, a star, a mail glyph) are read as a letter or a symbol ("a Show",
# "«The", "aPostgres"). Their tell is in the pixels, not the letters: a word's letters share one ink, and
# an icon is drawn in another shade (a grey arrow before black text). Shades are greyscale 0-255; a
# pixel this far from the word's background is ink; a first glyph whose ink is this much lighter or
# darker than the rest of the word (or than the next word, for a glyph read as a word alone) is an icon.
# Measured on the tests' pages: a #9a9a9a arrow before #000 text differs by 120-150, while the letters
# of one word, anti-aliased at 11-14 px, differ by under 60.
# An icon is also wide for the text's size (half its line's height or more, as a glyph of a symbol font
# is), unlike the thin strokes of "i", "l" or "r", whose anti-aliased ink is lighter than a word's.
INK = 60
ICON_SHADE = 80
ICON_WIDTH = 0.5


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, ...]  # image, pass, block, paragraph, line
    confidence: float = 100.0  # tesseract's, 0-100

    def moved(self, down: int) -> Word:
        """The same word `down` image pixels lower (times SCALE, as the box is)."""
        return replace(self, top=self.top + down * SCALE)

    def overlaps(self, other: Word) -> bool:
        return (
            self.left < other.left + other.width
            and other.left < self.left + self.width
            and self.top < other.top + other.height
            and other.top < self.top + self.height
        )


@dataclass(frozen=True)
class ScreenText:
    elements: list[Element]  # phrases in reading order, role "text", boxes in image pixels
    text: str  # one line per visual row, the row's phrases separated by two spaces


async def read_text(image: Image.Image, env: Mapping[str, str]) -> ScreenText:
    return screen_text(await read_words(image, env))


async def read_words(image: Image.Image, env: Mapping[str, str], tag: int = 0) -> list[Word]:
    """The words OCR reads on the image, boxes in its pixels times SCALE; `tag` keeps the lines of
    images read apart (screens of one page) from ever being taken for one line."""
    grey = await asyncio.to_thread(ImageOps.grayscale, image)
    first = await first_pass(grey, env, tag)
    boxes = await asyncio.to_thread(unsure_regions, grey, first)
    again = await asyncio.to_thread(ocr_sheet.sheet, grey, boxes)
    words = shown(first)
    if again is not None:
        found = _placed(again, await _read(again.png, env, SHEET_PSM, 1, tag))
        sure = [w for w in words if w.confidence >= SURE]
        words = [w for w in words if w in sure or not any(w.overlaps(f) for f in found)]
        words += [f for f in found if not any(f.overlaps(w) for w in sure)]
    return await asyncio.to_thread(without_icons, words, grey)


async def first_pass(grey: Image.Image, env: Mapping[str, str], tag: int = 0) -> list[Word]:
    """The whole screen, upscaled SCALE times: every word, however unsure (see `shown`)."""
    return await _read(await asyncio.to_thread(_prepare, grey), env, PSM, 0, tag, 0.0)


def shown(words: list[Word]) -> list[Word]:
    return [w for w in words if w.confidence >= MIN_CONFIDENCE]


def unsure_regions(grey: Image.Image, first: list[Word]) -> list[ocr_sheet.Box]:
    """The screen's text regions the first pass read too little of surely, or guessed at: a word under
    SURE there (an icon and the word beside it read as one, "aShow" at 30) says the rest may be wrong."""
    def box(w: Word) -> tuple[int, int, int, int]:
        return w.left // SCALE, w.top // SCALE, w.width // SCALE, w.height // SCALE

    sure = [box(w) for w in first if w.confidence >= SURE]
    guessed = [box(w) for w in first if w.confidence < SURE]
    return [
        region
        for region in ocr_sheet.regions(grey)
        if ocr_sheet.uncovered(region, sure) or ocr_sheet.holds(region, guessed)
    ]


async def _read(
    png: bytes, env: Mapping[str, str], psm: str, pass_index: int, tag: int, floor: float = MIN_CONFIDENCE
) -> list[Word]:
    output = await run(["tesseract", "stdin", "stdout", "--psm", psm, "tsv"], env, OCR_TIMEOUT_S, png)
    return parse_tsv(output.decode(errors="replace"), pass_index, tag, floor)


def _placed(sheet: ocr_sheet.Sheet, words: list[Word]) -> list[Word]:
    out = []
    for word in words:
        box = sheet.place(word.left, word.top, word.width, word.height, SCALE)
        if box is not None:
            out.append(replace(word, left=box.left, top=box.top, width=box.width, height=box.height))
    return out


def without_icons(words: list[Word], grey: Image.Image) -> list[Word]:
    """Words with the icon OCR read as their first glyph taken off, and icons read as a word dropped."""
    out: list[Word] = []
    for index, word in enumerate(words):
        glyphs = _glyphs(grey, word)
        if len(word.text) == 1:
            after = next((w for w in words[index + 1 :] if w.line == word.line), None)
            rest = _glyphs(grey, after) if after is not None else []
            if glyphs and rest and _icon(glyphs[0], rest, word):
                continue
        elif len(glyphs) >= 2 and _icon(glyphs[0], glyphs[1:], word):
            # The icon is in the box; whether OCR wrote it down as a letter ("«The", "aPostgres") or
            # left it out ("Reverse"), only the text tells.
            first, second = word.text[0], word.text[1]
            written = not first.isalnum() or (first.islower() and second.isupper())
            text = word.text[1:] if written else word.text
            left = word.left + glyphs[1][0] * SCALE
            word = replace(word, text=text, left=left, width=word.left + word.width - left)
        out.append(word)
    return out


def _icon(glyph: tuple[int, int, int], rest: list[tuple[int, int, int]], word: Word) -> bool:
    wide = (glyph[1] - glyph[0]) * SCALE >= ICON_WIDTH * word.height
    return wide and abs(glyph[2] - _shade(rest)) >= ICON_SHADE


def _glyphs(grey: Image.Image, word: Word) -> list[tuple[int, int, int]]:
    """The runs of inked columns in the word's box, left to right: start and end (px from the box's
    left), and the shade of the inkiest pixel in each. The background is the commonest shade of the ring
    of pixels just around the box (OCR boxes are tight, and a solid icon can fill its box)."""
    left, top = word.left // SCALE, word.top // SCALE
    right, bottom = -(-(word.left + word.width) // SCALE), -(-(word.top + word.height) // SCALE)
    if right <= left or bottom <= top:
        return []
    ring = grey.crop((left - 1, top - 1, right + 1, bottom + 1))
    width, height = ring.size
    data = ring.tobytes()
    edge = [*data[:width], *data[-width:], *data[width::width], *data[2 * width - 1 :: width]]
    background = statistics.mode(edge)
    runs: list[tuple[int, int, int]] = []
    start, shade = -1, background
    for x in range(1, width):
        column = data[x + width : (height - 1) * width : width] if x < width - 1 else b""
        inkiest = max(column, key=lambda v: abs(v - background), default=background)
        if abs(inkiest - background) >= INK:
            if start < 0:
                start, shade = x - 1, inkiest
            elif abs(inkiest - background) > abs(shade - background):
                shade = inkiest
        elif start >= 0:
            runs.append((start, x - 1, shade))
            start = -1
    return runs


def _shade(glyphs: list[tuple[int, int, int]]) -> int:
    return int(statistics.median(shade for _, _, shade in glyphs))


def screen_text(words: list[Word]) -> ScreenText:
    """Words as phrases in reading order, boxes in image pixels."""
    rows = [[_element(phrase) for phrase in row] for row in rows_of(phrases(words))]
    return ScreenText(
        elements=[element for row in rows for element in row],
        text="\n".join("  ".join(element.name for element in row) for row in rows),
    )


def _prepare(grey: Image.Image) -> bytes:
    grey = grey.resize((grey.width * SCALE, grey.height * SCALE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    grey.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def parse_tsv(tsv: str, pass_index: int, tag: int = 0, floor: float = MIN_CONFIDENCE) -> list[Word]:
    """Tesseract's words with a confidence of at least `floor`."""
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip().strip(BOX_EDGES)
        if row.get("level") != "5" or not text:
            continue
        confidence = float(row["conf"])
        symbols_only = not any(c.isalnum() for c in text)
        if confidence < floor or (symbols_only and confidence < SYMBOL_CONFIDENCE):
            continue
        words.append(
            Word(
                text,
                int(row["left"]),
                int(row["top"]),
                int(row["width"]),
                int(row["height"]),
                (tag, pass_index, int(row["block_num"]), int(row["par_num"]), int(row["line_num"])),
                confidence,
            )
        )
    return words


def phrases(words: list[Word]) -> list[list[Word]]:
    """Tesseract's lines, split where the gap between words is wider than the words are tall."""
    lines: dict[tuple[int, ...], list[Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    result = []
    for line in lines.values():
        line.sort(key=lambda w: w.left)
        gap = PHRASE_GAP * statistics.median(w.height for w in line)
        current = [line[0]]
        for word in line[1:]:
            if word.left - (current[-1].left + current[-1].width) > gap:
                result.append(current)
                current = []
            current.append(word)
        result.append(current)
    return result


def rows_of(found: list[list[Word]]) -> list[list[list[Word]]]:
    """Reading order: rows top to bottom (phrases overlapping the row's topmost one), each left to right."""
    ordered = sorted(found, key=lambda p: min(w.top for w in p))
    rows: list[list[list[Word]]] = []
    for phrase in ordered:
        top = min(w.top for w in phrase)
        if rows and top < max(w.top + w.height for w in rows[-1][0]) - 1:
            rows[-1].append(phrase)
        else:
            rows.append([phrase])
    return [sorted(row, key=lambda p: p[0].left) for row in rows]


def _element(phrase: list[Word]) -> Element:
    left = min(w.left for w in phrase)
    top = min(w.top for w in phrase)
    right = max(w.left + w.width for w in phrase)
    bottom = max(w.top + w.height for w in phrase)
    return Element(
        ref="",
        role="text",
        name=" ".join(w.text for w in phrase),
        box=(left / SCALE, top / SCALE, (right - left) / SCALE, (bottom - top) / SCALE),
    )

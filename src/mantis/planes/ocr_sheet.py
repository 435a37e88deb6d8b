"""The second OCR pass's input: the screen's text regions the first pass was unsure of, each cut out,
brought to dark text on white and stacked on one light sheet, with the map back to the screen.

Tesseract's one global threshold loses text that is light on dark, faint (#999 on white) or on a
coloured button, and its layout analysis takes a small dark box for a picture. Cut out and normalised
(every pixel's distance from the region's own background, so polarity and contrast no longer matter),
the same text reads (bench/ocr.py measures it). Regions are found on the screen shrunk to cells; a light
button inside a dark banner is normalised against its own ground."""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageDraw

# A cell is 4x4 px, under half the height of the smallest button (11-px text in a 20-px box), so such a
# button still spans 5 cells.
CELL = 4
# A cell this far (of 255) from the screen's commonest shade holds ink or another ground. The lightest
# box of the bench's corpus (#e0e0e0 on #fafafa) differs by 26; JPEG-free screenshots have no noise.
CONTRAST = 16
JOIN = 2  # ink cells this close on a row are one region: the space between words is 1-2 cells at 11-14 px
MIN_REGION = (2, 2)  # width, height in cells: smaller specks are rules and dots, not text
MIN_BOX = (5, 3)  # cells: a ground inside a region this large (a button, a hole) is normalised on its own
MARGIN = 1  # cells of the surrounding ground kept around a region, so no glyph touches the crop's edge
# Normalising: a pixel this far from its region's ground is ink; FLOOR keeps the faint edge of a box one
# shade off the page (#e0e0e0 on #fafafa, 26 apart) white, and a distance of FLOOR + 50 is full black:
# the faintest text of the corpus is 80-100 from its ground (#999 on white, #aaa on #555).
FLOOR = 30
FULL_INK = 50
# A row of ink across this share of a crop's width near its edge (or a column down this share of its
# height) is a box's border, which tesseract would read as a frame and drop the text inside.
FRAME = 0.8
FRAME_BAND = 2 * CELL  # px from the crop's edge where a border lies (the margin, then the box's edge)
# A region whose width the first pass's words cover less than this share of is re-read: a button the
# first pass read has its words across most of it (text fills 60-80% of a padded button's width).
COVERED = 0.5
REGION_SCALE = 3  # upscaled 3x, not 2x: 11-px text reads better (bench/ocr.py, 0.99 vs 0.97)
SHEET_GAP = 24  # px between regions on the sheet, so that tesseract never joins two into one line

Box = tuple[int, int, int, int]  # left, top, right, bottom in screen pixels


@dataclass(frozen=True)
class Placed:
    """A box read on the sheet, put back on the screen (pixels times `scale`)."""

    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class Sheet:
    png: bytes
    slots: list[tuple[int, int, int, int]]  # sheet top, sheet bottom, region left, region top (screen px)

    def place(self, left: int, top: int, width: int, height: int, scale: int) -> Placed | None:
        """A box in sheet pixels as the screen's pixels times `scale`, or None if it is in no slot."""
        ratio = scale / REGION_SCALE
        for slot_top, slot_bottom, region_left, region_top in self.slots:
            if slot_top <= top < slot_bottom:
                return Placed(
                    round((left - SHEET_GAP) * ratio) + region_left * scale,
                    round((top - slot_top) * ratio) + region_top * scale,
                    round(width * ratio),
                    round(height * ratio),
                )
        return None


def regions(grey: Image.Image) -> list[Box]:
    """Boxes around the ink and the grounds that differ from the screen's commonest shade, in reading
    order, with MARGIN cells of what surrounds them."""
    cols, rows = grey.width // CELL, grey.height // CELL
    if not cols or not rows:
        return []
    cells = grey.resize((cols, rows), Image.Resampling.BOX).tobytes()
    ground = statistics.mode(cells)
    ink = bytearray(abs(v - ground) > CONTRAST for v in cells)
    _join_rows(ink, cols)
    found = []
    for x0, y0, x1, y1 in _components(ink, cols, rows, MIN_REGION):
        x0, y0 = max(x0 - MARGIN, 0), max(y0 - MARGIN, 0)
        x1, y1 = min(x1 + MARGIN, cols), min(y1 + MARGIN, rows)
        found.append((x0 * CELL, y0 * CELL, x1 * CELL, y1 * CELL))
    return sorted(found, key=lambda b: (b[1], b[0]))


def sheet(grey: Image.Image, boxes: list[Box]) -> Sheet | None:
    """The regions normalised, upscaled by REGION_SCALE and stacked on one white sheet."""
    crops = []
    for box in boxes:
        crop = normalised(grey.crop(box))
        size = (crop.width * REGION_SCALE, crop.height * REGION_SCALE)
        crops.append((box, crop.resize(size, Image.Resampling.LANCZOS)))
    if not crops:
        return None
    width = max(c.width for _, c in crops) + 2 * SHEET_GAP
    height = sum(c.height + SHEET_GAP for _, c in crops) + SHEET_GAP
    out = Image.new("L", (width, height), 255)
    slots = []
    y = SHEET_GAP
    for (left, top, _, _), crop in crops:
        out.paste(crop, (SHEET_GAP, y))
        slots.append((y, y + crop.height, left, top))
        y += crop.height + SHEET_GAP
    buffer = io.BytesIO()
    out.save(buffer, "PNG", compress_level=1)
    return Sheet(buffer.getvalue(), slots)


def normalised(crop: Image.Image) -> Image.Image:
    """Dark ink on white whatever the region's colours: each pixel's distance from the region's ground,
    and a box inside it with a ground of its own (a light button on a dark banner) against that one."""
    ground = statistics.mode(crop.tobytes())
    out = _ink(crop, ground)
    cols, rows = crop.width // CELL, crop.height // CELL
    if cols and rows:
        cells = crop.resize((cols, rows), Image.Resampling.BOX).tobytes()
        other = bytearray(abs(v - ground) > CONTRAST for v in cells)
        for x0, y0, x1, y1 in _components(other, cols, rows, MIN_BOX):
            box = (x0 * CELL, y0 * CELL, x1 * CELL, y1 * CELL)
            inner = crop.crop(box)
            inner_ground = statistics.mode(inner.tobytes())
            if abs(inner_ground - ground) > CONTRAST:
                out.paste(_ink(inner, inner_ground), box[:2])
    _unframe(out)
    return out


def _ink(crop: Image.Image, ground: int) -> Image.Image:
    lut = [255 - max(0, min(255, (abs(v - ground) - FLOOR) * 255 // FULL_INK)) for v in range(256)]
    return crop.point(lut)


def _unframe(out: Image.Image) -> None:
    """Borders near the crop's edge whitened, and whatever ink still touches its edge (the surrounding
    page seen against a dark box's ground) flooded white."""
    width, height = out.size
    px = out.load()
    assert px is not None
    for y in {*range(min(FRAME_BAND, height)), *range(max(height - FRAME_BAND, 0), height)}:
        if sum(_dark(px[x, y]) for x in range(width)) >= FRAME * width:
            for x in range(width):
                px[x, y] = 255
    for x in {*range(min(FRAME_BAND, width)), *range(max(width - FRAME_BAND, 0), width)}:
        if sum(_dark(px[x, y]) for y in range(height)) >= FRAME * height:
            for y in range(height):
                px[x, y] = 255
    for x, y in _edge(width, height):
        if _dark(px[x, y]):
            ImageDraw.floodfill(out, (x, y), 255, thresh=127)


def _dark(value: float | tuple[int, ...]) -> bool:
    return isinstance(value, int | float) and value < 128


def _edge(width: int, height: int) -> Iterator[tuple[int, int]]:
    for x in range(width):
        yield x, 0
        yield x, height - 1
    for y in range(height):
        yield 0, y
        yield width - 1, y


def _join_rows(ink: bytearray, cols: int) -> None:
    """Fills gaps of up to JOIN cells between ink cells of a row, so a phrase is one region."""
    for start in range(0, len(ink), cols):
        last = -1
        for x in range(start, start + cols):
            if ink[x]:
                if last >= 0 and 1 < x - last <= JOIN + 1:
                    ink[last + 1 : x] = b"\x01" * (x - last - 1)
                last = x


def _components(cells: bytearray, cols: int, rows: int, least: tuple[int, int]) -> list[Box]:
    """Bounding boxes (in cells, end exclusive) of 4-connected set cells at least `least` cells large."""
    seen = bytearray(len(cells))
    found = []
    for start, value in enumerate(cells):
        if not value or seen[start]:
            continue
        seen[start] = 1
        stack = [start]
        x0, y0, x1, y1 = cols, rows, 0, 0
        while stack:
            i = stack.pop()
            x, y = i % cols, i // cols
            x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x + 1), max(y1, y + 1)
            for j in (i - 1 if x else -1, i + 1 if x + 1 < cols else -1, i - cols, i + cols):
                if 0 <= j < len(cells) and cells[j] and not seen[j]:
                    seen[j] = 1
                    stack.append(j)
        if x1 - x0 >= least[0] and y1 - y0 >= least[1]:
            found.append((x0, y0, x1, y1))
    return found


def uncovered(box: Box, covered: list[tuple[int, int, int, int]]) -> bool:
    """Whether the boxes read in it (left, top, width, height, screen px) span less than COVERED of the
    region's width."""
    left, top, right, bottom = box
    spans = sorted(
        (max(x, left), min(x + w, right))
        for x, y, w, h in covered
        if y < bottom and y + h > top and x < right and x + w > left
    )
    width, end = 0, left
    for start, stop in spans:
        start = max(start, end)
        if stop > start:
            width += stop - start
            end = stop
    return width < COVERED * (right - left)


def holds(box: Box, boxes: list[tuple[int, int, int, int]]) -> bool:
    """Whether the region holds the centre of any of the boxes (left, top, width, height, screen px)."""
    left, top, right, bottom = box
    return any(left <= x + w / 2 < right and top <= y + h / 2 < bottom for x, y, w, h in boxes)

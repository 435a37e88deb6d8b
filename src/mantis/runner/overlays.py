"""The polished recording's overlays as one ASS subtitle script, drawn by libass in a single `ass` filter:
the caption bar under the page (one step at a time) and each step's marks on the page (ripple, box,
typed text, scroll arrow, records read). ASS events carry their own times and vector drawings, so a
200-step run is one script, and libass only draws the events of the moment."""

from __future__ import annotations

from dataclasses import dataclass

from mantis.runner.marks import Marks
from mantis.runner.timeline import Piece, Timeline

BAR_PX = 56  # the caption bar's height, added under the page so captions never hide it
CAPTION_PX = 24
CHIP_PX = 18
MAX_CAPTION_CHARS = 96  # one line of 24 px Liberation Sans across a 1280 px video
FONT = "Liberation Sans"  # in fonts-liberation, which scripts/setup.sh installs
BOX_PAD_PX = 4  # the grounded box is drawn this far outside what was found, so its text stays readable
RIPPLE_R = 22
DOT_R = 7
RIPPLE_GROW_MS = 700
# ASS colours are &HAABBGGRR (alpha 00 = opaque).
RIPPLE = "&H00A62EFF&"  # pink (255, 46, 166): unlike page colours, easy to find in the pixels
BOX = "&H00FFC800&"  # sky blue (0, 200, 255)
RECORD = "&H003CC83C&"  # green (60, 200, 60)
RECORD_FILL_ALPHA = "&HC0&"  # mostly clear: the records stay readable under the highlight
CHIP_BACK = "&H30602010&"  # dark blue


@dataclass(frozen=True)
class Frame:
    """Where the page is in the video: the raw picture's size and the page's top-left corner in it."""

    width: int
    height: int
    origin: tuple[int, int] = (0, 0)


def script(timeline: Timeline, frame: Frame) -> str:
    lines = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {frame.width}",
        f"PlayResY: {frame.height + BAR_PX}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{FONT},{CAPTION_PX},&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,"
        f"1,0,0,1,16,16,{(BAR_PX - CAPTION_PX) // 2},1",
        f"Style: Chip,{FONT},{CHIP_PX},&H00FFFFFF,&H00FFFFFF,{CHIP_BACK},&H00000000,1,0,0,0,100,100,0,0,"
        "3,5,0,7,0,0,0,1",
        f"Style: Draw,{FONT},20,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,"
        "1,0,0,7,0,0,0,1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for start, end, piece in timeline.shown():
        caption = caption_of(piece)
        if caption:
            lines.append(_event(0, start, end, "Caption", _text(caption)))
        if piece.span is not None:
            lines.extend(
                _event(1, start, end, style, text) for style, text in _marks(piece.span.marks, frame)
            )
    return "\n".join(lines) + "\n"


def caption_of(piece: Piece) -> str:
    """The bar's text for a piece: its step's caption, and how much faster it runs if it was sped up."""
    speedup = f"{piece.speedup:.0f}" if piece.speedup >= 2 else f"{piece.speedup:.1f}"
    faster = f"{piece.length:.0f} s shown {speedup}\u00d7 faster" if piece.speedup > 1 else ""
    if piece.span is None:
        return f"\u2026 {faster} (between steps)" if faster else ""
    text = piece.span.caption if not faster else f"{piece.span.caption} \u00b7 {faster}"
    return text if len(text) <= MAX_CAPTION_CHARS else text[: MAX_CAPTION_CHARS - 1] + "\u2026"


def _marks(marks: Marks, frame: Frame) -> list[tuple[str, str]]:
    ox, oy = frame.origin
    out: list[tuple[str, str]] = []
    for x, y, w, h in marks.records:
        out.append(
            (
                "Draw",
                f"{{\\pos({ox},{oy})\\bord2\\3c{RECORD}\\1c{RECORD}\\1a{RECORD_FILL_ALPHA}\\p1}}"
                f"{_rect(x, y, w, h)}{{\\p0}}",
            )
        )
    if marks.record_count is not None:
        count = f"{marks.record_count} record{'s' if marks.record_count != 1 else ''} read"
        out.append(("Chip", f"{{\\an9\\pos({ox + frame.width - 16},{oy + 16})}}{count}"))
    if marks.box is not None:
        x, y, w, h = marks.box
        pad = BOX_PAD_PX
        outline = _rect(x - pad, y - pad, w + 2 * pad, h + 2 * pad)
        out.append(("Draw", f"{{\\pos({ox},{oy})\\bord3\\3c{BOX}\\1a&HFF&\\p1}}{outline}{{\\p0}}"))
    if marks.point is not None:
        px, py = ox + marks.point[0], oy + marks.point[1]
        out.append(("Draw", f"{{\\pos({px},{py})\\bord0\\1c{RIPPLE}\\p1}}{_circle(DOT_R)}{{\\p0}}"))
        out.append(
            ("Draw", f"{{\\pos({px},{py})\\bord4\\3c{RIPPLE}\\1a&HFF&\\p1}}{_circle(RIPPLE_R)}{{\\p0}}")
        )
        out.append(
            (
                "Draw",
                f"{{\\pos({px},{py})\\bord3\\3c{RIPPLE}\\1a&HFF&\\fscx50\\fscy50"
                f"\\t(0,{RIPPLE_GROW_MS},\\fscx220\\fscy220\\3a&HFF&)\\p1}}{_circle(RIPPLE_R)}{{\\p0}}",
            )
        )
    if marks.typed is not None:
        out.append(("Chip", _typed(marks, frame)))
    if marks.scroll:
        out.append(("Draw", _arrow(marks.scroll, frame)))
        way = "down" if marks.scroll > 0 else "up"
        x, y = ox + frame.width - 70, oy + frame.height // 2
        out.append(("Chip", f"{{\\an6\\pos({x - 34},{y})}}scroll {way} \u00d7{abs(marks.scroll)}"))
    return out


def _typed(marks: Marks, frame: Frame) -> str:
    """A chip just above the field (below it near the top), saying what was typed."""
    ox, oy = frame.origin
    x, y, _, h = marks.box or (*(marks.point or (16, 16)), 0, 0)
    above = y - CHIP_PX - 14 - BOX_PAD_PX >= 0
    top = y - CHIP_PX - 14 - BOX_PAD_PX if above else y + h + 8 + BOX_PAD_PX
    return f"{{\\an7\\pos({ox + round(x)},{oy + round(top)})}}typed: {_text(marks.typed or '')}"


def _arrow(amount: int, frame: Frame) -> str:
    ox, oy = frame.origin
    x, y = ox + frame.width - 70, oy + frame.height // 2
    d = 1 if amount > 0 else -1
    shape = f"m -8 {-40 * d} l 8 {-40 * d} 8 {10 * d} 22 {10 * d} 0 {40 * d} -22 {10 * d} -8 {10 * d}"
    return f"{{\\pos({x},{y})\\bord2\\3c&H00000000&\\1c{BOX}\\p1}}{shape}{{\\p0}}"


def _rect(x: float, y: float, w: float, h: float) -> str:
    x0, y0, x1, y1 = round(x), round(y), round(x + w), round(y + h)
    return f"m {x0} {y0} l {x1} {y0} {x1} {y1} {x0} {y1}"


def _circle(r: int) -> str:
    """A circle of radius r around the drawing's origin, as four Bézier quarters."""
    k = round(r * 0.5523)  # the control-point distance that makes a quarter circle
    return (
        f"m 0 {-r} b {k} {-r} {r} {-k} {r} 0 b {r} {k} {k} {r} 0 {r} "
        f"b {-k} {r} {-r} {k} {-r} 0 b {-r} {-k} {-k} {-r} 0 {-r}"
    )


def _text(text: str) -> str:
    """Plain text for an ASS event: override braces, backslash escapes and line breaks cannot appear."""
    return " ".join(text.replace("{", "(").replace("}", ")").replace("\\", "/").split())


def _event(layer: int, start: float, end: float, style: str, text: str) -> str:
    return f"Dialogue: {layer},{_clock(start)},{_clock(end)},{style},,0,0,0,,{text}"


def _clock(seconds: float) -> str:
    centis = round(seconds * 100)
    return f"{centis // 360000}:{centis // 6000 % 60:02d}:{centis // 100 % 60:02d}.{centis % 100:02d}"

"""Which OCR reads small text on screen: tesseract configurations, the computer plane's own reading and
variants of it (and PP-OCR, when rapidocr-onnxruntime is installed) on screenshots rendered here with
Chromium from pages whose words are known: buttons and links of 11-14 px, light on dark, dark on light,
low contrast, bordered, icons beside text and dark banners with buttons in them, on a 1280x800 screen.
Run: .venv/bin/python bench/ocr.py [--configs plane,first,...] [-v]

It prints, per reader, the share of known phrases read (a phrase counts when its words appear in order
in one OCR line, spacing aside), the share per kind of text, and the median wall and CPU seconds per
screen (CPU of this process and its tesseract children: the load of a shared machine moves it far less).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps
from playwright.async_api import async_playwright

from mantis.planes import ocr as plane_ocr
from mantis.planes import ocr_sheet
from mantis.planes.chromium import CHROMIUM
from mantis.planes.ocr import first_pass, read_text, screen_text, shown, unsure_regions
from mantis.planes.subproc import run, session_env

Kind = str
# (kind, css of the phrase's element, text). Each screen shows every phrase at one font size. Words are
# unique across phrases, so that no phrase is found inside another's line.
PHRASES: list[tuple[Kind, str, str]] = [
    ("light on dark", "background:#1d1f24;color:#f2f2f2", "Accept"),
    ("light on dark", "background:#1d1f24;color:#f2f2f2", "Got it"),
    ("light on dark", "background:#0b3d91;color:#ffffff", "Allow all cookies"),
    ("light on dark", "background:#333;color:#ddd", "Manage preferences"),
    ("light on dark", "background:#6b1f1f;color:#fff", "Reject"),
    ("light on dark", "background:#14532d;color:#e8f5e9", "Confirm order"),
    ("light on dark", "background:#4a1d6b;color:#f3e8ff", "Upgrade plan"),
    ("light on dark", "background:#000;color:#bbb", "Dismiss"),
    ("dark on light", "background:#ffffff;color:#222", "Sign in"),
    ("dark on light", "background:#e9ecef;color:#333", "Continue"),
    ("dark on light", "background:#fff3cd;color:#5c4400", "Show more results"),
    ("dark on light", "background:#f5f5f5;color:#555", "Privacy policy"),
    ("dark on light", "background:#d1ecf1;color:#0c5460", "Learn about delivery"),
    ("low contrast", "background:#ffffff;color:#999", "Terms of use"),
    ("low contrast", "background:#e0e0e0;color:#888", "Skip tutorial"),
    ("low contrast", "background:#5b9bd5;color:#fff", "Download report"),
    ("low contrast", "background:#e8590c;color:#fff", "Buy now"),
    ("low contrast", "background:#555;color:#aaa", "Remind me later"),
    ("low contrast", "background:#2e7d32;color:#a5d6a7", "Verified seller"),
    ("bordered button", "background:#fff;color:#0b5cad;border:1px solid #0b5cad", "Add to basket"),
    ("bordered button", "background:#fff;color:#b00020;border:2px solid #b00020", "Delete account"),
    ("bordered button", "background:#1d1f24;color:#f2f2f2;border:1px solid #888", "Open settings"),
    ("bordered button", "background:#f8f9fa;color:#212529;border:1px solid #ced4da", "Export data"),
    ("icon beside text", "background:#fff;color:#222", "\u2605 Save listing"),
    ("icon beside text", "background:#fff;color:#222", "\u25b2 Boats for sale near you"),
    ("icon beside text", "background:#222;color:#eee", "\u2709 Contact seller"),
    ("icon beside text", "background:#fff;color:#333", "\u2699 Account options"),
    ("icon beside text", "background:#fff;color:#222", "\U0001f50d Search listings"),
    ("icon beside text", "background:#0b3d91;color:#fff", "Next page \u2192"),
    ("icon beside text", "background:#fff;color:#14532d", "\u2713 Saved to favourites"),
]
# Dark banners across the screen, as cookie notices and site headers are: (kind, css of the banner, top
# in px, phrases as (css, text) inside it, side by side). A light button inside a dark banner is a
# light hole in the dark ground, which a reader of dark regions must still read.
BANNERS: list[tuple[Kind, str, int, list[tuple[str, str]]]] = [
    ("dark banner", "background:#1d1f24;color:#e6e6e6", 0, [
        ("", "Home"), ("", "Listings"), ("", "Saved searches"), ("", "Messages")]),
    ("dark banner", "background:#1d1f24;color:#e6e6e6", 752, [
        ("", "We keep one cookie to remember this notice."),
        ("background:#000;color:#f2f2f2;border:1px solid #555", "Agree"),
        ("background:#f2f2f2;color:#1d1f24", "Cookie settings"),
        ("background:#1d1f24;color:#f2f2f2;border:1px solid #f2f2f2", "Close notice")]),
]
SIZES = (11, 12, 13, 14)
COLUMNS = 3
COLUMN_WIDTH = 400
ROW_HEIGHT = 62  # 10 rows of phrases between the two banners on a 1280x800 screen


def page(size: int) -> str:
    font = f"font:{size}px Arial,sans-serif"
    items = "".join(
        f'<div style="position:absolute;left:{40 + (i % COLUMNS) * COLUMN_WIDTH}px;'
        f'top:{60 + (i // COLUMNS) * ROW_HEIGHT}px;padding:4px 10px;border-radius:4px;{font};{css}">'
        f"{text}</div>"
        for i, (_, css, text) in enumerate(PHRASES)
    )
    banners = "".join(
        f'<div style="position:absolute;left:0;right:0;top:{top}px;padding:10px 40px;display:flex;'
        f'align-items:center;gap:24px;{font};{css}">'
        + "".join(f'<span style="padding:4px 10px;border-radius:4px;{item}">{t}</span>' for item, t in spans)
        + "</div>"
        for _, css, top, spans in BANNERS
    )
    return f"<!doctype html><html><body style='margin:0;background:#fafafa'>{items}{banners}</body></html>"


def known() -> list[tuple[Kind, str]]:
    """Every phrase on a screen, with its kind."""
    return [(k, t) for k, _, t in PHRASES] + [(k, t) for k, _, _, spans in BANNERS for _, t in spans]


@dataclass(frozen=True)
class Config:
    name: str
    scale: int
    invert: bool  # also read the inverted image (light text on dark becomes dark on light)
    psm: str
    extra: tuple[str, ...] = ()


CONFIGS = {
    c.name: c
    for c in (
        Config("first", 2, False, "3"),  # the plane's first pass alone
        Config("current+adaptive", 2, False, "3", ("-c", "thresholding_method=1")),
        Config("scale3", 3, False, "3"),
        Config("invert", 2, True, "3"),
        Config("psm11", 2, False, "11"),
        Config("psm6", 2, False, "6"),
    )
}
Lines = list[str]
BENCH_TIMEOUT_S = 600.0
Reader = Callable[[Image.Image], Awaitable[Lines]]


async def tesseract(image: Image.Image, config: Config, env: dict[str, str]) -> Lines:
    grey = ImageOps.grayscale(image)
    grey = grey.resize((grey.width * config.scale, grey.height * config.scale), Image.Resampling.LANCZOS)
    images = [grey, ImageOps.invert(grey)] if config.invert else [grey]
    lines: Lines = []
    for img in images:
        buffer = io.BytesIO()
        img.save(buffer, "PNG", compress_level=1)
        argv = ["tesseract", "stdin", "stdout", "--psm", config.psm, *config.extra]
        out = await run(argv, env, BENCH_TIMEOUT_S, buffer.getvalue())
        lines += out.decode(errors="replace").splitlines()
    return lines


def rapid() -> Callable[[Image.Image], Lines] | None:
    """PP-OCR, when rapidocr-onnxruntime is installed. Its detector's default scales an image's short
    side up to 736 px, which makes a 40-px strip 18 times as wide: here the long side is at most 1280."""
    try:
        import numpy
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    engine = RapidOCR(det_limit_type="max", det_limit_side_len=1280)

    def read(image: Image.Image) -> Lines:
        found, _ = engine(numpy.asarray(image.convert("RGB")))
        return [str(item[1]) for item in found or []]

    return read


def on_unsure(env: dict[str, str], read: Callable[[Image.Image], Lines]) -> Reader:
    """The plane's first pass, then PP-OCR over each region the plane would read again."""

    async def both(image: Image.Image) -> Lines:
        grey = ImageOps.grayscale(image)
        first = await first_pass(grey, env)
        lines = screen_text(shown(first)).text.splitlines()
        for box in unsure_regions(grey, first):
            lines += await asyncio.to_thread(read, image.crop(box))
        return lines

    return both


@contextlib.contextmanager
def patched(module: object, **values: object) -> Iterator[None]:
    """The plane's constants set to a candidate's values for one reading."""
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


# The plane's second pass with one constant changed: (module, constants).
VARIANTS: dict[str, tuple[object, dict[str, object]]] = {
    "plane:sheet-2x": (ocr_sheet, {"REGION_SCALE": 2}),
    "plane:all-regions": (ocr_sheet, {"COVERED": 2.0}),
    "plane:any-word-covers": (plane_ocr, {"SURE": plane_ocr.MIN_CONFIDENCE}),
    "plane:sheet-psm6": (plane_ocr, {"SHEET_PSM": "6"}),
    "plane:sheet-psm11": (plane_ocr, {"SHEET_PSM": "11"}),
}


def readers(names: list[str], env: dict[str, str]) -> dict[str, Reader]:
    async def plane(image: Image.Image) -> Lines:
        return (await read_text(image, env)).text.splitlines()

    def variant(module: object, values: dict[str, object]) -> Reader:
        async def read(image: Image.Image) -> Lines:
            with patched(module, **values):
                return await plane(image)

        return read

    def whole(config: Config) -> Reader:
        return lambda image: tesseract(image, config, env)

    out: dict[str, Reader] = {}
    for name in names:
        if name in CONFIGS:
            out[name] = whole(CONFIGS[name])
        elif name in VARIANTS:
            out[name] = variant(*VARIANTS[name])
        elif name == "plane":
            out[name] = plane
    pp = rapid() if any("ppocr" in n for n in names) else None
    if pp is not None:
        if "ppocr" in names:
            out["ppocr"] = lambda img: asyncio.to_thread(pp, img)
        if "first+ppocr-unsure" in names:
            out["first+ppocr-unsure"] = on_unsure(env, pp)
    return out


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read_ok(phrase: str, lines: Lines) -> bool:
    """The phrase's words in one line, spacing aside (PP-OCR joins words, tesseract may split them)."""
    want = squash(phrase)
    return any(want in squash(line) for line in lines)


def cpu_seconds() -> float:
    """CPU time of this process (PP-OCR's threads) and of its ended children (tesseract): the machine's
    load moves wall time by 2x, CPU time far less."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


async def screens() -> dict[int, Image.Image]:
    shots: dict[int, Image.Image] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = await browser.new_page(viewport={"width": 1280, "height": 800})
        for size in SIZES:
            await tab.set_content(page(size))
            shots[size] = Image.open(io.BytesIO(await tab.screenshot())).convert("RGB")
        await browser.close()
    return shots


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join([*CONFIGS, *EXTRA]), help=", ".join(
        f"`{k}` {v}" for k, v in EXTRA.items()) + "; the rest are tesseract over the whole screen")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the phrases each reader missed")
    parser.add_argument("--save", type=Path, help="write the rendered screens to this folder")
    args = parser.parse_args()
    shots = await screens()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for size, shot in shots.items():
            shot.save(args.save / f"screen-{size}px.png")
    env = session_env(tag="bench-ocr", display="", home=Path(tempfile.mkdtemp(prefix="bench-ocr-")))
    kinds = list(dict.fromkeys(k for k, _ in known()))
    print(f"{len(known())} phrases a screen, {len(shots)} screens ({', '.join(f'{s} px' for s in shots)})")
    heads = " ".join(f"{k[:11]:>11}" for k in kinds)
    print(f"{'reader':20} {'read':>5} {'wall s':>6} {'cpu s':>6}  {heads}")
    # The plane's deadline for one tesseract call is for runs; on a loaded machine a reading of the bench
    # may take longer, and it measures the reading, not the deadline.
    plane_ocr.OCR_TIMEOUT_S = BENCH_TIMEOUT_S
    for name, reader in readers(args.configs.split(","), env).items():
        hits: dict[str, list[bool]] = {}
        wall, cpu, missed = [], [], []
        for size, shot in shots.items():
            began, began_cpu = time.perf_counter(), cpu_seconds()
            lines = await reader(shot)
            wall.append(time.perf_counter() - began)
            cpu.append(cpu_seconds() - began_cpu)
            for kind, text in known():
                hits.setdefault(kind, []).append(ok := read_ok(text, lines))
                missed += [] if ok else [f"{text} ({size} px)"]
        every = [h for v in hits.values() for h in v]
        per = " ".join(f"{sum(hits[k]) / len(hits[k]):11.2f}" for k in kinds)
        print(f"{name:20} {sum(every) / len(every):5.2f} {statistics.median(wall):6.2f} "
              f"{statistics.median(cpu):6.2f}  {per}")
        if args.verbose and missed:
            print(f"  missed: {', '.join(missed)}")


EXTRA = {
    "plane": "(planes/ocr.py as the computer plane reads)",
    **{name: f"(the plane with {values})" for name, (_, values) in VARIANTS.items()},
    "ppocr": "(PP-OCR over the whole screen, when rapidocr-onnxruntime is installed)",
    "first+ppocr-unsure": "(the plane's first pass, then PP-OCR over the regions the plane reads again)",
}


if __name__ == "__main__":
    asyncio.run(main())

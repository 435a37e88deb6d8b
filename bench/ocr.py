"""Which OCR reads small text on screen: tesseract configurations (and PP-OCR, when rapidocr-onnxruntime
is installed) on screenshots rendered here with Chromium from pages whose words are known: buttons and
links of 11-14 px, light on dark and dark on light, icons with text beside them, on a 1280x800 screen.
Run: .venv/bin/python bench/ocr.py [--configs current,scale3,...]

It prints, per configuration, the share of known phrases read (a phrase counts when its words appear in
order in one OCR line, spacing aside), the share per kind of text, and the median seconds per screen.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps
from playwright.async_api import async_playwright

from mantis.planes.chromium import CHROMIUM
from mantis.planes.ocr import dark_regions, read_text
from mantis.planes.subproc import session_env

Kind = str
# (kind, css of the phrase's element, text). Each screen shows every phrase at one font size.
PHRASES: list[tuple[Kind, str, str]] = [
    ("light on dark", "background:#1d1f24;color:#f2f2f2", "Accept"),
    ("light on dark", "background:#1d1f24;color:#f2f2f2", "Got it"),
    ("light on dark", "background:#0b3d91;color:#ffffff", "Allow all cookies"),
    ("light on dark", "background:#333;color:#ddd", "Manage preferences"),
    ("light on dark", "background:#6b1f1f;color:#fff", "Reject"),
    ("dark on light", "background:#ffffff;color:#222", "Sign in"),
    ("dark on light", "background:#e9ecef;color:#333", "Continue"),
    ("dark on light", "background:#fff3cd;color:#5c4400", "Show more results"),
    ("dark on light", "background:#f5f5f5;color:#555", "Privacy policy"),
    ("icon beside text", "background:#fff;color:#222", "\u2605 Save listing"),
    ("icon beside text", "background:#fff;color:#222", "\u25b2 Boats for sale near you"),
    ("icon beside text", "background:#222;color:#eee", "\u2709 Contact seller"),
]
SIZES = (11, 12, 13, 14)


def page(size: int) -> str:
    items = "".join(
        f'<div style="position:absolute;left:{40 + (i % 3) * 400}px;top:{40 + (i // 3) * 170}px;'
        f'padding:4px 10px;border-radius:4px;font:{size}px Arial,sans-serif;{css}">{text}</div>'
        for i, (_, css, text) in enumerate(PHRASES)
    )
    return f"<!doctype html><html><body style='margin:0;background:#fafafa'>{items}</body></html>"


@dataclass(frozen=True)
class Config:
    name: str
    scale: int
    invert: bool  # also read the inverted image (light text on dark becomes dark on light)
    psm: str
    extra: tuple[str, ...] = ()



CONFIGS = {
    "current": Config("current", 2, False, "3", ()),
    "current+adaptive": Config("current+adaptive", 2, False, "3", ("-c", "thresholding_method=1")),
    "scale3": Config("scale3", 3, False, "3"),
    "invert": Config("invert", 2, True, "3"),
    "scale3+invert": Config("scale3+invert", 3, True, "3"),
    "psm11": Config("psm11", 2, False, "11"),
    "psm11+invert": Config("psm11+invert", 2, True, "11"),
}


async def tesseract(image: Image.Image, config: Config) -> list[str]:
    grey = ImageOps.grayscale(image)
    grey = grey.resize((grey.width * config.scale, grey.height * config.scale), Image.Resampling.LANCZOS)
    images = [grey, ImageOps.invert(grey)] if config.invert else [grey]
    lines: list[str] = []
    for img in images:
        buffer = io.BytesIO()
        img.save(buffer, "PNG", compress_level=1)
        proc = await asyncio.create_subprocess_exec(
            "tesseract", "stdin", "stdout", "--psm", config.psm, *config.extra,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        out, _ = await proc.communicate(buffer.getvalue())
        lines += out.decode(errors="replace").splitlines()
    return lines


def rapid_on_dark(read: Callable[[Image.Image], list[str]], env: dict[str, str]) -> Callable[
        [Image.Image], object]:
    """The plane's own reading, and PP-OCR over the dark regions only (where tesseract is weakest)."""

    async def both(image: Image.Image) -> list[str]:
        lines = (await read_text(image, env)).text.splitlines()
        grey = ImageOps.grayscale(image)
        for box in dark_regions(grey):
            lines += read(image.crop(box))
        return lines

    return both


def rapid() -> Callable[[Image.Image], list[str]] | None:
    try:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found]
    except ImportError:
        return None
    engine = RapidOCR()

    def read(image: Image.Image) -> list[str]:
        import numpy

        found, _ = engine(numpy.asarray(image))
        return [str(item[1]) for item in found or []]

    return read


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read_ok(phrase: str, lines: list[str]) -> bool:
    """The phrase's words in one line, spacing aside (PP-OCR joins words, tesseract may split them)."""
    want = squash(re.sub(r"^[^\w]+", "", phrase))
    return any(want in squash(line) for line in lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default=",".join([*CONFIGS, "plane", "ppocr", "plane+ppocr-dark"]),
                        help="tesseract configurations, `plane` (planes/ocr.py as the computer plane reads), "
                        "`ppocr` (when rapidocr-onnxruntime is installed), `plane+ppocr-dark` (the plane, "
                        "then PP-OCR over the screen's dark regions alone)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the phrases each reader missed")
    args = parser.parse_args()
    shots: dict[int, Image.Image] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = await browser.new_page(viewport={"width": 1280, "height": 800})
        for size in SIZES:
            await tab.set_content(page(size))
            shots[size] = Image.open(io.BytesIO(await tab.screenshot())).convert("RGB")
        await browser.close()
    readers: dict[str, Callable[[Image.Image], object]] = {}
    for name in args.configs.split(","):
        if name in CONFIGS:
            config = CONFIGS[name]
            readers[name] = lambda img, c=config: tesseract(img, c)
    if "plane" in args.configs.split(","):
        env = session_env(tag="bench-ocr", display="", home=Path(tempfile.mkdtemp(prefix="bench-ocr-")))

        async def plane(img: Image.Image) -> list[str]:
            return (await read_text(img, env)).text.splitlines()

        readers["plane"] = plane
    pp = rapid()
    if pp is not None and "ppocr" in args.configs.split(","):
        readers["ppocr"] = pp
    if pp is not None and "plane+ppocr-dark" in args.configs.split(","):
        home = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
        readers["plane+ppocr-dark"] = rapid_on_dark(pp, session_env(tag="bench-ocr", display="", home=home))
    print(f"{'reader':20} {'read':>6} {'secs':>6}  " + "  ".join(f"{k[:16]:>16}" for k in _kinds()))
    for name, reader in readers.items():
        hits: dict[str, list[bool]] = {}
        seconds = []
        missed = []
        for size, shot in shots.items():
            began = time.perf_counter()
            result = reader(shot)
            lines = await result if asyncio.iscoroutine(result) else result
            seconds.append(time.perf_counter() - began)
            for kind, _, text in PHRASES:
                hits.setdefault(kind, []).append(ok := read_ok(text, list(lines)))  # type: ignore[arg-type]
                missed += [] if ok else [f"{text} ({size} px)"]
        every = [h for v in hits.values() for h in v]
        per = "  ".join(f"{sum(hits[k]) / len(hits[k]):16.2f}" for k in _kinds())
        print(f"{name:20} {sum(every) / len(every):6.2f} {statistics.median(seconds):6.2f}  {per}")
        if args.verbose and missed:
            print(f"  missed: {', '.join(missed)}")


def _kinds() -> list[str]:
    return list(dict.fromkeys(k for k, _, _ in PHRASES))


if __name__ == "__main__":
    asyncio.run(main())

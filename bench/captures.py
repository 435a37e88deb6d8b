"""How often DevTools refuses a new tab's first picture, and which second ask gets it.

Run: .venv/bin/python bench/captures.py [-n 200]

Each of n fresh contexts of one warm browser opens a page (as every mantis run on the DOM plane opens
its first page in a fresh context) and asks `Page.captureScreenshot` (the fast PNG the DOM plane asks
for) at two moments: right after the document commits, and right after its `load`. Two pages: a plain
one, and one whose `load` handler works for 300 ms (a page that builds itself at load, where the first
frame comes late). Each refusal ("Unable to capture screenshot") is asked again, the refusals taking
turns between the two retries: at once (what waiting for `load` amounts to once load has come) and
after one drawn frame (requestAnimationFrame, then a task; the DOM plane's `ONE_FRAME`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

from playwright.async_api import CDPSession, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from mantis.config import Settings
from mantis.planes.chromium import BASE_FLAGS
from mantis.planes.dom import ONE_FRAME

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for its test page server
from tests.pages_server import QuietHandler, serve

PAGES = {
    "/plain": "<!doctype html><title>Lamps</title><h1>Lamps</h1><p>Six lamps in stock.</p>",
    "/builds-at-load": "<!doctype html><title>Lamps</title><h1>Lamps</h1><script>onload = () => "
    "{ const t = Date.now(); while (Date.now() - t < 300) {} }</script>",
}
SHOT = ("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})


class Lamps(QuietHandler):
    def do_GET(self) -> None:
        self.reply(PAGES.get(self.path.split("?")[0], ""))


async def ask(devtools: CDPSession) -> bool:
    try:
        await devtools.send(*SHOT)
    except PlaywrightError:
        return False
    return True


async def measure(n: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    with serve(Lamps) as root:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=Settings.from_env().chromium, headless=True, args=list(BASE_FLAGS)
            )
            try:
                for i in range(n):
                    for path in PAGES:
                        for moment in ("commit", "load"):
                            context = await browser.new_context(viewport={"width": 1280, "height": 800})
                            page = await context.new_page()
                            devtools = await context.new_cdp_session(page)
                            await page.goto(f"{root}{path}?{i}", wait_until=moment)
                            key = f"{path} at {moment}"
                            counts[f"{key}: asked"] += 1
                            if not await ask(devtools):
                                counts[f"{key}: refused"] += 1
                                await retry(page, devtools, key, counts)
                            await context.close()
            finally:
                await browser.close()
    return counts


async def retry(page: Page, devtools: CDPSession, key: str, counts: Counter[str]) -> None:
    """The refusals of one key take turns: at once, then after a drawn frame."""
    after_frame = counts[f"{key}: refused"] % 2 == 0
    if after_frame:
        await page.evaluate(ONE_FRAME)
    how = "after a frame" if after_frame else "at once"
    counts[f"{key}: retried {how}"] += 1
    if not await ask(devtools):
        counts[f"{key}: retried {how}, refused again"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=200, help="fresh tabs a page and moment (default 200)")
    args = parser.parse_args()
    began = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    counts = asyncio.run(measure(args.n))
    print(f"bench/captures.py, {began}, {args.n} fresh tabs for each page and moment")
    print(f"{'page, moment':<28} {'refused':>10}   refused again: {'at once':>10} {'after a frame':>14}")
    for key in (f"{path} at {moment}" for path in PAGES for moment in ("commit", "load")):
        once, frame = (f"{key}: retried {how}" for how in ("at once", "after a frame"))
        print(
            f"{key:<28} {counts[f'{key}: refused']:>4} of {counts[f'{key}: asked']:<4}"
            f"{'':>17}{counts[f'{once}, refused again']:>3} of {counts[once]:<3}"
            f"{counts[f'{frame}, refused again']:>7} of {counts[frame]:<3}"
        )


if __name__ == "__main__":
    main()

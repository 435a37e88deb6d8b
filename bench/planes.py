"""What each plane adds to the tools it drives: every action's cost on both planes beside the raw tool's
floor (a bare Playwright call, xdotool alone, mss alone), measured in the same run against a page on
127.0.0.1, as medians of N repetitions and as ratios. Run: .venv/bin/python bench/planes.py [-n 10]"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import mss

from mantis.config import Settings
from mantis.planes.base import Action, SessionConfig
from mantis.planes.computer import ComputerPlane, ComputerSession
from mantis.planes.dom import DomPlane, DomSession

TEXT = "hello bench 42"
# Big targets at fixed places: the computer plane's page points need no OCR, and the xdotool floor's
# screen points (page points shifted down by an address bar of under 200 px) land on the same controls.
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Bench {n}</title><style>
body {{margin: 0; font: 32px sans-serif}} h1 {{position: absolute; left: 700px; top: 40px; margin: 0}}
#press {{position: absolute; left: 40px; top: 40px; width: 400px; height: 400px; font-size: 32px}}
#name {{position: absolute; left: 40px; top: 500px; width: 600px; height: 200px; font-size: 32px}}
</style></head><body><h1>Page {n}</h1>
<button id="press" onclick="this.textContent = 'Pressed ' + Date.now()">Press me</button>
<input id="name" aria-label="Name"></body></html>"""
BUTTON = (240, 240)
FIELD = (340, 600)
ALTERNATE = 40  # px lower on every other repetition (see _alternate)
FLOOR_SHIFT = 200  # page point -> screen point for the xdotool floor


@dataclass(frozen=True)
class Row:
    plane: str
    action: str
    plane_ms: float
    floor_ms: float
    floor: str


Step = Callable[[int], Awaitable[object]]


async def paired(n: int, plane_step: Step, floor_step: Step, pause_s: float = 0.0) -> tuple[float, float]:
    """Median milliseconds of each, interleaved so both see the same machine load; `pause_s` (untimed)
    after each lets a floor that does not wait for its effect (a page load) finish before the next."""
    plane_s: list[float] = []
    floor_s: list[float] = []
    await plane_step(n)  # warm-up, untimed: first calls pay for caches and lazy setup
    await floor_step(n)
    await asyncio.sleep(pause_s)
    for i in range(n):
        for step, times in ((plane_step, plane_s), (floor_step, floor_s)):
            began = time.perf_counter()
            await step(i)
            times.append(time.perf_counter() - began)
            await asyncio.sleep(pause_s)
    return statistics.median(plane_s) * 1000, statistics.median(floor_s) * 1000


async def bench_dom(url: str, n: int, scratch: Path) -> list[Row]:
    plane = DomPlane(Settings.from_env().chromium, scratch)
    session = await plane.open(SessionConfig(run_dir=scratch))
    assert isinstance(session, DomSession)
    page = session.page
    try:
        await session.navigate(url, 15)
        refs = {e.name: e.ref for e in (await session.observe()).elements}
        press, name = refs["Press me"], refs["Name"]
        shot = scratch / "dom.png"

        async def plane_shot(i: int) -> None:
            await session.screenshot(shot)

        async def floor_shot(i: int) -> None:
            await page.screenshot()

        async def plane_click(i: int) -> None:
            await session.act(Action("click", ref=press), 10)

        async def floor_click(i: int) -> None:
            await page.click("#press")

        async def plane_type(i: int) -> None:
            await session.act(Action("fill", ref=name, text=TEXT), 10)

        async def floor_type(i: int) -> None:
            await page.fill("#name", TEXT)

        async def plane_navigate(i: int) -> None:
            await session.navigate(f"{url}?n={2 * i}", 15)

        async def floor_navigate(i: int) -> None:
            await page.goto(f"{url}?n={2 * i + 1}", wait_until="load")

        rows = [
            Row("dom", "screenshot", *await paired(n, plane_shot, floor_shot), "page.screenshot()"),
            Row("dom", "click", *await paired(n, plane_click, floor_click), "page.click(css)"),
            Row("dom", "type", *await paired(n, plane_type, floor_type), "page.fill(css)"),
        ]
        navigate = Row("dom", "navigate", *await paired(n, plane_navigate, floor_navigate), "page.goto(load)")
        return [*rows, navigate]
    finally:
        await session.close()
        await plane.shutdown()


async def bench_computer(url: str, n: int, scratch: Path) -> list[Row]:
    plane = ComputerPlane(Settings.from_env().chromium)
    session = await plane.open(SessionConfig(run_dir=scratch))
    assert isinstance(session, ComputerSession)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": session.display}
    grabber = mss.MSS(display=session.display)
    region = {"left": 0, "top": 0, "width": 1280, "height": 800}  # as many pixels as the page

    async def xdotool(*args: str) -> None:
        proc = await asyncio.create_subprocess_exec("xdotool", *args, env=env)
        if await proc.wait():
            raise RuntimeError(f"xdotool {' '.join(args)} failed")

    try:
        await session.navigate(url, 15)
        shot = scratch / "computer.png"

        async def plane_shot(i: int) -> None:
            await session.screenshot(shot)

        async def floor_shot(i: int) -> None:
            grabber.grab(region)

        async def plane_click(i: int) -> None:
            await session.act(Action("click", point=_alternate(BUTTON, i)), 10)

        async def floor_click(i: int) -> None:
            await xdotool(
                "mousemove", str(BUTTON[0]), str(BUTTON[1] + FLOOR_SHIFT), "click", "--delay", "0", "1"
            )

        async def plane_type(i: int) -> None:
            await session.act(Action("fill", point=_alternate(FIELD, i), text=TEXT), 10)

        async def floor_type(i: int) -> None:
            await xdotool("type", "--delay", "0", TEXT)

        async def plane_navigate(i: int) -> None:
            await session.navigate(f"{url}?n={2 * i}", 15)

        async def floor_navigate(i: int) -> None:
            await xdotool("key", "ctrl+l", "type", "--delay", "0", f"{url}?n={2 * i + 1}\n")

        rows = [
            Row("computer", "screenshot", *await paired(n, plane_shot, floor_shot), "mss grab"),
            Row("computer", "click", *await paired(n, plane_click, floor_click), "xdotool click"),
            Row("computer", "type", *await paired(n, plane_type, floor_type), "xdotool type"),
        ]
        navigate = await paired(n, plane_navigate, floor_navigate, pause_s=1.0)
        return [*rows, Row("computer", "navigate", *navigate, "xdotool ctrl+L, type URL")]
    finally:
        grabber.close()
        await session.close()
        await plane.shutdown()


def _alternate(point: tuple[int, int], i: int) -> tuple[int, int]:
    """Two repetitions in a row never click the same spot, which the plane would space out by 0.6 s so
    that they do not become a double click; the benchmark measures the action, not that guard."""
    return point[0], point[1] + ALTERNATE * (i % 2)


@contextmanager
def served() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            n = parse_qs(urlsplit(self.path).query).get("n", ["0"])[0]
            body = PAGE.format(n=int(n) if n.isdigit() else 0).encode()
            with suppress(ConnectionError):  # a favicon the browser stopped wanting when it moved on
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def table(rows: list[Row], n: int) -> str:
    lines = [
        f"medians of {n} repetitions, ms; ratio = plane / floor",
        f"{'plane':<9} {'action':<11} {'plane ms':>9} {'floor ms':>9} {'ratio':>7}  floor",
    ]
    for r in rows:
        ratio = r.plane_ms / r.floor_ms if r.floor_ms else float("inf")
        lines.append(
            f"{r.plane:<9} {r.action:<11} {r.plane_ms:>9.1f} {r.floor_ms:>9.1f} {ratio:>7.1f}  {r.floor}"
        )
    return "\n".join(lines)


async def measure(url: str, n: int, planes: list[str]) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mantis-bench-") as scratch:
        for name in planes:  # one after the other: they would compete for the same cores
            bench = bench_dom if name == "dom" else bench_computer
            directory = Path(scratch) / name
            directory.mkdir()
            rows += await bench(url, n, directory)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="repetitions of each action (default 10)")
    parser.add_argument("--planes", default="dom,computer", help="comma-separated: dom, computer")
    args = parser.parse_args()
    planes = [p for p in args.planes.split(",") if p]
    if not set(planes) <= {"dom", "computer"} or args.n < 1:
        parser.error("--planes takes dom and/or computer, and -n at least 1")
    with served() as url:
        rows = asyncio.run(measure(url, args.n, planes))
    print(table(rows, args.n))


if __name__ == "__main__":
    main()

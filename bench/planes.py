"""What each plane adds to the tools it drives: every action's cost on both planes beside the raw tool's
floor, measured in the same run against a page on 127.0.0.1, interleaved, as medians with their spread
and as ratios. The DOM plane's floor is a bare Playwright call; the computer plane's is mss (XShm) grabs
and XTEST input sent from this process, and its settling (waiting for the page to show the effect) is
timed apart from the input, beside how long the page itself kept painting (X DAMAGE events).
Run: .venv/bin/python bench/planes.py [-n 10] [--planes dom,computer]
From another bench: `computer_rows(n)` / `dom_rows(n)` return the rows, `table(rows)` prints them."""

from __future__ import annotations

import argparse
import asyncio
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
from Xlib import XK, X
from Xlib.display import Display
from Xlib.ext import damage, xtest

from mantis.config import Settings
from mantis.fence.policy import Fence, FencePolicy
from mantis.planes.base import Action, SessionConfig
from mantis.planes.computer import ComputerPlane, ComputerSession
from mantis.planes.dom import DomPlane, DomSession
from mantis.planes.screen import Region

TEXT = "hello bench 42"
# Big targets at fixed places: the computer plane's page points need no OCR, and the floor's screen
# points (page points shifted down by the toolbar, read from the session) land on the same controls.
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
QUIET_S = 0.2  # untimed, between repetitions: the page shows nothing new for this long (X DAMAGE)
QUIET_LIMIT_S = 5.0
LOOPBACK = Fence(FencePolicy(allow_private=True))  # the bench page is on 127.0.0.1


@dataclass(frozen=True)
class Row:
    plane: str
    action: str
    plane_ms: list[float]
    floor_ms: list[float]
    floor: str


Step = Callable[[int], Awaitable[object]]


async def _nothing() -> None:
    pass


async def paired(
    n: int, plane_step: Step, floor_step: Step, between: Callable[[], Awaitable[None]] = _nothing
) -> tuple[list[float], list[float]]:
    """Milliseconds of each repetition, interleaved so both see the same machine load; `between`
    (untimed) after each lets what one step started (a page load, a file write) end before the next."""
    plane_ms: list[float] = []
    floor_ms: list[float] = []
    await plane_step(n)  # warm-up, untimed: first calls pay for caches and lazy setup
    await between()
    await floor_step(n)
    await between()
    for i in range(n):
        for step, times in ((plane_step, plane_ms), (floor_step, floor_ms)):
            began = time.perf_counter()
            await step(i)
            times.append((time.perf_counter() - began) * 1000)
            await between()
    return plane_ms, floor_ms


async def bench_dom(url: str, n: int, scratch: Path) -> list[Row]:
    plane = DomPlane(Settings.from_env().chromium, scratch)
    session = await plane.open(SessionConfig(run_dir=scratch, fence=LOOPBACK))
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


class XFloor:
    """The computer plane's floor, on X connections of its own in this process: XTEST input with one round
    trip, an mss (XShm) grab, and DAMAGE events to see when the page last painted."""

    def __init__(self, display: str) -> None:
        self.x = Display(display)
        self.grabber = mss.MSS(display=display)
        damage.query_version(self.x)
        damage.damage_create(self.x.screen().root, damage.DamageReportRawRectangles)
        self.x.sync()
        self._code = self.x.extension_event.DamageNotify
        self._shift = self.x.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
        self.paints: list[tuple[float, Region]] = []  # perf_counter() and rectangle of every paint
        asyncio.get_running_loop().add_reader(self.x.fileno(), self.pump)

    def pump(self) -> None:
        while self.x.pending_events():
            event = self.x.next_event()
            if event.type == self._code:
                area = event.area
                self.paints.append((time.perf_counter(), (area.x, area.y, area.width, area.height)))

    def click(self, x: int, y: int) -> None:
        xtest.fake_input(self.x, X.MotionNotify, x=x, y=y)
        xtest.fake_input(self.x, X.ButtonPress, 1)
        xtest.fake_input(self.x, X.ButtonRelease, 1)
        self.x.sync()

    def keys(self, text: str) -> list[tuple[int, bool]]:
        """Keycodes and shift for each character, looked up once, outside the timed part."""
        names = {" ": "space", ":": "colon", "/": "slash", ".": "period", "?": "question", "=": "equal"}
        found = []
        for char in text:
            code, index = next(iter(self.x.keysym_to_keycodes(XK.string_to_keysym(names.get(char, char)))))
            found.append((code, index == 1))
        return found

    def type(self, keys: list[tuple[int, bool]]) -> None:
        for code, shifted in keys:
            if shifted:
                xtest.fake_input(self.x, X.KeyPress, self._shift)
            xtest.fake_input(self.x, X.KeyPress, code)
            xtest.fake_input(self.x, X.KeyRelease, code)
            if shifted:
                xtest.fake_input(self.x, X.KeyRelease, self._shift)
        self.x.sync()

    async def navigate(self, url: str, toolbar: Region, page: Region) -> None:
        """What an in-process XTEST script must do at the least to navigate through the address bar: ctrl+L,
        the toolbar's paint that shows the focus (keys sent sooner go to the page), the URL and Return,
        then the page's first paint; no quiet spell after it."""
        ctrl, ell, enter = (
            self.x.keysym_to_keycode(XK.string_to_keysym(k)) for k in ("Control_L", "l", "Return")
        )
        for kind, code in ((X.KeyPress, ctrl), (X.KeyPress, ell), (X.KeyRelease, ell), (X.KeyRelease, ctrl)):
            xtest.fake_input(self.x, kind, code)
        await self.painted(toolbar, time.perf_counter())
        self.type([*self.keys(url), (enter, False)])
        await self.painted(page, time.perf_counter())

    async def painted(self, region: Region, since: float) -> None:
        self.x.sync()
        deadline = time.perf_counter() + QUIET_LIMIT_S
        while time.perf_counter() < deadline:
            self.pump()
            if any(t >= since and _overlaps(area, region) for t, area in reversed(self.paints[-50:])):
                return
            await asyncio.sleep(0.002)

    async def quiet(self) -> None:
        """Until nothing has painted for QUIET_S (untimed, between repetitions)."""
        deadline = time.perf_counter() + QUIET_LIMIT_S
        while time.perf_counter() < deadline:
            self.pump()
            last = self.paints[-1][0] if self.paints else 0.0
            if time.perf_counter() - last >= QUIET_S:
                return
            await asyncio.sleep(0.02)

    def last_paint_between(self, began: float, ended: float) -> float | None:
        return next((t for t, _ in reversed(self.paints) if began <= t <= ended), None)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.x.fileno())
        self.grabber.close()
        self.x.close()


async def bench_computer(url: str, n: int, scratch: Path) -> list[Row]:
    plane = ComputerPlane(Settings.from_env().chromium)
    session = await plane.open(SessionConfig(run_dir=scratch, fence=LOOPBACK))
    assert isinstance(session, ComputerSession)
    floor = XFloor(session.display)
    left, top, width, height = session._page
    region = {"left": left, "top": top, "width": width, "height": height}
    # The plane's settling, timed apart: (start, end) of every wait for the page, in perf_counter time.
    settles: list[tuple[float, float]] = []
    settle = session._settle

    async def timed_settle(*args: Any, **kwargs: Any) -> None:
        began = time.perf_counter()
        try:
            await settle(*args, **kwargs)
        finally:
            settles.append((began, time.perf_counter()))

    session._settle = timed_settle  # type: ignore[method-assign]

    async def between() -> None:
        await getattr(session, "written", _nothing)()  # main before this change wrote inline
        await floor.quiet()

    async def acting(action: Action) -> tuple[float, float, float]:
        """The action's input ms (all but its settling), settling ms, and ms from the start of settling
        to the page's last paint during it (0 when the page painted nothing)."""
        settles.clear()
        began = time.perf_counter()
        await session.act(action, 10)
        total = time.perf_counter() - began
        waited = sum(end - start for start, end in settles)
        last = floor.last_paint_between(settles[0][0], settles[-1][1]) if settles else None
        page = (last - settles[0][0]) if last is not None else 0.0
        return (total - waited) * 1000, waited * 1000, page * 1000

    try:
        await session.navigate(url, 15)
        shot = scratch / "computer.png"
        click_parts: list[tuple[float, float, float]] = []
        type_parts: list[tuple[float, float, float]] = []
        typed = floor.keys(TEXT)
        await session.act(Action("click", point=FIELD), 10)  # "type" types into the focused field

        async def plane_shot(i: int) -> None:
            await session.screenshot(shot)

        async def floor_shot(i: int) -> None:
            floor.grabber.grab(region)

        async def plane_click(i: int) -> None:
            parts = await acting(Action("click", point=_alternate(BUTTON, i)))
            if i < n:  # not the warm-up
                click_parts.append(parts)

        async def floor_click(i: int) -> None:
            x, y = _alternate(BUTTON, i + 1)  # never where the plane clicked last
            floor.click(left + x, top + y)

        async def plane_type(i: int) -> None:
            parts = await acting(Action("type", text=TEXT))
            if i < n:
                type_parts.append(parts)

        async def floor_type(i: int) -> None:
            floor.type(typed)

        async def plane_navigate(i: int) -> None:
            await session.navigate(f"{url}?n={2 * i}", 15)

        async def floor_navigate(i: int) -> None:
            toolbar = (0, 0, width, top)
            await floor.navigate(f"{url}?n={2 * i + 1}", toolbar, session._page)

        shots = await paired(n, plane_shot, floor_shot, between)
        clicks = await paired(n, plane_click, floor_click, between)
        await session.act(Action("click", point=FIELD), 10)
        types = await paired(n, plane_type, floor_type, between)
        navigations = await paired(n, plane_navigate, floor_navigate, between)
        painted = "the page's own paints"
        return [
            Row("computer", "screenshot", *shots, "mss XShm grab"),
            Row("computer", "click", _column(click_parts, 0), clicks[1], "XTEST click, in-process"),
            Row("computer", "click:settle", _column(click_parts, 1), _column(click_parts, 2), painted),
            Row("computer", "type", _column(type_parts, 0), types[1], "XTEST keys, in-process"),
            Row("computer", "type:settle", _column(type_parts, 1), _column(type_parts, 2), painted),
            Row("computer", "navigate", *navigations, "XTEST ctrl+L, URL, Return, first paint"),
        ]
    finally:
        floor.close()
        await session.close()
        await plane.shutdown()


def _overlaps(a: Region, b: Region) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _column(parts: list[tuple[float, float, float]], k: int) -> list[float]:
    return [part[k] for part in parts]


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


def _spread(values: list[float]) -> str:
    """Median and the middle half (25th to 75th percentile)."""
    if len(values) < 2:
        return f"{statistics.median(values):8.1f} {'':>15}"
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"{statistics.median(values):8.1f} [{q1:6.1f},{q3:6.1f}]"


def table(rows: list[Row]) -> str:
    lines = [
        "ms: median [25th, 75th percentile]; ratio = plane median / floor median; extra = the difference",
        f"{'plane':<9} {'action':<13} {'plane ms':>24} {'floor ms':>24} {'ratio':>7} {'extra':>7}  floor",
    ]
    for r in rows:
        plane, floor = statistics.median(r.plane_ms), statistics.median(r.floor_ms)
        ratio = f"{plane / floor:7.1f}" if floor else f"{'-':>7}"
        lines.append(
            f"{r.plane:<9} {r.action:<13} {_spread(r.plane_ms):>24} {_spread(r.floor_ms):>24} {ratio} "
            f"{plane - floor:7.1f}  {r.floor}"
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


def rows(n: int, planes: list[str]) -> list[Row]:
    """Serves the page and runs the planes' benches in an event loop of their own."""
    with served() as url:
        return asyncio.run(measure(url, n, planes))


def computer_rows(n: int = 10) -> list[Row]:
    """The computer plane's figures (what bench/speed.py prints beside the others)."""
    return rows(n, ["computer"])


def dom_rows(n: int = 10) -> list[Row]:
    return rows(n, ["dom"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="repetitions of each action (default 10)")
    parser.add_argument("--planes", default="dom,computer", help="comma-separated: dom, computer")
    args = parser.parse_args()
    planes = [p for p in args.planes.split(",") if p]
    if not set(planes) <= {"dom", "computer"} or args.n < 1:
        parser.error("--planes takes dom and/or computer, and -n at least 1")
    print(f"{args.n} repetitions of each, interleaved with the floor")
    print(table(rows(args.n, planes)))


if __name__ == "__main__":
    main()

"""A session's screen: grabs through mss's XShm backend, and the X server's DAMAGE events, which say when
and where anything was drawn. Waiting for a page to change, or to stop changing, so reacts to the paints
themselves instead of grabbing and comparing the screen on a polling period.

Everything runs on the event loop's thread: an XShm grab of a 1280x800 page takes about 0.3 ms (the
server copies into memory we share), less than handing it to a worker thread costs; only turning pixels
into an image (a few ms) goes to a thread. Each X connection is so only ever used from one thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

import mss
from PIL import Image
from Xlib import error
from Xlib.display import Display
from Xlib.ext import damage

from mantis.planes.base import PlaneError

Region = tuple[int, int, int, int]  # left, top, width, height in screen pixels
Pixels = bytearray  # raw BGRX rows, a copy of its own (mss copies out of the shared memory)

PAINTS_KEPT = 4096  # recent damage rectangles; a busy page paints a few per frame, so seconds' worth
# How much longer than its first reaction to an action a page may take between two paints of that
# reaction: under load everything slows alike. At load average 21 the link click of
# tests/test_computer_plane.py was taken as settled before its navigation began with a fixed 120 ms
# spell; with this (and the navigation counted from the page's request) it passes.
REACTION_FACTOR = 2.0
BUSY_POLL_S = 0.02  # how often a wait re-asks `busy` while nothing paints (a page loading in silence)


def _overlaps(a: Region, b: Region) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class Screen:
    def __init__(self, display: str) -> None:
        self._mss = mss.MSS(display=display)
        try:
            self._x = Display(display)
            damage.query_version(self._x)  # the extension answers only clients that asked its version
            damage.damage_create(self._x.screen().root, damage.DamageReportRawRectangles)
            self._x.sync()
            # The library registers the event under a class of its own making: match by its code.
            self._damage_code: int = self._x.extension_event.DamageNotify
        except (error.DisplayError, error.XError, error.ConnectionClosedError, OSError) as exc:
            self._mss.close()
            raise PlaneError(f"cannot watch the X display {display} for paints: {exc}") from exc
        self._paints: deque[tuple[float, Region]] = deque(maxlen=PAINTS_KEPT)  # loop time, rectangle
        self._painted = asyncio.Event()  # replaced by a fresh one after every batch of paints
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._x.fileno(), self._pump)
        self._watching = True

    def _pump(self) -> None:
        """Reads the damage events the server sent; a lost connection ends watching (waits then run to
        their deadlines, as a screen that never settles would)."""
        now, seen = self._loop.time(), False
        try:
            while self._x.pending_events():
                event = self._x.next_event()
                if event.type == self._damage_code:
                    area = event.area
                    self._paints.append((now, (area.x, area.y, area.width, area.height)))
                    seen = True
        except (error.XError, error.ConnectionClosedError, OSError):
            self._stop_watching()
        if seen:
            self._painted.set()
            self._painted = asyncio.Event()

    def _stop_watching(self) -> None:
        if self._watching:
            self._watching = False
            self._loop.remove_reader(self._x.fileno())

    def grab(self, region: Region) -> Pixels:
        """Raw BGRX pixels: cheap to compare, for telling whether the screen changed. Not `.bgra`, which
        would copy the megabytes once more."""
        left, top, width, height = region
        return self._mss.grab({"left": left, "top": top, "width": width, "height": height}).raw

    async def image(self, region: Region) -> Image.Image:
        pixels = self.grab(region)
        return await asyncio.to_thread(Image.frombytes, "RGB", region[2:], pixels, "raw", "BGRX")

    def last_paint(self, region: Region) -> float | None:
        """Loop time of the latest paint that touched the region, if one is still remembered."""
        return next((when for when, area in reversed(self._paints) if _overlaps(area, region)), None)

    async def _next_paint(self, timeout_s: float) -> None:
        """Returns at the next paint anywhere on the screen, or after `timeout_s`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._painted.wait(), max(timeout_s, 0.0))

    async def changed(self, region: Region, since: Pixels, *, timeout_s: float) -> bool:
        """Waits until the region's pixels differ from `since`, looking again at each paint; False if
        they did not change before the deadline. A repaint of the same pixels does not count."""
        deadline = self._loop.time() + timeout_s
        while self.grab(region) == since:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                return False
            await self._next_paint(remaining)
        return True

    async def settle(
        self, region: Region, *, quiet_s: float, timeout_s: float, busy: Callable[[], bool] | None = None
    ) -> bool:
        """Waits until `busy()` is false and nothing has painted in the region for a quiet spell, counted
        from the call at the earliest (an action's own paints come after it); False if that did not
        happen before the deadline. The spell is `quiet_s`, or longer on a slow machine: REACTION_FACTOR
        times however long the first paint after the call took to come."""
        start = self._loop.time()
        deadline = start + timeout_s
        needed = quiet_s
        while True:
            self._pump()  # paints already on the socket count, whether or not the loop ran the reader
            now = self._loop.time()
            if needed == quiet_s and (first := self._first_paint(region, start)) is not None:
                needed = max(quiet_s, REACTION_FACTOR * (first - start))
            quiet_since = max(self.last_paint(region) or start, start)
            loading = busy is not None and busy()
            if not loading and now - quiet_since >= needed:
                return True
            if now >= deadline:
                return False
            wait = BUSY_POLL_S if loading else quiet_since + needed - now
            await self._next_paint(min(wait, deadline - now))

    def _first_paint(self, region: Region, since: float) -> float | None:
        return next((when for when, area in self._paints if when >= since and _overlaps(area, region)), None)

    async def close(self) -> None:
        self._stop_watching()
        with contextlib.suppress(error.XError, error.ConnectionClosedError, OSError):
            self._x.close()
        self._mss.close()

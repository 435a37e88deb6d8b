"""A session's screen through mss, on one worker thread of its own: grabs never block the event loop,
and the X connection that mss keeps is only ever used from the thread that opened it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import mss
from PIL import Image

Region = tuple[int, int, int, int]  # left, top, width, height in screen pixels

POLL_S = 0.05

T = TypeVar("T")


class Screen:
    def __init__(self, display: str) -> None:
        self._display = display
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"screen{display}")
        self._mss: mss.MSS | None = None

    async def _in_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def _grab(self, region: Region) -> bytes:
        if self._mss is None:
            self._mss = mss.MSS(display=self._display)
        left, top, width, height = region
        return self._mss.grab({"left": left, "top": top, "width": width, "height": height}).bgra

    async def frame(self, region: Region) -> bytes:
        """Raw BGRX pixels: cheap to compare, for telling whether the screen is still changing."""
        return await self._in_thread(lambda: self._grab(region))

    async def image(self, region: Region) -> Image.Image:
        def grab() -> Image.Image:
            return Image.frombytes("RGB", region[2:], self._grab(region), "raw", "BGRX")

        return await self._in_thread(grab)

    async def changed(self, region: Region, since: bytes, *, timeout_s: float) -> bool:
        """Waits until the region differs from `since`; False if it did not change before the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while await self.frame(region) == since:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(POLL_S / 5)
        return True

    async def settle(self, region: Region, *, quiet_s: float, timeout_s: float) -> bool:
        """Waits until the region has not changed for `quiet_s`; False if it still moved at the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        last, last_change = await self.frame(region), loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(POLL_S)
            current = await self.frame(region)
            if current != last:
                last, last_change = current, loop.time()
            elif loop.time() - last_change >= quiet_s:
                return True
        return False

    async def close(self) -> None:
        def close_mss() -> None:
            if self._mss is not None:
                self._mss.close()

        await self._in_thread(close_mss)
        self._pool.shutdown(wait=False)

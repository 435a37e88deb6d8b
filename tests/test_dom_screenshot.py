"""A DOM session's picture that DevTools refuses ("Unable to capture screenshot", as it answers for a new
tab whose document has not drawn its first frame, which can come after the page's load:
bench/captures.py). The plane asks again only once the page has drawn a frame: asked again at once,
3 of 9 such second asks after a load were refused too, and the step lost its screenshot."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest
from playwright.async_api import Error as PlaywrightError
from tests.pages_server import QuietHandler, serve

from mantis.fence.policy import Fence, FencePolicy
from mantis.planes.base import SessionConfig
from mantis.planes.chromium import CHROMIUM
from mantis.planes.dom import DomPlane

# The page counts the frames it draws.
PAGE = """<!doctype html><title>Shop</title><h1>Lamps</h1><p>Six lamps in stock.</p>
<script>window.drawn = 0; (function count() { window.drawn++; requestAnimationFrame(count) })()</script>"""
REFUSED = "Protocol error (Page.captureScreenshot): Unable to capture screenshot"


class Shop(QuietHandler):
    def do_GET(self) -> None:
        self.reply(PAGE)


async def test_a_refused_picture_is_asked_again_once_a_frame_is_drawn(tmp_path: Path) -> None:
    plane = DomPlane(CHROMIUM, tmp_path / "scratch")
    fence = Fence(FencePolicy(("127.0.0.1",), allow_private=True))
    try:
        with serve(Shop) as url:
            session = await plane.open(SessionConfig(tmp_path, fence=fence))
            try:
                await session.navigate(url, 30)
                devtools_capture, drawn_at_asks = session._capture, []

                async def refused_first() -> bytes:  # DevTools' own answer, the first time
                    drawn_at_asks.append(await session._page.evaluate("window.drawn"))
                    if len(drawn_at_asks) == 1:
                        raise PlaywrightError(REFUSED)
                    return await devtools_capture()

                session._capture = refused_first  # type: ignore[method-assign]
                picture = tmp_path / "step_000_navigate.png"
                await asyncio.wait_for(session.screenshot(picture), 30)
            finally:
                await session.close()
        assert len(drawn_at_asks) == 2
        assert drawn_at_asks[1] > drawn_at_asks[0]  # a frame was drawn between the two asks
        head = picture.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", head[16:24]) == (1280, 800)
    finally:
        await plane.shutdown()


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

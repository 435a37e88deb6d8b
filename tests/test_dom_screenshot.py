"""A DOM session's picture of a new tab whose document has committed but drawn no frame yet. DevTools
answers such a capture "Unable to capture screenshot" (42 of 60 asks right after the commit, about 1 in
70 right after a run's first load; bench/README.md, "A new tab's first picture"), and the page's load
may already have come: the plane waits for a drawn frame before it asks again."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from tests.pages_server import QuietHandler, serve

from mantis.fence.policy import Fence, FencePolicy
from mantis.planes.base import SessionConfig
from mantis.planes.chromium import CHROMIUM
from mantis.planes.dom import DomPlane

# Fresh tabs, each asked for its picture at its document's commit: with no retry, or one that does not
# wait for a frame, a few of them fail (the chance that five first asks all succeed is under 1 in 100).
TABS = 5


class Shop(QuietHandler):
    def do_GET(self) -> None:
        self.reply("<!doctype html><title>Shop</title><h1>Lamps</h1><p>Six lamps in stock.</p>")


async def test_a_new_tab_that_has_not_drawn_yet_is_still_pictured(tmp_path: Path) -> None:
    plane = DomPlane(CHROMIUM, tmp_path / "scratch")
    fence = Fence(FencePolicy(("127.0.0.1",), allow_private=True))
    try:
        with serve(Shop) as url:
            for tab in range(TABS):
                session = await plane.open(SessionConfig(tmp_path / f"run{tab}", fence=fence))
                try:
                    # the document committed, its first frame not drawn: what no public step leaves
                    # on purpose, and what a run's first load sometimes leaves by chance
                    await session._page.goto(url, wait_until="commit")
                    picture = tmp_path / f"step_{tab:03d}.png"
                    await session.screenshot(picture)
                finally:
                    await session.close()
                head = picture.read_bytes()[:24]
                assert head[:8] == b"\x89PNG\r\n\x1a\n"
                assert struct.unpack(">II", head[16:24]) == (1280, 800)
    finally:
        await plane.shutdown()


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")

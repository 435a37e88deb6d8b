"""The stillness watcher on a page that is slow to answer: one late read costs one wait and means a new
picture, and the watcher stays (no second one is installed in a document that already has one)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright

from mantis.planes import still
from mantis.planes.chromium import CHROMIUM
from mantis.planes.still import Stillness

BUSY_MS = 1500  # the page's script holds its main thread this long; the test's timeout is well under it
TIMEOUT_S = 0.3


@pytest_asyncio.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        opened = await browser.new_page()
        yield opened
        await browser.close()


async def test_a_busy_page_reads_as_changed_then_as_it_was(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Late, the read means a new picture; once the page answers again, the same watcher tells that
    nothing changed (a second watcher would have been a new document's, and every read after it too)."""
    monkeypatch.setattr(still, "STATE_TIMEOUT_S", TIMEOUT_S)
    await page.set_content("<p>quiet</p>")
    stillness = Stillness()
    before = await stillness.state(page)
    assert before is not None
    await page.evaluate(f"setTimeout(() => {{ const t = Date.now() + {BUSY_MS}; while (Date.now() < t); }})")
    await page.wait_for_timeout(50)  # the busy loop has begun
    assert await stillness.state(page) is None
    await page.evaluate("() => 0")  # answered once the loop is over
    assert await stillness.state(page) == before

"""The DOM-aware plane: Playwright driving Debian's headless Chromium, one browser, a context per run."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import shutil
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    Playwright,
    Request,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

from mantis.brains.offline.aria import parse_aria_snapshot
from mantis.fence.proxy import FenceProxy
from mantis.planes.base import (
    DOM_AWARE,
    Action,
    ActionKind,
    Box,
    NavigationBlocked,
    Observation,
    Placement,
    PlaneError,
    Reading,
    Recording,
    SessionConfig,
)
from mantis.planes.chromium import BASE_FLAGS
from mantis.planes.proxy import upstream
from mantis.planes.still import Stillness
from mantis.planes.video import ensure_playwright_ffmpeg

log = logging.getLogger("mantis.planes.dom")


# Marks what the browser does not render, so extraction never reads text a person cannot see, and returns
# the page's html as `page.content()` makes it (doctype, then the root's outerHTML) in the same round trip.
# Only marks that change are written: a page read twice unchanged sees no mutation of its own.
_MARKED_HTML = """() => {
  const hidden = new Set();
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    if (el.parentElement && hidden.has(el.parentElement)) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) hidden.add(el);
  }
  for (const el of document.querySelectorAll('[data-mantis-hidden]')) {
    if (!hidden.has(el)) el.removeAttribute('data-mantis-hidden');
  }
  for (const el of hidden) {
    if (el.getAttribute('data-mantis-hidden') !== '1') el.setAttribute('data-mantis-hidden', '1');
  }
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
  return doctype + (document.documentElement ? document.documentElement.outerHTML : '');
}"""

# The smallest element holding a record's first value, widened to the nearest ancestor holding them all.
_RECORD_BOXES = """(records) => records.map((values) => {
  const wanted = values.map((v) => v.toLowerCase());
  const holds = (el) => wanted.every((v) => (el.textContent || '').toLowerCase().includes(v));
  let best = null;
  for (const el of wanted.length && document.body ? document.body.querySelectorAll('*') : []) {
    const text = (el.textContent || '').toLowerCase();
    if (text.includes(wanted[0]) && (best === null || best.contains(el))) best = el;
  }
  while (best && !holds(best)) best = best.parentElement;
  if (!best || best === document.body) return null;
  const r = best.getBoundingClientRect();
  return r.width > 0 && r.height > 0 ? [r.x, r.y, r.width, r.height] : null;
})"""

# One frame drawn and one task run. After an action: what the page does in answer to an input (its
# handlers' timers of 0 ms, the render of their changes) is over, however fast or slow the machine.
# After a refused screenshot: the tab has a frame to give (bench/captures.py).
ONE_FRAME = "() => new Promise((done) => requestAnimationFrame(() => setTimeout(done)))"

SCROLL_PIXELS = 600
JPEG_QUALITY = 70
FRAME_TIMEOUT_MS = 5000
SETTLE_TIMEOUT_MS = 10_000
# A tab in the background draws no frames: the wait for one ends here (headless Chromium draws at 60 Hz,
# so a frame in the foreground comes within 17 ms, or a few times that on a loaded machine).
ONE_FRAME_TIMEOUT_S = 0.25


class DomPlane:
    name = "browser_use_plane"
    capabilities = frozenset({DOM_AWARE})

    def __init__(self, chromium: str, scratch_dir: Path) -> None:
        self._chromium = chromium
        self._scratch = scratch_dir
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def _driver(self) -> Playwright:
        """Playwright, started once; the caller holds the lock."""
        if self._playwright is None:
            ensure_playwright_ffmpeg(self._scratch / "playwright")
            self._playwright = await async_playwright().start()
        return self._playwright

    async def _shared_browser(self) -> Browser:
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                self._browser = await (await self._driver()).chromium.launch(
                    executable_path=self._chromium, headless=True, args=list(BASE_FLAGS)
                )
            return self._browser

    async def _context(self, config: SessionConfig, options: dict[str, Any]) -> BrowserContext:
        """A context of the shared browser, or with a profile a browser of its own on the profile's
        user-data-dir (Chromium keeps one profile to one browser)."""
        if config.profile_dir is None:
            return await (await self._shared_browser()).new_context(**options)
        async with self._lock:
            chromium = (await self._driver()).chromium
        return await chromium.launch_persistent_context(
            config.profile_dir,
            executable_path=self._chromium,
            headless=True,
            args=list(BASE_FLAGS),
            **options,
        )

    async def open(self, config: SessionConfig) -> DomSession:
        options: dict[str, Any] = {
            "viewport": {"width": config.viewport[0], "height": config.viewport[1]},
            "accept_downloads": False,
        }
        if config.locale:
            options["locale"] = config.locale
        if config.timezone:
            options["timezone_id"] = config.timezone
        proxy = await FenceProxy.start(config.fence, upstream(config.proxy) if config.proxy else None)
        options["proxy"] = {"server": proxy.url}  # Playwright sends loopback through it too
        if config.record_video:
            options["record_video_dir"] = str(config.run_dir / ".video")
            options["record_video_size"] = options["viewport"]
        try:
            context = await self._context(config, options)
            page = context.pages[0] if context.pages else await context.new_page()
            session = DomSession(context, page, config, proxy, time.monotonic())
        except BaseException:
            await proxy.close()
            raise
        return session

    async def shutdown(self) -> None:
        async with self._lock:
            if self._browser is not None:
                with contextlib.suppress(PlaywrightError):
                    await self._browser.close()
            if self._playwright is not None:
                await self._playwright.stop()
            self._browser = self._playwright = None


class DomSession:
    def __init__(
        self, context: BrowserContext, page: Page, config: SessionConfig, proxy: FenceProxy, opened: float
    ) -> None:
        self._recorded, self._opened = page, opened  # the screencast is the first tab's, from its opening
        self._context = context
        self._proxy = proxy
        self._fence = config.fence
        self._navigations: list[str] = []  # top-level loads since the last check, each redirect hop too
        self._pages = [page]
        self._page = page
        self._config = config
        self._devtools: dict[Page, CDPSession] = {}
        # The last step's screenshot while it is taken: whatever changes the page waits for it first.
        self._shooting: asyncio.Task[None] | None = None
        self._still = Stillness()  # whether the tab can look other than at its last screenshot
        self._loading: set[Request] = set()  # top-level loads under way, any tab, heard as they start
        self._load_ended = asyncio.Event()
        context.on("request", self._on_load_start)
        # Heard once a load is over: a frame's first load starts before its frame exists.
        context.on("requestfinished", self._on_request)
        context.on("requestfailed", self._on_request)

    def _on_load_start(self, request: Request) -> None:
        if request.is_navigation_request() and _top_level(request):
            self._loading.add(request)

    def _on_request(self, request: Request) -> None:
        if not request.is_navigation_request():
            return
        self._loading.discard(request)
        self._load_ended.set()
        if _top_level(request):
            self._navigations.append(request.url)

    async def _arrived(self, page: Page, timeout_s: float) -> None:
        """Until the tab's page loads under way (one a key press or a script started, which Playwright
        does not wait for as it does for a click's) have their answer and their `load` event; at most
        `timeout_s`, after which the step goes on as it would have without the wait."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while any(_tab_of(request) is page for request in self._loading):
            self._load_ended.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._load_ended.wait(), remaining)
        await page.wait_for_load_state(
            "load", timeout=max(deadline - asyncio.get_running_loop().time(), 0.1) * 1000
        )

    async def _check_fence(self) -> None:
        """Fails the step when a top-level load (any tab, any hop) was refused; the proxy already
        stopped it. A tab showing a page of another scheme (a blob: the page made, say) is blanked."""
        urls, self._navigations = self._navigations, []
        refusals = [r for url in urls if (r := self._fence.page_refusal(url)) is not None]
        for page in self._context.pages:
            if not page.url.startswith("http") and (refusal := self._fence.page_refusal(page.url)):
                refusals.append(refusal)
                with contextlib.suppress(PlaywrightError):
                    await page.goto("about:blank")
        if refusals:
            raise NavigationBlocked(f"blocked navigation: {refusals[0]}")

    @property
    def page(self) -> Page:
        return self._page

    async def peek_href(self, ref: str | None = None, css: str | None = None, index: int = 0) -> str | None:
        """An anchor's absolute href, read without clicking it."""
        target = self._page.locator(f"aria-ref={ref}") if ref else self._page.locator(css or "a").nth(index)
        try:
            href = await target.evaluate("a => a.closest('a') ? a.closest('a').href : null", timeout=5000)
        except PlaywrightError as exc:
            raise PlaneError(f"could not read the link: {_first_line(exc)}") from exc
        return str(href) if href else None

    async def click_css(self, css: str, index: int, timeout_s: float) -> str:
        await self._shot_taken()
        target = self._page.locator(css).nth(index)
        try:
            name = (await target.inner_text(timeout=timeout_s * 1000)).strip()
            await target.click(timeout=timeout_s * 1000)
            await self._page.wait_for_load_state("load", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            await self._check_fence()
            raise PlaneError(f"no element {index + 1} for {css!r}: {_first_line(exc)}") from exc
        await self._check_fence()
        return name

    async def open_tab(self, url: str, timeout_s: float) -> int:
        await self._shot_taken()
        page = await self._context.new_page()
        self._pages.append(page)
        self._page = page
        await self.navigate(url, timeout_s)
        return len(self._pages) - 1

    async def switch_tab(self, index: int) -> str:
        await self._shot_taken()
        self._pages = [p for p in self._pages if not p.is_closed()]
        try:
            self._page = self._pages[index]
        except IndexError as exc:
            raise PlaneError(f"there is no tab {index}; {len(self._pages)} are open") from exc
        await self._page.bring_to_front()
        return self._page.url

    async def place(self, ref: str) -> Placement | None:
        """Where an element of the last observation is on screen, read before acting on it."""
        target = self._page.locator(f"aria-ref={ref}")
        try:
            box, kind = await _all(
                target.bounding_box(timeout=FRAME_TIMEOUT_MS),
                target.get_attribute("type", timeout=FRAME_TIMEOUT_MS),
            )
        except PlaywrightError:
            return None
        if box is None:
            return None
        secret = (kind or "").lower() == "password"
        return Placement((box["x"], box["y"], box["width"], box["height"]), secret)

    async def record_boxes(self, records: list[list[str]]) -> list[Box | None]:
        """The box of each record on the page: the smallest element that shows all its values."""
        try:
            found = await self._page.evaluate(_RECORD_BOXES, records)
        except PlaywrightError:
            return [None] * len(records)
        return [tuple(box) if box else None for box in found]

    async def close_tab(self) -> str:
        if len(self._pages) == 1:
            raise PlaneError("the last tab cannot be closed")
        await self._shot_taken()
        closing = self._page
        self._pages.remove(closing)
        self._devtools.pop(closing, None)
        self._still.forget(closing)
        await closing.close()
        return await self.switch_tab(-1)

    async def tabs(self) -> tuple[list[str], int]:
        self._pages = [p for p in self._pages if not p.is_closed()]
        return [p.url for p in self._pages], self._pages.index(self._page) if self._page in self._pages else 0

    async def navigate(self, url: str, timeout_s: float) -> None:
        if (refusal := self._fence.page_refusal(url)) is not None:
            raise NavigationBlocked(f"blocked navigation: {refusal}")
        await self._shot_taken()
        try:
            await self._page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        except PlaywrightError as exc:
            await self._check_fence()
            raise PlaneError(f"could not load {url}: {_first_line(exc)}") from exc
        await self._check_fence()

    async def go_back(self, timeout_s: float) -> None:
        await self._shot_taken()
        await self._page.go_back(wait_until="load", timeout=timeout_s * 1000)
        await self._check_fence()

    async def observe(
        self, *, html: bool = False, screenshot: bool = False, read: Reading = "screen", within_s: float = 0.0
    ) -> Observation:
        """The page as it is now; a page still navigating (after Enter, say) is waited for once. A load
        the fence refused since the last look fails the step that looks. `read` and `within_s` ask
        nothing more here: the tree and html hold the whole page."""
        await self._check_fence()
        try:
            return await self._observe(html, screenshot)
        except PlaywrightError:
            await self._settle()
        try:
            return await self._observe(html, screenshot)
        except PlaywrightError as exc:
            raise PlaneError(f"could not read the page: {_first_line(exc)}") from exc

    async def _observe(self, html: bool, screenshot: bool) -> Observation:
        """The reads go to the browser at once, not one after another: none changes the page (the
        hidden-element marks are attributes no reader of the page's looks or its tree sees)."""
        page = self._page
        snapshot, title, content, image = await _all(
            page.aria_snapshot(mode="ai"),
            page.title(),
            self._html() if html else _none(),
            self._capture() if screenshot else _none(),
        )
        return Observation(
            url=page.url,
            title=title,
            elements=parse_aria_snapshot(snapshot),
            text=snapshot,
            html=content,
            screenshot=image,
        )

    async def _html(self) -> str:
        """The page's html with its hidden elements marked: one round trip where marking, then
        `content()`, made two. It runs in the page's own world, as the marks always did: a script of
        the page could change what it returns, as it can change its html anyway."""
        return str(await self._page.evaluate(_MARKED_HTML))

    async def _settle(self) -> None:
        with contextlib.suppress(PlaywrightError):
            await self._page.wait_for_load_state("load", timeout=SETTLE_TIMEOUT_MS)

    async def act(self, action: Action, timeout_s: float) -> None:
        await self._shot_taken()
        page = self._page
        target = page.locator(f"aria-ref={action.ref}") if action.ref else None
        timeout = timeout_s * 1000
        try:
            if action.kind == "scroll":
                if action.point is not None:
                    await page.mouse.move(*action.point)
                for _ in range(abs(action.amount) or 1):
                    await page.mouse.wheel(0, SCROLL_PIXELS if action.amount >= 0 else -SCROLL_PIXELS)
                    await page.wait_for_timeout(100)
            elif action.kind == "type":
                await page.keyboard.type(action.text)
            elif action.kind == "press":
                if target is not None:
                    await target.press(action.key, timeout=timeout)
                else:
                    await page.keyboard.press(action.key)
            elif target is None and action.point is not None:
                await self._at_point(action.kind, action.point, action.text)
            elif target is None:
                raise PlaneError(f"{action.kind} needs a target element or a point on this plane")
            elif action.kind == "click":
                await target.click(timeout=timeout)
            elif action.kind == "hover":
                await target.hover(timeout=timeout)
            elif action.kind == "fill":
                await target.fill(action.text, timeout=timeout)
            elif action.kind == "select":
                await _select(target, action.text, timeout)
            await page.wait_for_load_state("load", timeout=timeout)
            await self._one_frame(page)
            await self._arrived(page, timeout_s)
        except PlaywrightError as exc:
            await self._check_fence()
            raise PlaneError(f"{action.kind} failed: {_first_line(exc)}") from exc
        await self._check_fence()

    async def _one_frame(self, page: Page) -> None:
        """Until the page has drawn a frame and run a task (see ONE_FRAME); a page that navigates
        away meanwhile has answered too."""
        with contextlib.suppress(PlaywrightError, TimeoutError):
            await asyncio.wait_for(page.evaluate(ONE_FRAME), ONE_FRAME_TIMEOUT_S)

    async def _at_point(self, kind: ActionKind, point: tuple[int, int], text: str) -> None:
        """What an agent model aims at pixels: the mouse goes where the computer plane's would."""
        mouse, keyboard = self._page.mouse, self._page.keyboard
        if kind == "hover":
            await mouse.move(*point)
            return
        if kind == "select":
            raise PlaneError("select needs a target element on this plane")
        await mouse.click(*point)
        if kind == "fill":
            await keyboard.press("ControlOrMeta+a")
            await keyboard.press("Backspace")
            await keyboard.type(text)

    async def wait(self, seconds: float) -> None:
        await self._shot_taken()
        await self._page.wait_for_timeout(seconds * 1000)

    async def screenshot(self, path: Path) -> None:
        await self._shot_taken()
        await self._shoot(path)

    def screenshot_behind(self, path: Path) -> asyncio.Task[None]:
        """Starts taking the screenshot and returns at once: reading the page may go on meanwhile, and
        the next call that changes it (an action, a navigation, closing) waits for the screenshot first,
        so it shows the page as it was when asked for. The task fails with PlaneError if none was made."""
        previous = self._shooting

        async def shoot() -> None:
            if previous is not None:
                with contextlib.suppress(PlaneError):
                    await previous
            await self._shoot(path)

        self._shooting = asyncio.create_task(shoot(), name=f"screenshot {path.name}")
        return self._shooting

    async def _shot_taken(self) -> None:
        """Waits for the screenshot being taken, if any; its failure is its task's to report."""
        shooting, self._shooting = self._shooting, None
        if shooting is not None:
            with contextlib.suppress(PlaneError):
                await shooting

    async def _shoot(self, path: Path) -> None:
        """The tab's picture; when nothing on it can have changed since its last screenshot (a step that
        only read the page), that same picture, kept under this step's name instead of taken again."""
        page = self._page
        state = await self._still.state(page)  # read before the picture: a change after it is seen next
        if (same := self._still.unchanged(page, state)) is not None:
            await asyncio.to_thread(_keep, same, path)
            return
        try:
            image = await self._capture()
        except PlaywrightError:  # a new tab's document that has not drawn its first frame yet
            await self._settle()
            await self._one_frame(page)
            try:
                image = await self._capture()
            except PlaywrightError as exc:
                raise PlaneError(f"no screenshot: {_first_line(exc)}") from exc
        await asyncio.to_thread(path.write_bytes, image)
        self._still.taken(page, state, path)

    async def _capture(self) -> bytes:
        """The tab's viewport as a PNG, asked of DevTools directly: one call where Playwright's
        screenshot makes several (layout metrics, fonts, hiding the caret), and Chromium's fast PNG
        encoder (lossless as any PNG; a larger file, in half the time)."""
        page = self._page
        devtools = self._devtools.get(page)
        if devtools is None:
            devtools = self._devtools[page] = await self._context.new_cdp_session(page)
        shot = await devtools.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
        return base64.b64decode(shot["data"])

    async def frame(self) -> bytes:
        """The current tab as a JPEG, for the live viewer; the caret is left alone, as a person sees it."""
        return await self._page.screenshot(
            type="jpeg", quality=JPEG_QUALITY, caret="initial", timeout=FRAME_TIMEOUT_MS
        )

    async def current_url(self) -> str:
        return self._page.url

    async def close(self) -> list[Recording]:
        """The screencast (25 frames a second, the viewport's size) is left for the runner to encode."""
        await self._shot_taken()
        video = self._recorded.video
        with contextlib.suppress(PlaywrightError):
            await self._context.close()
        await self._proxy.close()
        if video is None:
            return []
        raw = Path(await video.path())
        final = self._config.run_dir / ".recording_source.webm"
        raw.replace(final)
        with contextlib.suppress(OSError):
            raw.parent.rmdir()
        return [Recording(final, self._opened)]


def _keep(picture: Path, path: Path) -> None:
    """The same picture under another step's name: a hard link where the file system has them."""
    path.unlink(missing_ok=True)
    try:
        os.link(picture, path)
    except OSError:
        shutil.copyfile(picture, path)


def _top_level(request: Request) -> bool:
    try:
        return request.frame.parent_frame is None
    except PlaywrightError:  # a popup whose first load failed has no frame
        return True


def _tab_of(request: Request) -> Page | None:
    try:
        return request.frame.page
    except PlaywrightError:
        return None


async def _all(*reads: Awaitable[Any]) -> list[Any]:
    """Every read at once; the first failure is raised once all have ended (none is left running)."""
    done = await asyncio.gather(*reads, return_exceptions=True)
    for result in done:
        if isinstance(result, BaseException):
            raise result
    return done


async def _none() -> None:
    return None


async def _select(target: Any, option: str, timeout: float) -> None:
    try:
        await target.select_option(label=option, timeout=timeout)
    except PlaywrightError:
        await target.select_option(value=option, timeout=timeout)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

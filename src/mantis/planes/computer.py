"""The computer plane, vision only and the default: Chromium in an Xvfb display of its own, seen through
screenshots and OCR, driven through the X mouse and keyboard. It never reads the DOM, so a page sees a
person at a browser, and the plane knows only what the pixels show (see docs/operator/computer-plane.md)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from PIL import Image

from mantis.fence.proxy import FenceProxy
from mantis.planes.base import (
    WHEEL_CLICKS_PER_SCROLL,
    Action,
    NavigationBlocked,
    Observation,
    PlaneError,
    Reading,
    Recording,
    SessionConfig,
)
from mantis.planes.chromium import CHROMIUM, MARKER_RGB, MARKER_URL, chromium_argv
from mantis.planes.devtools import DevTools
from mantis.planes.ledger import Ledger, Record
from mantis.planes.ocr import ScreenText, read_text
from mantis.planes.page_keys import check_page_key
from mantis.planes.pageread import read_page
from mantis.planes.proxy import upstream
from mantis.planes.recorder import Recorder
from mantis.planes.screen import Pixels, Region, Screen
from mantis.planes.subproc import session_env, stop, sweep
from mantis.planes.xinput import XInput
from mantis.planes.xserver import XServer

log = logging.getLogger(__name__)

CHROME_GUESS = 87  # tab strip + address bar, measured; corrected from the marker page at open
CHROME_ALLOWANCE = 160  # screen rows reserved above the page for them
XVFB_TIMEOUT_S = 10.0
PAINT_TIMEOUT_S = 20.0
OPEN_NAVIGATE_TIMEOUT_S = 10.0
# The page counts as settled once nothing has painted for this long and its tab is not loading.
# bench/planes.py (X DAMAGE events, load average about 25): the last paint of a click's or typing's effect
# came a median 22-28 ms after the input, the 75th percentile under 60 ms; this is twice that.
QUIET_S = 0.12
FOCUS_TIMEOUT_S = 1.0
PAGE_CHANGE_S = 5.0  # what a navigation waits for the page to change; a page that looks the same costs it
# What a navigation from the address bar or history waits for its document to commit. Under a load average
# of 20-50 on 2 cores (bench/extraction.py, 2026-12-03) the old page stayed on screen for up to a second
# after Enter while the closing suggestion list repainted it; a slow server's first byte can take longer.
# Past this (a download the session refuses commits nothing) the step goes on to settle as it is.
COMMIT_TIMEOUT_S = 15.0
PASTE_CHANGE_S = 2.0
SCROLL_CHANGE_S = 1.0  # what a scroll of the page reading waits to see it start; at the page's end, once
ACT_SETTLE_MAX_S = 10.0
POLL_S = 0.05
CLOSE_GRACE_S = 5.0
JPEG_QUALITY = 70
NEEDS_POINT = frozenset({"click", "fill", "select", "hover"})


class ComputerPlane:
    name = "computer_plane"
    capabilities: frozenset[str] = frozenset()

    def __init__(self, chromium: str = CHROMIUM, ledger: Ledger | None = None) -> None:
        self._chromium = chromium
        self._ledger = ledger
        self._sessions: set[ComputerSession] = set()

    async def open(self, config: SessionConfig) -> ComputerSession:
        session = await ComputerSession.start(self._chromium, config, self._sessions.discard, self._ledger)
        self._sessions.add(session)
        return session

    async def shutdown(self) -> None:
        await asyncio.gather(*(session.close() for session in list(self._sessions)))


class ComputerSession:
    """One Xvfb display, one Chromium window filling it, and the tools that look at and drive it.
    Points in actions and boxes in observations are page (CSS) pixels, as on the DOM plane."""

    def __init__(
        self, config: SessionConfig, on_close: Callable[[ComputerSession], None], ledger: Ledger | None = None
    ) -> None:
        self._config = config
        self._on_close = on_close
        self._tag = uuid.uuid4().hex
        self._scratch = config.run_dir / ".computer"
        self._fresh_profile = config.profile_dir is None
        self._profile = config.profile_dir or self._scratch / "profile"
        self._env: dict[str, str] = {}
        self._xserver: XServer | None = None
        self._browser: asyncio.subprocess.Process | None = None
        self._screen: Screen | None = None
        self._input: XInput | None = None
        self._recorder: Recorder | None = None
        self._proxy: FenceProxy | None = None
        self._devtools: DevTools | None = None
        self._window: Region = (0, 0, 0, 0)  # the whole browser window: tabs, address bar, page
        self._page: Region = (0, 0, 0, 0)  # the page alone
        self._address_bar: Region = (0, 0, 0, 0)  # the toolbar row under the tab strip
        self._windows: frozenset[str] = frozenset()  # the browser's own; any other is a popup
        self._writes: set[asyncio.Task[None]] = set()  # screenshots still being encoded and written
        self._closed = False
        self._recordings: list[Recording] = []
        self._record: Record | None = None
        if ledger is not None:  # before anything starts, so a crash at any point leaves a note
            scratch = [str(self._scratch / "home"), *([str(self._profile)] if self._fresh_profile else [])]
            self._record = ledger.open(self._tag, [str(self._scratch), str(self._profile)], scratch)

    @property
    def display(self) -> str:
        return self._xserver.display if self._xserver else ""

    @classmethod
    async def start(
        cls,
        chromium: str,
        config: SessionConfig,
        on_close: Callable[[ComputerSession], None],
        ledger: Ledger | None = None,
    ) -> ComputerSession:
        session = cls(config, on_close, ledger)
        try:
            await session._launch(chromium)
        except BaseException:
            await session.close()
            raise
        return session

    async def _launch(self, chromium: str) -> None:
        width, height = self._config.viewport
        home = self._scratch / "home"
        for directory in (home / ".config", home / ".cache", home / ".local" / "share", self._profile):
            directory.mkdir(parents=True, exist_ok=True)
        (home / ".runtime").mkdir(mode=0o700, exist_ok=True)
        # A blinking caret would keep the screen from ever looking settled for long.
        (home / ".config" / "gtk-3.0").mkdir(exist_ok=True)
        (home / ".config" / "gtk-3.0" / "settings.ini").write_text("[Settings]\ngtk-cursor-blink=false\n")
        env = session_env(
            tag=self._tag, display="", home=home, locale=self._config.locale, timezone=self._config.timezone
        )
        screen_size = (width + width % 2, height + CHROME_ALLOWANCE)
        self._xserver = await XServer.start(*screen_size, env, self._scratch / "xvfb.log", XVFB_TIMEOUT_S)
        if self._record is not None:
            self._record.on_display(self._xserver.number)
            self._record.started(self._xserver.pid)
        self._env = {**env, "DISPLAY": self.display}
        self._screen = Screen(self.display)
        self._input = XInput.connect(self._env)
        up = upstream(self._config.proxy) if self._config.proxy else None
        self._proxy = await FenceProxy.start(self._config.fence, up)
        window = (width, height + CHROME_GUESS)
        argv = chromium_argv(chromium, self._config, self._profile, window, self._proxy.url)
        # The DevTools pipe is the browser's fds 3 (commands in) and 4 (replies out).
        commands_in, commands = os.pipe()
        replies, replies_out = os.pipe()
        remap = f'exec "$0" "$@" 3<&{commands_in} 4>&{replies_out} {commands_in}<&- {replies_out}>&-'
        try:
            with (self._scratch / "chromium.log").open("ab") as sink:
                self._browser = await asyncio.create_subprocess_exec(
                    "/bin/bash",  # dash takes no fd above 9
                    "-c",
                    remap,
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=sink,
                    stderr=sink,
                    env=self._env,
                    start_new_session=True,
                    pass_fds=(commands_in, replies_out),
                )
        finally:
            os.close(commands_in)
            os.close(replies_out)
        if self._record is not None:
            self._record.started(self._browser.pid)
        self._devtools = await DevTools.connect(replies, commands)
        full: Region = (0, 0, *screen_size)
        painted = await self._marker(full, lambda box: True)
        await self._devtools.start()
        await self._input.resize_browser(width, painted[1] + height)
        self._page = await self._marker(full, lambda box: box[0] == 0 and box[2:] == (width, height))
        self._window = (0, 0, width, self._page[1] + height)
        # Only the lower half of the chrome above the page: the tab strip over it repaints on its own
        # (a title, a favicon arriving after a load), which must not pass for the address bar's focus.
        self._address_bar = (0, self._page[1] // 2, width, self._page[1] - self._page[1] // 2)
        # Keys sent while Chromium is still busy starting up are lost.
        await self._settle(asyncio.get_running_loop().time() + OPEN_NAVIGATE_TIMEOUT_S)
        await self.navigate("about:blank", OPEN_NAVIGATE_TIMEOUT_S)
        self._windows = await self._input.windows()
        if self._config.record_video:
            size = (screen_size[0], self._window[3] + self._window[3] % 2)
            self._recorder = await Recorder.start(
                self.display,
                size,
                self._config.video_fps,
                self._config.run_dir / ".recording_source.mp4",
                self._env,
                self._scratch / "ffmpeg.log",
            )
            if self._record is not None:
                self._record.started(self._recorder.pid)

    async def _marker(self, region: Region, accept: Callable[[Region], bool]) -> Region:
        """Waits until the marker page shows as a box that `accept`s; fails if Chromium dies or never
        paints."""
        screen, browser = self._tools()[0], self._browser
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PAINT_TIMEOUT_S
        while loop.time() < deadline:
            if browser is None or browser.returncode is not None:
                raise PlaneError(f"Chromium exited at start: {self._log_tail('chromium.log')}")
            box = _marker_box(await screen.image(region))
            if box is not None and accept(box):
                return box
            await asyncio.sleep(POLL_S)
        raise PlaneError(f"Chromium did not paint its first page within {PAINT_TIMEOUT_S:g} s")

    def _log_tail(self, name: str) -> str:
        path = self._scratch / name
        return path.read_text(errors="replace")[-500:] if path.exists() else ""

    def _tools(self) -> tuple[Screen, XInput]:
        if self._screen is None or self._input is None or self._closed:
            raise PlaneError("the computer-plane session is not open")
        return self._screen, self._input

    async def navigate(self, url: str, timeout_s: float) -> None:
        """Through the address bar, as a person would. Chromium moves the focus there only a moment after
        ctrl+L (keys typed sooner go to the page), so typing waits until the address bar shows it. Typing
        keeps the keys in order (a paste lands asynchronously and can lose the race with Enter). The
        address bar completes typed text inline from history, asynchronously: a space typed after the URL
        replaces whatever completion is showing, and deleting it again stops later ones, so Enter opens
        exactly this URL. Each of those keys waits until the address bar has painted what came before."""
        screen, keys = self._tools()
        if (refusal := self._config.fence.page_refusal(url)) is not None:
            raise NavigationBlocked(f"blocked navigation: {refusal}")
        deadline = asyncio.get_running_loop().time() + timeout_s
        page = screen.grab(self._page)
        bar = screen.grab(self._address_bar)
        await keys.key("ctrl+l")
        if not await screen.changed(self._address_bar, bar, timeout_s=min(FOCUS_TIMEOUT_S, timeout_s)):
            log.info("the address bar of %s showed no focus; typing the URL anyway", self.display)
        await keys.type_text(ascii_url(url) + " ")
        await self._bar_settled(deadline)
        await keys.key("BackSpace")
        await self._bar_settled(deadline)
        commits = self._commits()
        await keys.key("Enter")
        await self._committed(commits, deadline)
        await self._settle(deadline, page, PAGE_CHANGE_S)
        await self._check_fence()

    async def _bar_settled(self, deadline: float) -> None:
        """Until the address bar has shown what was typed and its completions (which arrive after the
        keys): sent in one burst, the space, BackSpace and Enter would all be read before a completion
        lands, and Enter would open the completed URL."""
        remaining = max(deadline - asyncio.get_running_loop().time(), 0.0)
        await self._tools()[0].settle(self._address_bar, quiet_s=QUIET_S, timeout_s=remaining)

    async def go_back(self, timeout_s: float) -> None:
        screen, keys = self._tools()
        deadline = asyncio.get_running_loop().time() + timeout_s
        page = screen.grab(self._page)
        commits = self._commits()
        await keys.key("alt+Left")
        await self._committed(commits, deadline)
        await self._settle(deadline, page, PAGE_CHANGE_S)
        await self._check_fence()

    def _commits(self) -> int:
        return self._devtools.commits() if self._devtools is not None else 0

    async def _committed(self, before: int, deadline: float) -> None:
        """Until the tab on screen commits a new document (the pixels alone cannot tell the old page,
        repainted as the address bar's suggestions close, from the new one), at most COMMIT_TIMEOUT_S."""
        loop = asyncio.get_running_loop()
        until = min(deadline, loop.time() + COMMIT_TIMEOUT_S)
        while self._commits() <= before and loop.time() < until:
            await asyncio.sleep(POLL_S)
        if self._commits() <= before:
            log.info("no page committed on %s after the navigation; settling on what shows", self.display)

    async def _check_fence(self) -> None:
        """Fails the step when a tab committed a page the fence refuses (the proxy already stopped its
        load, so the tab shows the fence's refusal), and blanks a tab left on a page of another scheme."""
        devtools = self._devtools
        if devtools is None:
            raise PlaneError("the computer-plane session is not open")
        loads, devtools.loads = devtools.loads, []
        refusals = [r for url in loads if url != MARKER_URL and (r := self._config.fence.page_refusal(url))]
        for tab in list(devtools.tabs.values()):
            if tab.url.startswith("http") or tab.url == MARKER_URL:
                continue
            if (refusal := self._config.fence.page_refusal(tab.url)) is not None:
                refusals.append(refusal)
                await devtools.blank(tab)
        if refusals:
            raise NavigationBlocked(f"blocked navigation: {refusals[0]}")

    async def _settle(self, deadline: float, page: Pixels | None = None, change_s: float = 0.0) -> None:
        """First, given the page as it was, wait up to `change_s` for it to change: under load Chromium
        keeps the old page on screen for a while, and it can look quiet then. Then wait until the whole
        window (the tab's spinner included) has not painted for QUIET_S and the tab on screen is not
        loading (its frames' load events, from the DevTools pipe). Both wait on what the browser does: X
        DAMAGE events for paints, so the wait ends QUIET_S after the page's last paint. A page that
        never stops moving (animation, video) is used as it is once the deadline passes."""
        screen = self._tools()[0]
        loop = asyncio.get_running_loop()
        if page is not None:
            await screen.changed(self._page, page, timeout_s=max(min(change_s, deadline - loop.time()), 0.0))
        remaining = max(deadline - loop.time(), 0.0)
        busy = self._devtools.loading if self._devtools is not None else None
        if not await screen.settle(self._window, quiet_s=QUIET_S, timeout_s=remaining, busy=busy):
            log.info("screen of %s still changing at the deadline", self.display)

    async def observe(
        self, *, html: bool = False, screenshot: bool = False, read: Reading = "screen", within_s: float = 0.0
    ) -> Observation:
        """The page's pixels and the text OCR reads on them (none, the screen's, or the whole page's,
        scrolling and back: see planes/pageread.py); `html` is never available on this plane. A load
        the fence refused since the last look fails the step that looks."""
        await self._check_fence()
        screen = self._tools()[0]
        if read == "page":
            look = lambda: screen.image(self._page)  # noqa: E731 - the screen as it is, each time
            found, image = await read_page(look, self._scroll, self._env, within_s)
        else:
            image = await screen.image(self._page)
            found = await read_text(image, self._env) if read == "screen" else ScreenText([], "")
        png = await asyncio.to_thread(_encode, image, "PNG") if screenshot else None
        url = await self.current_url()
        return Observation(url=url, elements=found.elements, text=found.text, screenshot=png)

    async def _scroll(self, steps: int) -> None:
        """Scrolls the page at its centre and waits for it to move (or not, at its end) and settle."""
        screen, keys = self._tools()
        deadline = asyncio.get_running_loop().time() + ACT_SETTLE_MAX_S
        page = screen.grab(self._page)
        await keys.scroll(*self._to_screen(None), steps * WHEEL_CLICKS_PER_SCROLL)
        await self._settle(deadline, page, SCROLL_CHANGE_S)

    async def act(self, action: Action, timeout_s: float) -> None:
        """Press and scroll may come without a point (the focused element, the page's centre); the rest
        must say where on the page to act."""
        keys = self._tools()[1]
        deadline = asyncio.get_running_loop().time() + min(timeout_s, ACT_SETTLE_MAX_S)
        if action.kind in NEEDS_POINT and action.point is None:
            raise PlaneError(f"{action.kind} on the computer plane needs a point on the screen")
        x, y = self._to_screen(action.point)
        page: Pixels | None = None
        if action.kind == "click":
            await keys.click(x, y)
        elif action.kind == "hover":
            await keys.move(x, y)
        elif action.kind == "fill":
            await keys.click(x, y)
            await keys.key("ctrl+a")
            await keys.key("BackSpace")
            if action.text:
                page = self._tools()[0].grab(self._page)
                await keys.type_text(action.text)  # a paste lands later: settle waits to see it
        elif action.kind == "select":
            await keys.click(x, y)  # on the list: opens it; on its label: focuses it
            await keys.type_text(action.text)  # picks the option either way
            await keys.key("Enter")  # confirms in the open list, but opens a focused one...
            await self._settle(deadline)
            if await keys.windows() - self._windows:
                await keys.key("Enter")  # ... which then confirms the option it shows
        elif action.kind == "press":
            if not action.key:
                raise PlaneError("press needs a key")
            check_page_key(action.key)
            if action.point is not None:
                await keys.click(x, y)
            await keys.key(action.key)
        elif action.kind == "scroll":
            await keys.scroll(x, y, (action.amount or 1) * WHEEL_CLICKS_PER_SCROLL)
        elif action.kind == "type":
            await keys.type_text(action.text)
        await self._settle(deadline, page, PASTE_CHANGE_S)
        await self._check_fence()

    def _to_screen(self, point: tuple[int, int] | None) -> tuple[int, int]:
        """Page pixels to screen pixels; no point means the page's centre."""
        left, top, width, height = self._page
        x, y = point if point is not None else (width // 2, height // 2)
        if not (0 <= x < width and 0 <= y < height):
            raise PlaneError(f"point {x},{y} is outside the {width}x{height} page")
        return left + x, top + y

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    async def screenshot(self, path: Path) -> None:
        """Takes the page's pixels now; turning them into a PNG file (tens of ms) goes on in a worker
        thread, off the step's path. The file appears whole (written beside it, then renamed), and
        written() (and so close()) returns only once every screenshot taken is on disk."""
        pixels, size = self._tools()[0].grab(self._page), self._page[2:]
        write = asyncio.create_task(asyncio.to_thread(_write_png, pixels, size, path))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        write.add_done_callback(_log_failure)

    async def written(self) -> None:
        """Waits until every screenshot taken so far is on disk (or failed, which is logged)."""
        await asyncio.gather(*self._writes, return_exceptions=True)

    async def frame(self) -> bytes:
        """The browser window as a JPEG, address bar included as in recordings, for the live viewer."""
        image = await self._tools()[0].image(self._window)
        return await asyncio.to_thread(_encode, image, "JPEG", quality=JPEG_QUALITY)

    async def current_url(self) -> str:
        """The real URL of the tab on screen, from the DevTools pipe (the plane's infrastructure; the
        brain still sees pixels only)."""
        tab = self._devtools.current() if self._devtools is not None else None
        return tab.url if tab is not None else "about:blank"

    async def close(self) -> list[Recording]:
        """Ends everything the session started and returns the recording, if any; safe to call twice.
        SIGTERM to Chromium's main process ends its helpers and crash handlers; the sweep then ends
        whatever of the session survived (xclip, orphans), before and after X goes."""
        if self._closed:
            return list(self._recordings)
        self._closed = True
        self._on_close(self)
        await self.written()
        if self._recorder is not None:
            path = await self._recorder.stop()
            origin = self._page[0], self._page[1]  # the grab starts at the screen's corner
            self._recordings = [Recording(path, self._recorder.started, origin)] if path else []
        if self._browser is not None and not self._fresh_profile:
            await self._quit()
        if self._devtools is not None:
            await self._devtools.close()
        if self._browser is not None:
            await stop(self._browser, CLOSE_GRACE_S)
        if self._proxy is not None:
            await self._proxy.close()
        if self._screen is not None:
            await self._screen.close()
        if self._input is not None:
            await self._input.close()
        paths = (str(self._scratch), str(self._profile))
        await sweep(self._tag, paths, CLOSE_GRACE_S)
        if self._xserver is not None:
            await self._xserver.stop(CLOSE_GRACE_S)
        await sweep(self._tag, paths, CLOSE_GRACE_S)
        await asyncio.to_thread(self._remove_scratch)
        if self._record is not None:
            self._record.close()
        return list(self._recordings)

    async def _quit(self) -> None:
        """Asks Chromium to close (DevTools' Browser.close): only a clean exit writes the cookies and
        storage a kept profile is for, SIGTERM does not. SIGTERM follows if it does not exit."""
        browser, devtools = self._browser, self._devtools
        if browser is None or devtools is None or browser.returncode is not None:
            return
        asking = asyncio.create_task(devtools.call("Browser.close"))  # the reply may never come
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(browser.wait(), CLOSE_GRACE_S)
        asking.cancel()
        with contextlib.suppress(asyncio.CancelledError, PlaneError, TimeoutError, OSError):
            await asking

    def _remove_scratch(self) -> None:
        """The home directory and a fresh profile are per session; a given profile_dir is kept."""
        shutil.rmtree(self._scratch / "home", ignore_errors=True)
        if self._fresh_profile:
            shutil.rmtree(self._profile, ignore_errors=True)


def _marker_box(image: Image.Image) -> Region | None:
    """The marker colour's box, found along the middle column and the middle row of its span."""
    width, height = image.size
    column = [image.getpixel((width // 2, y)) == MARKER_RGB for y in range(height)]
    if True not in column:
        return None
    top = column.index(True)
    bottom = top
    while bottom + 1 < height and column[bottom + 1]:
        bottom += 1
    middle = (top + bottom) // 2
    row = [image.getpixel((x, middle)) == MARKER_RGB for x in range(width)]
    left = row.index(True)
    right = left
    while right + 1 < width and row[right + 1]:
        right += 1
    return left, top, right - left + 1, bottom - top + 1


def ascii_url(url: str) -> str:
    """The URL as ASCII (punycode host, percent-encoded rest), which xdotool types exactly."""
    parts = urlsplit(url)
    host, netloc = parts.hostname or "", parts.netloc
    if not host.isascii():
        with contextlib.suppress(UnicodeError):  # not a valid IDN: percent-encoded below instead
            netloc = netloc.replace(host, host.encode("idna").decode())
    safe = "/%:@!$&'()*+,;=?#[]~-._"
    return urlunsplit(
        (
            parts.scheme,
            quote(netloc, safe=safe),
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe),
            quote(parts.fragment, safe=safe),
        )
    )


def _write_png(pixels: Pixels, size: tuple[int, int], path: Path) -> None:
    partial = path.with_name(f".{path.name}.partial")
    Image.frombytes("RGB", size, pixels, "raw", "BGRX").save(partial, "PNG")
    partial.replace(path)


def _log_failure(write: asyncio.Task[None]) -> None:
    if not write.cancelled() and (failure := write.exception()) is not None:
        log.warning("a screenshot could not be written: %s", failure)


def _encode(image: Image.Image, kind: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()

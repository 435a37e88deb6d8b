"""Chromium's DevTools protocol over `--remote-debugging-pipe` (fds 3 and 4 of the browser, so no port
another process or a page could reach). The computer plane uses it as infrastructure only: to know each
tab's real URL, to keep file choosers and downloads from opening, and to blank a page the fence refuses.
Nothing read here is shown to the brain, which still sees pixels alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from mantis.planes.base import PlaneError

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 10.0
POLL_S = 0.05
# A navigation its page asked for normally begins within tens of ms (it is the browser's next task);
# past this it was cancelled or turned into a download, which the session refuses.
NAVIGATION_START_S = 2.0
MESSAGE_LIMIT = 64 * 1024 * 1024  # a message is one JSON object ended by NUL; targets' lists are small


@dataclass
class Tab:
    """A page target: its id, its last committed URL, and the session it is attached through."""

    target_id: str
    url: str
    session_id: str = ""


class DevTools:
    """The browser end of the pipe: calls with replies, and the page targets as they come and go."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.WriteTransport) -> None:
        self._reader = reader
        self._writer = writer
        self._calls: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next = 0
        self.tabs: dict[str, Tab] = {}  # in the order they opened: the newest is the one on screen
        self.loads: list[str] = []  # every URL a tab committed since the plane last looked
        self._loading: dict[str, tuple[str, float, bool]] = {}  # frame id -> session, asked at, begun
        self._commits: dict[str, int] = {}  # session -> documents its main frame committed
        self._pump: asyncio.Task[None] | None = None
        self._guards: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(cls, read_fd: int, write_fd: int) -> DevTools:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MESSAGE_LIMIT)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb"))
        transport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(write_fd, "wb"))
        devtools = cls(reader, transport)
        devtools._pump = asyncio.create_task(devtools._read())
        return devtools

    async def start(self) -> None:
        """Follows every page target, attaches to each to intercept its file chooser, and refuses
        downloads for the whole browser."""
        await self.call("Browser.setDownloadBehavior", {"behavior": "deny"})
        await self.call("Target.setDiscoverTargets", {"discover": True})
        await self.call(
            "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}
        )

    async def call(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._calls[self._next] = future
        self._writer.write(json.dumps(message).encode() + b"\0")
        try:
            reply = await asyncio.wait_for(future, CALL_TIMEOUT_S)
        finally:
            self._calls.pop(message["id"], None)
        if "error" in reply:
            raise PlaneError(f"DevTools {method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def current(self) -> Tab | None:
        return next(reversed(self.tabs.values()), None)

    def loading(self) -> bool:
        """Whether the tab on screen is loading a page: from the moment its page asks to navigate (a link
        clicked, a form sent) to that load's load event. Page events tell, which every tab sends since its
        guard enabled them. A navigation asked for but never begun (cancelled, a refused download) stops
        counting after NAVIGATION_START_S."""
        tab = self.current()
        if tab is None or not tab.session_id:
            return False
        now = asyncio.get_running_loop().time()
        return any(
            session == tab.session_id and (begun or now - asked < NAVIGATION_START_S)
            for session, asked, begun in self._loading.values()
        )

    def commits(self) -> int:
        """How many documents the tab on screen has committed in its main frame: a navigation typed into
        the address bar has reached the page once this grows (before, the old page is still on screen)."""
        tab = self.current()
        return self._commits.get(tab.session_id, 0) if tab is not None else 0

    async def blank(self, tab: Tab) -> None:
        """Sends a tab to about:blank and waits until it shows it (a page of a scheme the fence refuses
        must not stay on screen)."""
        if not tab.session_id:
            return
        with contextlib.suppress(PlaneError):
            await self.call("Page.navigate", {"url": "about:blank"}, tab.session_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CALL_TIMEOUT_S
        while tab.url != "about:blank" and tab.target_id in self.tabs and loop.time() < deadline:
            await asyncio.sleep(POLL_S)

    async def close(self) -> None:
        for guard in list(self._guards):
            guard.cancel()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        self._writer.close()

    async def _read(self) -> None:
        while True:
            try:
                raw = await self._reader.readuntil(b"\0")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
                for waiting in self._calls.values():
                    if not waiting.done():
                        waiting.set_exception(PlaneError("the browser closed its DevTools pipe"))
                return
            message = json.loads(raw[:-1])
            if "id" in message:
                future = self._calls.get(message["id"])
                if future is not None and not future.done():
                    future.set_result(message)
            else:
                method, params = message.get("method", ""), message.get("params", {})
                self._page_event(method, params, message.get("sessionId", ""))
                self._event(method, params)

    def _event(self, method: str, params: dict[str, Any]) -> None:
        info = params.get("targetInfo", {})
        if method in ("Target.targetCreated", "Target.targetInfoChanged") and info.get("type") == "page":
            tab = self.tabs.get(info["targetId"])
            if tab is None:
                self.tabs[info["targetId"]] = Tab(info["targetId"], info.get("url", ""))
            elif tab.url != info.get("url", ""):
                tab.url = info.get("url", "")
            else:
                return
            self.loads.append(info.get("url", ""))
        elif method == "Target.targetDestroyed":
            self.tabs.pop(params.get("targetId", ""), None)
        elif method == "Target.attachedToTarget" and info.get("type") == "page":
            tab = self.tabs.setdefault(info["targetId"], Tab(info["targetId"], info.get("url", "")))
            tab.session_id = params["sessionId"]
            guard = asyncio.get_running_loop().create_task(self._guard(tab))
            self._guards.add(guard)
            guard.add_done_callback(self._guards.discard)

    def _page_event(self, method: str, params: dict[str, Any], session: str) -> None:
        frame, now = params.get("frameId", ""), asyncio.get_running_loop().time()
        if method == "Page.frameRequestedNavigation":
            self._loading.setdefault(frame, (session, now, False))
        elif method == "Page.frameStartedLoading":
            self._loading[frame] = (session, now, True)
        elif (method == "Page.frameNavigated" and not params.get("frame", {}).get("parentId")) or (
            method == "Page.navigatedWithinDocument" and self._main_frame(session) == frame
        ):
            self._commits[session] = self._commits.get(session, 0) + 1
        elif method in ("Page.frameStoppedLoading", "Page.frameDetached"):
            self._loading.pop(frame, None)
        elif method == "Target.detachedFromTarget":  # a closed tab sends no stop for its loads
            gone = params.get("sessionId", "")
            self._loading = {key: load for key, load in self._loading.items() if load[0] != gone}

    def _main_frame(self, session: str) -> str:
        """A page target's main frame has the target's id."""
        return next((tab.target_id for tab in self.tabs.values() if tab.session_id == session), "")

    async def _guard(self, tab: Tab) -> None:
        """A page's file chooser never opens (it would show the server's files on screen). A new tab
        waits for this before it runs (a popup would otherwise stay paused for good)."""
        try:
            await self.call("Page.enable", session=tab.session_id)
            await self.call("Page.setInterceptFileChooserDialog", {"enabled": True}, tab.session_id)
        except PlaneError as exc:
            log.info("could not guard tab %s: %s", tab.target_id, exc)
        finally:
            with contextlib.suppress(PlaneError):
                await self.call("Runtime.runIfWaitingForDebugger", session=tab.session_id)

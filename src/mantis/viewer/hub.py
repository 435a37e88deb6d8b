"""The live runs' screens, in memory: a run's session is a frame source, taken from a few times a
second and only while someone watches, so an unwatched run pays nothing for its viewer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Protocol

from mantis.viewer.signing import Signer

log = logging.getLogger(__name__)

FPS = 3.0
TTL_S = 3600  # a URL handed out on `status`; polling hands out fresh ones


class FrameSource(Protocol):
    async def frame(self) -> bytes:
        """The screen now, as a JPEG."""
        ...


class Feed:
    """One run's screen for its watchers: each gets the latest frame as it arrives."""

    def __init__(self, source: FrameSource, interval_s: float) -> None:
        self._source = source
        self._interval_s = interval_s
        self._latest: tuple[int, bytes] = (0, b"")
        self._arrived = asyncio.Condition()
        self._watchers = 0
        self._pump: asyncio.Task[None] | None = None
        self._closed = False

    async def frames(self) -> AsyncGenerator[bytes, None]:
        """Frames until the feed closes; the first watcher starts the taking, the last one stops it."""
        self._watchers += 1
        if self._pump is None and not self._closed:
            self._pump = asyncio.create_task(self._take())
        try:
            seen = 0
            while (latest := await self._next(seen)) is not None:
                seen, frame = latest
                yield frame
        finally:
            self._watchers -= 1
            if self._watchers == 0 and self._pump is not None:
                self._pump.cancel()
                self._pump = None

    async def _next(self, seen: int) -> tuple[int, bytes] | None:
        """The latest frame (numbered) once it is newer than the `seen`th; None once the feed is closed."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self._closed or self._latest[0] != seen)
            return None if self._closed else self._latest

    async def _take(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            try:
                frame = await self._source.frame()
            except Exception as exc:  # a page between two documents, a session closing: skip a frame
                log.debug("no frame this time: %s", exc)
            else:
                async with self._arrived:
                    self._latest = (self._latest[0] + 1, frame)
                    self._arrived.notify_all()
            await asyncio.sleep(max(self._interval_s - (loop.time() - began), 0.0))

    async def close(self) -> None:
        """Ends every watcher's stream and stops taking frames, before the session goes."""
        async with self._arrived:
            self._closed = True
            self._arrived.notify_all()
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)


class ViewerHub:
    """The feeds of this process's live runs, and the signed URLs that reach them."""

    def __init__(self, signer: Signer, base_url: str, fps: float = FPS) -> None:
        self.signer = signer
        self._base_url = base_url.rstrip("/")
        self._interval_s = 1 / fps
        self._feeds: dict[str, Feed] = {}

    def feed(self, run_id: str) -> Feed | None:
        return self._feeds.get(run_id)

    def url(self, run_id: str) -> str | None:
        """A freshly signed URL while the run's viewer is live, else None."""
        if run_id not in self._feeds:
            return None
        return f"{self._base_url}/v1/viewer/{run_id}?{self.signer.query(run_id, TTL_S)}"

    @contextlib.asynccontextmanager
    async def live(
        self, run_id: str, source: FrameSource, on_open: Callable[[], None] = lambda: None
    ) -> AsyncIterator[None]:
        """The run's viewer, open for the body of the `async with`; `on_open` announces its URL."""
        feed = Feed(source, self._interval_s)
        self._feeds[run_id] = feed
        try:
            on_open()
            yield
        finally:
            del self._feeds[run_id]
            await feed.close()

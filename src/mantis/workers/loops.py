"""The runners' own thread and event loop, inside the server's process.

With the runs on the API's event loop, every step's Playwright traffic, screenshot decoding and result
writing queued in front of the next `status` answer: with four runs going, p99 was seconds. The
in-process executor runs its workers on this loop instead, so the API's loop only parses, looks up and
answers; the two meet through the run store, `ends` and the thread-safe calls below.

The processes the runners start (Playwright's driver and its Chromium, Xvfb, ffmpeg) run at a lower
CPU priority (`RUNNER_NICE`), so when the cores are short the kernel runs the API before the browsers
(for browsers in sessions of their own, see `workers.priority`). The runner thread itself does not: it
holds the GIL while it works, and a niced holder that the kernel leaves waiting behind the machine's
other tasks keeps the API's thread waiting for the GIL just as long, a priority inversion
(bench/README.md, "the runner thread at the API's priority"). The runs lose nothing when the
API is idle: nice only orders who runs first, it reserves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

from mantis.viewer.hub import FrameSource
from mantis.workers.priority import lowered

T = TypeVar("T")
# How much every process the runners start is niced below the server. 10 is what `nice` uses by default;
# with it, the kernel's weights give a runnable API thread about 9 times the CPU of each browser task
# when they contend (sched_prio_to_weight: 1024 against 110).
RUNNER_NICE = 10
JOIN_S = 10.0  # for the loop's thread to end once stopped; it holds no run by then


def _lowering(given: Callable[[], object] | None) -> Callable[[], None]:
    """A child's `preexec_fn`: it lowers its own priority by `RUNNER_NICE`, then does what it was given."""

    def start() -> None:
        os.setpriority(os.PRIO_PROCESS, 0, lowered(os.getpriority(os.PRIO_PROCESS, 0), RUNNER_NICE))
        if given is not None:
            given()

    return start


class _LoweringLoop(asyncio.SelectorEventLoop):
    """An event loop whose subprocesses start `RUNNER_NICE` below the thread that starts them."""

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["preexec_fn"] = _lowering(kwargs.get("preexec_fn"))
        return await super().subprocess_exec(*args, **kwargs)

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["preexec_fn"] = _lowering(kwargs.get("preexec_fn"))
        return await super().subprocess_shell(*args, **kwargs)


class RunnerLoop:
    """An event loop on a thread of its own; coroutines are handed to it and awaited from another loop.
    What it starts with `asyncio.create_subprocess_*` runs `RUNNER_NICE` below it."""

    def __init__(self, name: str) -> None:
        self.loop: asyncio.AbstractEventLoop = _LoweringLoop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Runs `work` on this loop and waits for it from the caller's loop; cancelling the wait cancels
        the work."""
        return await on_loop(self.loop, work)

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Calls `callback` on this loop, from any thread."""
        self.loop.call_soon_threadsafe(callback)

    async def stop(self) -> None:
        """Stops the loop once what is running on it is done, and waits for its thread to end."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join, JOIN_S)


async def on_loop(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, T]) -> T:
    """Runs `work` on `loop` and awaits it from the current one."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


class _Forwarded:
    """A run's frame source, read from the API's loop while its session lives on the runner's."""

    def __init__(self, source: FrameSource, loop: asyncio.AbstractEventLoop) -> None:
        self._source = source
        self._loop = loop

    async def frame(self) -> bytes:
        return await on_loop(self._loop, self._source.frame())


def viewer_across(
    home: asyncio.AbstractEventLoop,
    live: Callable[..., contextlib.AbstractAsyncContextManager[None]],
    on_open: Callable[[], None],
) -> Callable[[FrameSource], contextlib.AbstractAsyncContextManager[None]]:
    """The live viewer of a run on the runner loop: its feed is opened and closed on the API's loop
    (`home`), where its watchers are, and each frame is taken on the runner's loop, where the session is.
    `on_open` (a store write) runs on a worker thread, not on either loop."""

    @contextlib.asynccontextmanager
    async def opened(source: FrameSource) -> AsyncIterator[None]:
        def announce() -> None:  # called by the hub, on `home`
            home.run_in_executor(None, on_open)

        feed = live(_Forwarded(source, asyncio.get_running_loop()), on_open=announce)
        await on_loop(home, feed.__aenter__())
        try:
            yield
        finally:
            await on_loop(home, feed.__aexit__(None, None, None))

    return opened

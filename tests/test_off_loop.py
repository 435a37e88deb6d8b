"""The API's store calls run on the store's threads: the event loop goes on serving while one waits."""

from __future__ import annotations

import asyncio
import threading

from mantis.store.db import off_loop

WAIT_S = 10.0  # only reached when the loop is held, which is the failure


async def test_a_store_call_runs_off_the_loop_thread() -> None:
    caller = threading.get_ident()
    callee, name = await off_loop(lambda: (threading.get_ident(), threading.current_thread().name))
    assert callee != caller
    assert name.startswith("store")


async def test_the_loop_serves_while_a_store_call_blocks() -> None:
    released = threading.Event()

    def blocking_call() -> bool:
        return released.wait(WAIT_S)  # only a coroutine on the loop can release it

    async def on_the_loop() -> None:
        await asyncio.sleep(0)
        released.set()

    answered, _ = await asyncio.gather(off_loop(blocking_call), on_the_loop())
    assert answered


async def test_arguments_and_errors_pass_through() -> None:
    assert await off_loop(divmod, 7, 2) == (3, 1)
    assert await off_loop(int, "ff", base=16) == 255
    try:
        await off_loop(int, "not a number")
    except ValueError as exc:
        assert "not a number" in str(exc)
    else:
        raise AssertionError("the store call's error was not raised to the caller")

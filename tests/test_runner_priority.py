"""Who the kernel runs first when the cores are short: the runner thread at the API's priority (it holds
the GIL the API waits for), the processes the runners start below it."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable

from mantis.workers.loops import RUNNER_NICE, RunnerLoop
from mantis.workers.priority import MAX_NICE, lowered

PRINT_NICE = "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"
RECORDING_NICE = 5  # what runner.recording's ffmpeg lowers itself by, on top


def own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def on_runner_loop(preexec: Callable[[], object] | None = None) -> tuple[int, int]:
    """The runner thread's nice value, and that of a process started from it."""
    runner = RunnerLoop("test-runners")
    runner.start()

    async def inside() -> tuple[int, int]:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PRINT_NICE, stdout=asyncio.subprocess.PIPE, preexec_fn=preexec
        )
        printed, _ = await child.communicate()
        return own_nice(), int(printed)

    async def there() -> tuple[int, int]:
        try:
            return await runner.run(inside())
        finally:
            await runner.stop()

    return asyncio.run(there())


def test_the_runner_thread_keeps_the_api_priority_and_what_it_starts_runs_below() -> None:
    thread, child = on_runner_loop()
    assert thread == own_nice()
    assert child == lowered(own_nice(), RUNNER_NICE)


def test_a_process_lowering_itself_further_still_does() -> None:
    _thread, child = on_runner_loop(lambda: os.nice(RECORDING_NICE))
    assert child == min(lowered(own_nice(), RUNNER_NICE) + RECORDING_NICE, MAX_NICE)

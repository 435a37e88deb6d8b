"""The asyncio client: performs the same protocol's calls with `httpx.AsyncClient`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Unpack

import anyio
import httpx

from mantis.client.config import Config
from mantis.client.models import LogEvent, LogPage, QueuedRun, Recordings, RunPage, RunResult, RunStatus
from mantis.client.options import RunOptions
from mantis.client.protocol import Feed, MantisProtocol, ProgressCallback, Steps
from mantis.client.retry import RetryPolicy
from mantis.client.wire import Call, Outcome, Reply, Unreachable

T = TypeVar("T")


async def _save(chunks: AsyncIterator[bytes], dest: Path) -> None:
    """Writes beside `dest` and renames, so a broken download never leaves a truncated file behind."""
    await anyio.Path(dest.parent).mkdir(parents=True, exist_ok=True)
    part = anyio.Path(dest.with_name(dest.name + ".part"))
    try:
        async with await anyio.open_file(part, "wb") as fh:
            async for chunk in chunks:
                await fh.write(chunk)
        await part.replace(dest)
    finally:
        await part.unlink(missing_ok=True)


class AsyncMantisClient:
    """`MantisClient` for asyncio code: the same methods, awaited; `iter_logs` is an async iterator."""

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        platform_key: str | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        config = Config.resolve(endpoint, token, platform_key, timeout_s, retry)
        self._protocol = MantisProtocol(config)
        self._http = httpx.AsyncClient(
            base_url=config.endpoint, headers=config.headers(), timeout=config.timeout_s
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMantisClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _perform(self, call: Call) -> Outcome:
        if call.delay_s > 0:
            await anyio.sleep(call.delay_s)
        try:
            async with self._http.stream(call.method, call.path, json=call.body) as response:
                if call.dest is not None and response.is_success:
                    await _save(response.aiter_bytes(), call.dest)
                    return Reply(response.status_code, b"")
                return Reply(
                    response.status_code, await response.aread(), response.headers.get("retry-after")
                )
        except httpx.RequestError as exc:
            return Unreachable.of(exc)

    async def _drive(self, steps: Steps[T]) -> T:
        """Runs one operation to its answer, performing each call it asks for."""
        try:
            call = next(steps)
            while True:
                call = steps.send(await self._perform(call))
        except StopIteration as stop:
            value: T = stop.value
            return value

    async def _stream(self, feed: Feed) -> AsyncIterator[LogEvent]:
        """Passes on the events a feed yields, performing the calls between them."""
        try:
            item = next(feed)
            while True:
                if isinstance(item, LogEvent):
                    yield item
                    item = next(feed)
                else:
                    item = feed.send(await self._perform(item))
        except StopIteration:
            return
        finally:
            feed.close()

    async def healthy(self) -> bool:
        return await self._drive(self._protocol.healthy())

    async def submit(
        self,
        micro: str | dict[str, Any] | list[Any] | None = None,
        *,
        task_file: str | None = None,
        task_suite: dict[str, Any] | list[Any] | None = None,
        plan_text: str | None = None,
        idempotency_key: str | None = None,
        **options: Unpack[RunOptions],
    ) -> QueuedRun:
        return await self._drive(
            self._protocol.submit(micro, task_file, task_suite, plan_text, idempotency_key, options)
        )

    async def status(self, run_id: str) -> RunStatus:
        return await self._drive(self._protocol.status(run_id))

    async def wait(
        self,
        run_id: str,
        poll_s: float = 2.0,
        timeout_s: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunStatus:
        return await self._drive(self._protocol.wait(run_id, poll_s, timeout_s, on_progress))

    async def result(self, run_id: str) -> RunResult:
        return await self._drive(self._protocol.result(run_id))

    async def run(
        self,
        micro: str | dict[str, Any] | list[Any] | None = None,
        *,
        task_file: str | None = None,
        task_suite: dict[str, Any] | list[Any] | None = None,
        plan_text: str | None = None,
        idempotency_key: str | None = None,
        poll_s: float = 2.0,
        timeout_s: float | None = None,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[RunOptions],
    ) -> RunResult:
        submission = self._protocol.submit(micro, task_file, task_suite, plan_text, idempotency_key, options)
        return await self._drive(self._protocol.run(submission, poll_s, timeout_s, on_progress))

    async def logs(self, run_id: str, cursor: str | None = None, limit: int = 100) -> LogPage:
        return await self._drive(self._protocol.logs(run_id, cursor, limit))

    def iter_logs(self, run_id: str, follow: bool = False, poll_s: float = 1.0) -> AsyncIterator[LogEvent]:
        return self._stream(self._protocol.iter_logs(run_id, follow, poll_s))

    async def cancel(self, run_id: str) -> RunStatus:
        return await self._drive(self._protocol.cancel(run_id))

    async def recording(self, run_id: str) -> Recordings:
        return await self._drive(self._protocol.recording(run_id))

    async def list_runs(
        self, status: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> RunPage:
        return await self._drive(self._protocol.list_runs(status, limit, cursor))

    async def download(self, run_id: str, name: str, dest: str | Path) -> Path:
        return await self._drive(self._protocol.download(run_id, name, Path(dest)))

    async def download_all(self, run_id: str, dest_dir: str | Path) -> list[Path]:
        return await self._drive(self._protocol.download_all(run_id, Path(dest_dir)))

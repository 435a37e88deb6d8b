"""The blocking client: performs the protocol's calls with `httpx.Client`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from mantis.client.config import Config
from mantis.client.models import LogEvent, LogPage, QueuedRun, Recordings, RunPage, RunResult, RunStatus
from mantis.client.options import RunOptions
from mantis.client.protocol import Feed, MantisProtocol, ProgressCallback, Steps
from mantis.client.retry import RetryPolicy
from mantis.client.wire import Call, Outcome, Reply, Unreachable

T = TypeVar("T")


def _save(chunks: Iterator[bytes], dest: Path) -> None:
    """Writes beside `dest` and renames, so a broken download never leaves a truncated file behind."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with part.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)


class MantisClient:
    """A Mantis server, from a script. Configuration not passed comes from the environment
    (`MANTIS_ENDPOINT`, `MANTIS_API_TOKEN`, `MANTIS_PLATFORM_API_KEY` or `BASETEN_API_KEY`).
    Every failed call raises `MantisError`."""

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
        self._http = httpx.Client(
            base_url=config.endpoint, headers=config.headers(), timeout=config.timeout_s
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MantisClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _perform(self, call: Call) -> Outcome:
        if call.delay_s > 0:
            time.sleep(call.delay_s)
        try:
            with self._http.stream(call.method, call.path, json=call.body) as response:
                if call.dest is not None and response.is_success:
                    _save(response.iter_bytes(), call.dest)
                    return Reply(response.status_code, b"")
                return Reply(response.status_code, response.read(), response.headers.get("retry-after"))
        except httpx.RequestError as exc:
            return Unreachable.of(exc)

    def _drive(self, steps: Steps[T]) -> T:
        """Runs one operation to its answer, performing each call it asks for."""
        try:
            call = next(steps)
            while True:
                call = steps.send(self._perform(call))
        except StopIteration as stop:
            value: T = stop.value
            return value

    def _stream(self, feed: Feed) -> Iterator[LogEvent]:
        """Passes on the events a feed yields, performing the calls between them."""
        try:
            item = next(feed)
            while True:
                if isinstance(item, LogEvent):
                    yield item
                    item = next(feed)
                else:
                    item = feed.send(self._perform(item))
        except StopIteration:
            return
        finally:
            feed.close()

    def healthy(self) -> bool:
        """Whether the server answers `/healthz` now (one try, no retries)."""
        return self._drive(self._protocol.healthy())

    def submit(
        self,
        micro: str | dict[str, Any] | list[Any] | None = None,
        *,
        task_file: str | None = None,
        task_suite: dict[str, Any] | list[Any] | None = None,
        plan_text: str | None = None,
        idempotency_key: str | None = None,
        **options: Unpack[RunOptions],
    ) -> QueuedRun:
        """Submits one plan (exactly one of micro, task_file, task_suite, plan_text), detached.

        Without `idempotency_key` a fresh one is made for this call, so the client's own retries can
        never start a second run."""
        return self._drive(
            self._protocol.submit(micro, task_file, task_suite, plan_text, idempotency_key, options)
        )

    def status(self, run_id: str) -> RunStatus:
        return self._drive(self._protocol.status(run_id))

    def wait(
        self,
        run_id: str,
        poll_s: float = 2.0,
        timeout_s: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunStatus:
        """Polls `status` until the run ends and returns that final status; `on_progress` sees every poll.
        Past `timeout_s`, raises MantisError `wait_timeout` (the run goes on)."""
        return self._drive(self._protocol.wait(run_id, poll_s, timeout_s, on_progress))

    def result(self, run_id: str) -> RunResult:
        """Rows, leads, trace and artifacts of an ended run (`run_not_finished` before it ends)."""
        return self._drive(self._protocol.result(run_id))

    def run(
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
        """submit + wait + result."""
        submission = self._protocol.submit(micro, task_file, task_suite, plan_text, idempotency_key, options)
        return self._drive(self._protocol.run(submission, poll_s, timeout_s, on_progress))

    def logs(self, run_id: str, cursor: str | None = None, limit: int = 100) -> LogPage:
        return self._drive(self._protocol.logs(run_id, cursor, limit))

    def iter_logs(self, run_id: str, follow: bool = False, poll_s: float = 1.0) -> Iterator[LogEvent]:
        """Every event of the run's log; with `follow`, goes on until the run has ended."""
        return self._stream(self._protocol.iter_logs(run_id, follow, poll_s))

    def cancel(self, run_id: str) -> RunStatus:
        """Stops the run (a running one keeps the rows it has); cancelling an ended run changes nothing."""
        return self._drive(self._protocol.cancel(run_id))

    def recording(self, run_id: str) -> Recordings:
        return self._drive(self._protocol.recording(run_id))

    def list_runs(self, status: str | None = None, limit: int = 50, cursor: str | None = None) -> RunPage:
        """The tenant's runs, newest first."""
        return self._drive(self._protocol.list_runs(status, limit, cursor))

    def download(self, run_id: str, name: str, dest: str | Path) -> Path:
        """Saves one artifact to `dest` (a file, or a directory to put `name` in); returns the file."""
        return self._drive(self._protocol.download(run_id, name, Path(dest)))

    def download_all(self, run_id: str, dest_dir: str | Path) -> list[Path]:
        """Saves every artifact the run's result lists into `dest_dir`."""
        return self._drive(self._protocol.download_all(run_id, Path(dest_dir)))

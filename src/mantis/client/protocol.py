"""The client without I/O: every operation is a generator that yields the HTTP `Call`s it needs and gets
back each `Outcome`. Request bodies, retries, polling and log paging live here once; `sync.py` and `aio.py`
only perform the calls (and the pauses a call asks for) with their transport."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from mantis.client.config import Config
from mantis.client.errors import MantisError
from mantis.client.models import LogEvent, LogPage, QueuedRun, Recordings, RunPage, RunResult, RunStatus
from mantis.client.options import RunOptions
from mantis.client.wire import (
    Call,
    Outcome,
    Reply,
    Unreachable,
    artifact_path,
    checked_name,
    error_of,
    json_of,
)

PREDICT = "/v1/predict"
LOG_PAGE = 500

T = TypeVar("T")
Steps = Generator[Call, Outcome, T]
Feed = Generator[Call | LogEvent, Outcome, None]
ProgressCallback = Callable[[RunStatus], object]


class MantisProtocol:
    """Every operation of the client, as a generator of calls."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def exchange(self, call: Call) -> Steps[Reply]:
        """Makes the call, retrying retryable errors and lost connections as the policy allows."""
        attempt = 1
        while True:
            outcome = yield call
            if isinstance(outcome, Reply) and outcome.ok:
                return outcome
            if isinstance(outcome, Unreachable):
                error = MantisError(
                    None, "unreachable", f"no answer from {self.config.endpoint}: {outcome.reason}", True
                )
            else:
                error = error_of(outcome)
            delay = self.config.retry.delay(attempt, error)
            if delay is None:
                raise error
            call = replace(call, delay_s=delay)
            attempt += 1

    def _json(self, call: Call) -> Steps[dict[str, Any]]:
        return json_of((yield from self.exchange(call)))

    def _act(
        self, action: str, run_id: str | None = None, delay_s: float = 0.0, **fields: Any
    ) -> Steps[dict[str, Any]]:
        body = {k: v for k, v in {"action": action, "run_id": run_id, **fields}.items() if v is not None}
        return self._json(Call("POST", PREDICT, body, delay_s=delay_s))

    def healthy(self) -> Steps[bool]:
        """One try, no retries: for polling a server that is still starting."""
        outcome = yield Call("GET", "/healthz")
        return isinstance(outcome, Reply) and outcome.ok

    def submit(
        self,
        micro: str | dict[str, Any] | list[Any] | None,
        task_file: str | None,
        task_suite: dict[str, Any] | list[Any] | None,
        plan_text: str | None,
        idempotency_key: str | None,
        options: RunOptions,
    ) -> Steps[QueuedRun]:
        # The key is made once per submission, before any retry, so a retry after a timeout that the
        # server did see returns that first run instead of starting a second one.
        plan = {"micro": micro, "task_file": task_file, "task_suite": task_suite, "plan_text": plan_text}
        body = {
            **{k: v for k, v in plan.items() if v is not None},
            **options,
            "detached": True,
            "idempotency_key": idempotency_key or uuid.uuid4().hex,
        }
        return QueuedRun.from_json((yield from self._json(Call("POST", PREDICT, body))))

    def status(self, run_id: str, delay_s: float = 0.0) -> Steps[RunStatus]:
        return RunStatus.from_json((yield from self._act("status", run_id, delay_s)))

    def wait(
        self, run_id: str, poll_s: float, timeout_s: float | None, on_progress: ProgressCallback | None
    ) -> Steps[RunStatus]:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        delay = 0.0
        while True:
            status = yield from self.status(run_id, delay)
            if on_progress is not None:
                on_progress(status)
            if status.finished:
                return status
            delay = poll_s
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MantisError(
                        None,
                        "wait_timeout",
                        f"run {run_id} is still {status.status} after {timeout_s:g} s",
                        details={"status": status.status},
                    )
                delay = min(poll_s, left)

    def result(self, run_id: str) -> Steps[RunResult]:
        return RunResult.from_json((yield from self._act("result", run_id)))

    def run(
        self,
        submission: Steps[QueuedRun],
        poll_s: float,
        timeout_s: float | None,
        on_progress: ProgressCallback | None,
    ) -> Steps[RunResult]:
        queued = yield from submission
        yield from self.wait(queued.run_id, poll_s, timeout_s, on_progress)
        return (yield from self.result(queued.run_id))

    def logs(self, run_id: str, cursor: str | None, limit: int, delay_s: float = 0.0) -> Steps[LogPage]:
        return LogPage.from_json((yield from self._act("logs", run_id, delay_s, cursor=cursor, limit=limit)))

    def iter_logs(self, run_id: str, follow: bool, poll_s: float) -> Feed:
        """Pages through the log; with `follow`, polls on until the run has ended and its log is drained."""
        cursor: str | None = None
        delay, ended = 0.0, not follow
        while True:
            page = yield from self.logs(run_id, cursor, LOG_PAGE, delay)
            yield from page.events
            cursor, delay = page.next_cursor, 0.0
            if len(page.events) == LOG_PAGE:
                continue
            if ended:
                return
            # One more page after the run ends picks up what was logged between the two calls.
            ended = (yield from self.status(run_id)).finished
            delay = 0.0 if ended else poll_s

    def cancel(self, run_id: str) -> Steps[RunStatus]:
        return RunStatus.from_json((yield from self._act("cancel", run_id)))

    def recording(self, run_id: str) -> Steps[Recordings]:
        return Recordings.from_json((yield from self._act("recording", run_id)))

    def list_runs(self, status: str | None, limit: int, cursor: str | None) -> Steps[RunPage]:
        return RunPage.from_json((yield from self._act("list", status=status, limit=limit, cursor=cursor)))

    def download(self, run_id: str, name: str, dest: Path) -> Steps[Path]:
        target = dest / checked_name(name) if dest.is_dir() else dest
        yield from self.exchange(Call("GET", artifact_path(run_id, name), dest=target))
        return target

    def download_all(self, run_id: str, dest_dir: Path) -> Steps[list[Path]]:
        result = yield from self.result(run_id)
        paths = []
        for name in sorted(result.artifacts):
            paths.append((yield from self.download(run_id, name, dest_dir / checked_name(name))))
        return paths

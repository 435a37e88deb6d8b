"""The client without I/O: every operation is a generator that yields the HTTP `Call`s it needs and gets
back each `Outcome`. Request building, answer parsing, retries, polling and log paging live here once;
`sync.py` and `aio.py` only perform the calls (and the pauses a call asks for) with their transport."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from mantis.client.config import Config
from mantis.client.errors import MantisError
from mantis.client.models import LogEvent, LogPage, QueuedRun, Recordings, RunPage, RunResult, RunStatus
from mantis.client.options import RunOptions

PREDICT = "/v1/predict"
LOG_PAGE = 500

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One HTTP request; the transport waits `delay_s` first, and streams a 2xx body to `dest` if set."""

    method: Literal["GET", "POST"]
    path: str
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    dest: Path | None = None


@dataclass(frozen=True)
class Reply:
    status: int
    content: bytes
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Unreachable:
    """No answer: the connection failed or the call timed out."""

    reason: str

    @classmethod
    def of(cls, exc: BaseException) -> Unreachable:
        detail = str(exc)
        return cls(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)


Outcome = Reply | Unreachable
Steps = Generator[Call, Outcome, T]
Feed = Generator[Call | LogEvent, Outcome, None]
ProgressCallback = Callable[[RunStatus], object]


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` in seconds, from either of its forms (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def error_of(reply: Reply) -> MantisError:
    """The API's error body as a MantisError."""
    payload = _json_or_none(reply.content)
    error = payload.get("error") if isinstance(payload, dict) else None
    wait = retry_after_s(reply.retry_after)
    if isinstance(error, dict) and "code" in error:
        return MantisError(
            reply.status,
            str(error["code"]),
            str(error.get("message") or ""),
            bool(error.get("retryable")),
            error.get("details"),
            wait,
        )
    # Not Mantis's error body (a proxy or gateway answered): keep the status, guess retryable from it.
    text = " ".join(reply.content.decode("utf-8", "replace").split())[:200] or f"HTTP {reply.status}"
    retryable = reply.status in (429, 502, 503, 504)
    return MantisError(reply.status, f"http_{reply.status}", text, retryable, None, wait)


def json_of(reply: Reply) -> dict[str, Any]:
    body = _json_or_none(reply.content)
    if not isinstance(body, dict):
        raise MantisError(reply.status, "invalid_response", "the server's answer is not a JSON object")
    return body


def artifact_path(run_id: str, name: str) -> str:
    return f"/v1/runs/{quote(run_id, safe='')}/artifacts/{quote(name, safe='')}"


def checked_name(name: str) -> str:
    """An artifact name is a plain file name; anything else could write outside the destination."""
    if name in ("", ".", "..") or Path(name).name != name:
        raise MantisError(None, "invalid_artifact_name", f"not a plain file name: {name!r}")
    return name


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

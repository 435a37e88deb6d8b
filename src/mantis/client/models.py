"""Typed views of the API's answers. Each keeps the JSON it came from in `body`, for `--json` and for
fields newer than this client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


@dataclass(frozen=True)
class QueuedRun:
    """The handle a detached submission answers with."""

    run_id: str
    status: str
    model: str
    created_at: str
    effective: dict[str, Any]
    body: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> QueuedRun:
        return cls(
            run_id=str(body["run_id"]),
            status=str(body.get("status", "queued")),
            model=str(body.get("model", "")),
            created_at=str(body.get("created_at", "")),
            effective=_dict(body.get("effective")),
            body=body,
        )


@dataclass(frozen=True)
class Progress:
    step_index: int
    steps_total: int
    current_intent: str | None


@dataclass(frozen=True)
class RunFailure:
    """Why a run ended `failed` (`time_cap_reached`, `step_failed`, …)."""

    code: str
    message: str

    @classmethod
    def from_json(cls, body: Any) -> RunFailure | None:
        if not isinstance(body, dict):
            return None
        return cls(str(body.get("code") or ""), str(body.get("message") or ""))


@dataclass(frozen=True)
class Usage:
    """What a run asked of models and what it did from replay records instead (docs/client/replay.md)."""

    model_calls: int
    replayed_steps: int
    cost_usd: float

    @classmethod
    def from_json(cls, body: Any) -> Usage:
        usage = _dict(body)
        return cls(
            model_calls=int(usage.get("model_calls") or 0),
            replayed_steps=int(usage.get("replayed_steps") or 0),
            cost_usd=float(usage.get("cost_usd") or 0.0),
        )


@dataclass(frozen=True)
class RunStatus:
    """The answer of `action: status` (and of `cancel`)."""

    run_id: str
    status: str
    summary: str
    progress: Progress
    cost_usd: float
    elapsed_seconds: float
    viable: int
    error: RunFailure | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    viewer_url: str | None
    usage: Usage
    body: dict[str, Any] = field(repr=False)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RunStatus:
        progress = _dict(body.get("progress"))
        return cls(
            run_id=str(body["run_id"]),
            status=str(body["status"]),
            summary=str(body.get("summary") or ""),
            progress=Progress(
                step_index=int(progress.get("step_index") or 0),
                steps_total=int(progress.get("steps_total") or 0),
                current_intent=progress.get("current_intent"),
            ),
            cost_usd=float(body.get("cost_usd") or 0.0),
            elapsed_seconds=float(body.get("elapsed_seconds") or 0.0),
            viable=int(body.get("viable") or 0),
            error=RunFailure.from_json(body.get("error")),
            created_at=body.get("created_at"),
            started_at=body.get("started_at"),
            finished_at=body.get("finished_at"),
            viewer_url=body.get("viewer_url"),
            usage=Usage.from_json(body.get("usage")),
            body=body,
        )


@dataclass(frozen=True)
class RunResult:
    """The answer of `action: result`: the rows, the leads, the trace and where the artifacts are."""

    run_id: str
    status: str
    summary: str
    leads: list[str]
    viable: int
    rows: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    state_vars: dict[str, Any]
    cost_usd: float
    artifacts: dict[str, str]
    usage: Usage
    body: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RunResult:
        result = _dict(body.get("result"))
        return cls(
            run_id=str(body["run_id"]),
            status=str(body["status"]),
            summary=str(body.get("summary") or ""),
            leads=[str(lead) for lead in result.get("leads") or []],
            viable=int(result.get("viable") or 0),
            rows=[_dict(row) for row in result.get("rows") or []],
            steps=[_dict(step) for step in result.get("steps") or []],
            state_vars=_dict(result.get("state_vars")),
            cost_usd=float(_dict(result.get("cost")).get("usd") or 0.0),
            artifacts={str(k): str(v) for k, v in _dict(result.get("artifacts")).items()},
            usage=Usage.from_json(result.get("usage")),
            body=body,
        )


@dataclass(frozen=True)
class LogEvent:
    ts: str
    level: str
    type: str
    step_index: int | None
    message: str
    data: dict[str, Any]
    body: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> LogEvent:
        step = body.get("step_index")
        return cls(
            ts=str(body.get("ts") or ""),
            level=str(body.get("level") or "info"),
            type=str(body.get("type") or ""),
            step_index=int(step) if step is not None else None,
            message=str(body.get("message") or ""),
            data=_dict(body.get("data")),
            body=body,
        )


@dataclass(frozen=True)
class LogPage:
    """One page of `action: logs`; pass `next_cursor` back for the events after it."""

    events: list[LogEvent]
    next_cursor: str
    body: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> LogPage:
        return cls(
            events=[LogEvent.from_json(_dict(e)) for e in body.get("events") or []],
            next_cursor=str(body.get("next_cursor") or "0"),
            body=body,
        )


@dataclass(frozen=True)
class Recording:
    format: str
    bytes: int
    url: str

    @classmethod
    def from_json(cls, body: Any) -> Recording | None:
        if not isinstance(body, dict):
            return None
        return cls(format=str(body["format"]), bytes=int(body["bytes"]), url=str(body["url"]))


@dataclass(frozen=True)
class Recordings:
    """The answer of `action: recording`: the polished (overlaid) and the raw screencast, when made."""

    run_id: str
    status: str
    polished: Recording | None
    raw: Recording | None
    body: dict[str, Any] = field(repr=False)
    state: str = ""  # `pending` while the server makes them after the run, then `ready`, `failed` or `none`

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Recordings:
        return cls(
            state=str(body.get("state") or ""),
            run_id=str(body["run_id"]),
            status=str(body.get("status") or ""),
            polished=Recording.from_json(body.get("polished")),
            raw=Recording.from_json(body.get("raw")),
            body=body,
        )


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    status: str
    created_at: str | None
    summary: str


@dataclass(frozen=True)
class RunPage:
    """One page of `action: list`, newest first; `next_cursor` is None on the last page."""

    runs: list[RunSummary]
    next_cursor: str | None
    body: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RunPage:
        runs = [
            RunSummary(
                run_id=str(r["run_id"]),
                status=str(r.get("status") or ""),
                created_at=r.get("created_at"),
                summary=str(r.get("summary") or ""),
            )
            for r in map(_dict, body.get("runs") or [])
        ]
        cursor = body.get("next_cursor")
        return cls(runs=runs, next_cursor=str(cursor) if cursor else None, body=body)

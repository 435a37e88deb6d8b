"""Request bodies of `POST /v1/predict` (a submission or an action on a run), and the error body."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mantis.plans.models import ComputeBackend
from mantis.replay import policy as replay_policy

PLAN_FIELDS = ("task_suite", "task_file", "micro", "plan_text")


class Submission(BaseModel):
    """A run to start: exactly one of `task_suite`, `task_file`, `micro`, `plan_text`, and run options."""

    model_config = ConfigDict(extra="forbid")

    detached: bool = Field(True, description="Answer at once with the queued handle; false holds the call.")
    task_suite: dict[str, Any] | list[Any] | None = Field(
        None, description="An inline task suite: `{base_url, tasks}`, or a flat list of steps."
    )
    task_file: str | None = Field(None, description="A task suite's path in the server's plan library.")
    micro: str | dict[str, Any] | list[Any] | None = Field(
        None, description="A micro-plan's path in the plan library, or the micro-plan inline."
    )
    plan_text: str | None = Field(
        None, min_length=1, max_length=20_000, description="A plan in plain English."
    )
    profile_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Browser identity: one run at a time per (tenant, profile_id).",
    )
    workflow_id: str | None = Field(None, min_length=1, max_length=200, description="Checkpoint id.")
    state_key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Legacy: sets `profile_id` and `workflow_id` where absent.",
    )
    resume_state: bool = Field(False, description="Continue from the last checkpoint of `workflow_id`.")
    max_cost: float | None = Field(
        None, ge=0, description="USD cap, clamped by the tenant's and the server's."
    )
    max_time_minutes: float | None = Field(
        None, gt=0, description="Time cap, clamped by the tenant's and the server's."
    )
    proxy_city: str | None = Field(None, description="Geo-targeted proxy city.")
    proxy_state: str | None = Field(None, description="Geo-targeted proxy state.")
    record_video: bool = Field(False, description="Record the run (polished and raw).")
    video_format: Literal["mp4", "webm", "gif"] = "mp4"
    video_fps: int = Field(5, ge=1, le=30)
    live_viewer: bool = Field(False, description="Serve a live viewer while the run lasts.")
    callback_url: str | None = Field(
        None, max_length=2000, description="Webhook for the run's end; else the tenant's."
    )
    compute_backend: ComputeBackend | None = Field(None, description="The plane; the plan's runtime wins.")
    cua_model: str | None = Field(
        None, max_length=100, description="The model; none means the offline brain."
    )
    replay: replay_policy.Mode = Field(
        replay_policy.DEFAULT,
        description="`auto` acts from what earlier runs of the plan learned, `refresh` asks the models "
        "again and relearns, `off` neither; a tenant with replay off keeps it off.",
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="Values for `{name}` placeholders in step params."
    )
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The same key and body within 24 h return the first run (also as `Idempotency-Key`).",
    )


class ValidateRequest(Submission):
    """A submission checked without running it: `{"action": "validate", ...}` with the submission's fields."""

    action: Literal["validate"] = Field(description="Check the plan; nothing is created.")


class ActionRequest(BaseModel):
    """An action on a run (`list` needs no `run_id`), or on the tenant's profiles or replay records; a
    field the action does not read (`run_id` on `list`, `limit` on `status`) is refused with 400
    `invalid_request`."""

    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "status",
        "result",
        "logs",
        "cancel",
        "recording",
        "list",
        "profiles",
        "delete_profile",
        "replays",
        "clear_replays",
    ]
    run_id: str | None = Field(
        None,
        max_length=64,
        description="The run, as the queued handle named it; `replays`, `clear_replays`: only its plan's.",
    )
    cursor: str | None = Field(
        None, max_length=200, description="`logs` and `list`: the `next_cursor` of the previous page."
    )
    limit: int = Field(100, ge=1, le=1000, description="`logs` and `list`: the page size.")
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = Field(
        None, description="`list`: only runs in this status."
    )
    profile_id: str | None = Field(
        None, min_length=1, max_length=200, description="`delete_profile`: the profile to delete."
    )


class ErrorDetail(BaseModel):
    code: str = Field(description="A code from the error table, e.g. `invalid_plan`.")
    message: str
    retryable: bool = Field(description="Whether the same request may succeed later (with backoff).")
    details: Any = Field(None, description="`{path, message}` items, or the fields or hosts at fault.")


class ErrorBody(BaseModel):
    """Every error answer; 429 and 503 also carry `Retry-After`."""

    error: ErrorDetail

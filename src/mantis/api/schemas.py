"""Request bodies of `POST /v1/predict`: a submission or an action on a run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mantis.plans.models import ComputeBackend

PLAN_FIELDS = ("task_suite", "task_file", "micro", "plan_text")
ACTIONS = ("status", "result", "logs", "cancel", "recording", "list")


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detached: bool = True
    task_suite: dict[str, Any] | list[Any] | None = None
    task_file: str | None = None
    micro: str | dict[str, Any] | list[Any] | None = None
    plan_text: str | None = Field(None, min_length=1, max_length=20_000)
    profile_id: str | None = Field(None, max_length=200)
    workflow_id: str | None = Field(None, max_length=200)
    state_key: str | None = Field(None, max_length=200)
    resume_state: bool = False
    max_cost: float | None = Field(None, ge=0)
    max_time_minutes: float | None = Field(None, gt=0)
    proxy_city: str | None = None
    proxy_state: str | None = None
    record_video: bool = False
    video_format: Literal["mp4", "webm"] = "mp4"
    video_fps: int = Field(5, ge=1, le=30)
    live_viewer: bool = False
    callback_url: str | None = Field(None, max_length=2000)
    compute_backend: ComputeBackend | None = None
    cua_model: str | None = Field(None, max_length=100)
    inputs: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["status", "result", "logs", "cancel", "recording", "list"]
    run_id: str | None = Field(None, max_length=64)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(100, ge=1, le=1000)
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="A code from the error table, e.g. `invalid_plan`.")
    message: str
    retryable: bool = Field(description="Whether the same request may succeed later (with backoff).")
    details: Any = Field(None, description="`{path, message}` items, or the fields or hosts at fault.")


class ErrorBody(BaseModel):
    """Every error answer; 429 and 503 also carry `Retry-After`."""

    error: ErrorDetail

"""The plan documents: a micro-plan, a task suite, and the run settings; `plan.schema.json` is generated
from them. Each step type is defined in `mantis.steps`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mantis.plans.extract import ExtractField as ExtractField
from mantis.plans.extract import ExtractSpec as ExtractSpec
from mantis.plans.extract import FieldType as FieldType
from mantis.steps import Step as Step

ComputeBackend = Literal["computer_plane", "browser_use_plane"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Document(_Strict):
    """A plan file's top level, which may name its schema so that editors check and complete it."""

    schema_url: str | None = Field(
        None,
        alias="$schema",
        description="The schema editors check the file against: the server's /v1/plan.schema.json.",
    )


class Viewport(_Strict):
    width: int = Field(1280, ge=320, le=3840)
    height: int = Field(800, ge=240, le=2160)


class Runtime(_Strict):
    """Plan-level run settings; each wins over the request's value of the same name."""

    compute_backend: ComputeBackend | None = None
    max_cost: float | None = Field(None, ge=0)
    max_time_minutes: float | None = Field(None, gt=0)
    cua_model: str | None = None
    viewport: Viewport | None = None
    locale: str | None = None
    timezone: str | None = None
    record_video: bool | None = None


class MicroPlan(_Document):
    """A micro-plan in its object form; a bare list of steps is the same with defaults."""

    name: str | None = None
    recipe: str | None = None
    runtime: Runtime = Field(default_factory=Runtime)
    steps: list[Step] = Field(min_length=1)


class Task(_Strict):
    task_id: str = Field(min_length=1)
    start_url: str = Field(min_length=1)
    intent: str = ""
    steps: list[Step] | None = None
    extract: ExtractSpec | None = None


class TaskSuite(_Document):
    """A multi-task suite; each task starts at its `start_url` (relative ones resolve on `base_url`)."""

    base_url: str | None = None
    runtime: Runtime = Field(default_factory=Runtime)
    tasks: list[Task] = Field(min_length=1)


"""The plan language: the pydantic models that `plan.schema.json` is generated from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StepType = Literal[
    "navigate",
    "click",
    "submit",
    "fill",
    "select",
    "press",
    "scroll",
    "wait",
    "go_back",
    "extract_data",
    "extract_url",
    "claude",
    "detect_visible",
    "if_else",
    "loop",
    "collect_urls",
    "capture_link_in_new_tab",
    "switch_tab",
    "close_tab",
]

# Step types only a DOM-aware plane can run (a step with `target_role` is one too).
DOM_ONLY_STEPS = frozenset({"capture_link_in_new_tab", "switch_tab", "close_tab"})

ComputeBackend = Literal["computer_plane", "browser_use_plane"]
FieldType = Literal["int", "str", "bool"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtractField(_Strict):
    """One column of an inline extraction schema."""

    name: str = Field(min_length=1, description="Column name in the CSV / key in the JSON output row.")
    type: FieldType = Field("str", description="int / str / bool; values are coerced to it.")
    required: bool = Field(True, description="Rows missing a required field are not viable.")


class ExtractSpec(_Strict):
    """The inline extraction contract of an `extract_data` (or `claude`) step."""

    schema_name: str = Field(
        "rows", min_length=1, description="Logged at runtime; the name of the CSV written beside the rows."
    )
    entity_name: str = Field("item", description="What one row is, as the extractor is told.")
    fields: list[ExtractField] = Field(min_length=1)
    max_items: int | None = Field(
        None, ge=1, description="Cap on rows returned. Omit for single-row extraction."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> ExtractSpec:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names: {', '.join(dupes)}")
        return self


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


# What each step type needs in `params`: a tuple lists alternatives of which one must be present.
REQUIRED_PARAMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "navigate": (("url", "url_from"),),
    "fill": (("text",),),
    "press": (("key",),),
    "select": (("option", "value"),),
    "collect_urls": (("var",),),
}


class Step(_Strict):
    """One typed step of a micro-plan."""

    type: StepType = Field(description="What the step does; see docs/reference/steps.md.")
    intent: str = Field("", description="What the step does, in words; the target when no label is given.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="The step type's parameters; `{name}` is filled from `inputs`."
    )
    budget: int | None = Field(None, ge=0, description="For scroll: the number of scroll actions.")
    timeout_s: float | None = Field(
        None, gt=0, description="Seconds the step may take (30, or 180 with a model)."
    )
    optional: bool = Field(False, description="A failure of this step is logged and the run goes on.")
    claude_only: bool = Field(
        False, description="Accepted for compatibility: extraction always uses the run's brain."
    )
    extract: ExtractSpec | None = Field(
        None, description="The inline extraction schema of an extraction step."
    )
    out_var: str | None = Field(None, description="The variable a detect_visible or extract_url step writes.")
    condition_var: str | None = Field(None, description="The variable an if_else step reads.")
    then_target: int = Field(-1, ge=-1, description="if_else: the step index to jump to when truthy.")
    else_target: int = Field(-1, ge=-1, description="if_else: the step index to jump to when falsy.")
    loop_target: int = Field(-1, ge=-1, description="loop: the step index to jump back to.")
    loop_count: int = Field(
        0, ge=0, description="loop: how many times to jump (clamped to the server's cap)."
    )
    stop_var: str | None = Field(None, description="loop: a variable that ends the loop early when truthy.")
    target_role: str | None = Field(
        None, description="A semantic role the plan's recipe maps to an element (DOM-aware planes only)."
    )

    @model_validator(mode="after")
    def _params_present(self) -> Step:
        for alternatives in REQUIRED_PARAMS.get(self.type, ()):
            if not any(self.params.get(name) not in (None, "") for name in alternatives):
                wanted = " or ".join(f"params.{name}" for name in alternatives)
                raise ValueError(f"a {self.type} step needs {wanted}")
        if self.type == "detect_visible" and not self.out_var:
            raise ValueError("a detect_visible step needs out_var")
        if self.type == "if_else" and not self.condition_var:
            raise ValueError("an if_else step needs condition_var")
        return self


class MicroPlan(_Strict):
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


class TaskSuite(_Strict):
    """A multi-task suite; each task starts at its `start_url` (relative ones resolve on `base_url`)."""

    base_url: str | None = None
    runtime: Runtime = Field(default_factory=Runtime)
    tasks: list[Task] = Field(min_length=1)


PlanDocument = MicroPlan | TaskSuite | list[Step]

"""Turns a submission's plan field into the one form the runner executes: tasks of steps."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mantis import strictjson
from mantis.plans.labels import jump_warnings, label_errors
from mantis.plans.models import ExtractSpec, MicroPlan, Runtime, Step, TaskSuite
from mantis.recipes.registry import RECIPES, recipe
from mantis.steps import STEP_TYPES, error_loc
from mantis.steps.pages import Navigate

# Linux's NAME_MAX (255 bytes a name); a plan path is held well under PATH_MAX (4096).
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
LOOP = "goes through a link that never ends"

PlanKind = Literal["micro", "task_file", "task_suite", "plan_text"]


class ResolvedTask(BaseModel):
    task_id: str | None = None
    start_url: str | None = None
    intent: str = ""
    steps: list[Step] | None = None
    extract: ExtractSpec | None = None


class ResolvedPlan(BaseModel):
    kind: PlanKind
    source: str | None = None
    name: str | None = None
    recipe: str | None = None
    runtime: Runtime = Runtime()
    base_url: str | None = None
    tasks: list[ResolvedTask]

    def step_count(self) -> int:
        return sum(len(task.steps or ()) for task in self.tasks)

    def step_lists(self) -> list[tuple[str, ResolvedTask]]:
        """Each task with the path of its steps in the submitted document (`steps` or `tasks[i].steps`)."""
        return [(f"tasks[{i}].steps" if t.task_id else "steps", t) for i, t in enumerate(self.tasks)]

    def located_urls(self) -> list[tuple[str, str]]:
        """Every URL the plan names up front, with its path: for the allowlist check at submission."""
        urls = [("base_url", self.base_url)] if self.base_url else []
        urls += [(f"tasks[{i}].start_url", t.start_url) for i, t in enumerate(self.tasks) if t.start_url]
        for prefix, task in self.step_lists():
            for i, step in enumerate(task.steps or ()):
                if isinstance(step, Navigate) and step.params.url:
                    urls.append((f"{prefix}[{i}].params.url", step.params.url))
        return urls

    def navigate_urls(self) -> list[str]:
        return [url for _, url in self.located_urls()]

    def warnings(self) -> list[str]:
        """What the plan does that it may not mean: numeric jumps past the last step."""
        out = []
        for prefix, task in self.step_lists():
            steps = task.steps or []
            total = len(steps) + (1 if task.start_url else 0)  # a start URL opens the task as step 0
            out += jump_warnings(steps, total, prefix)
        return out


class PlanPathError(Exception):
    """A plan path that leaves the plan library, or that no file system could hold."""

    def __init__(self, relative: str, reason: str = "leaves the plan library") -> None:
        super().__init__(f"{relative[:200]!r} {reason}")


class PlanNotFound(Exception):
    pass


class PlanInvalid(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("the plan does not match plan.schema.json")
        self.errors = errors


def library_path(library: Path, relative: str, workspace: Path | None = None) -> Path:
    """The file a plan path names, refused when it is absolute, climbs out, links out, loops, or is
    longer than a file system takes; and refused in the workspace (every tenant's runs, the server's
    keys), which lies inside the library when the server runs in a checkout with its default home."""
    candidate = Path(relative)
    if not relative or candidate.is_absolute() or ".." in candidate.parts or "\\" in relative:
        raise PlanPathError(relative)
    if len(relative.encode()) > MAX_PATH_BYTES or any(
        len(part.encode()) > MAX_NAME_BYTES for part in candidate.parts
    ):
        raise PlanPathError(relative, f"is longer than a plan path may be ({MAX_PATH_BYTES} bytes)")
    root = library.resolve()
    try:
        full = (root / candidate).resolve()
        if not full.is_relative_to(root):
            raise PlanPathError(relative)
        if workspace is not None and full.is_relative_to(workspace.resolve()):
            raise PlanPathError(relative, "is in the server's workspace, not its plan library")
        found = full.is_file()
    except RuntimeError as exc:  # a link loop, before Python 3.13
        raise PlanPathError(relative, LOOP) from exc
    except OSError as exc:
        raise PlanPathError(relative, LOOP if exc.errno == errno.ELOOP else "cannot be looked up") from exc
    if not found:
        raise PlanNotFound(relative)
    return full


def load_json(path: Path) -> Any:
    """A library file, read as strictly as a request body (`mantis.strictjson`)."""
    try:
        return strictjson.loads(path.read_bytes())
    except strictjson.JsonRefused as exc:
        raise PlanInvalid([{"path": "", "message": f"the plan file is refused: {exc}"}]) from exc
    except OSError as exc:
        message = f"the plan file cannot be read: {exc.strerror}"
        raise PlanInvalid([{"path": "", "message": message}]) from exc


def resolve_micro(document: Any, source: str | None = None) -> ResolvedPlan:
    plan = _validate(MicroPlan, {"steps": document} if isinstance(document, list) else document)
    _check_labels(("steps", plan.steps))
    if plan.recipe is not None and recipe(plan.recipe) is None:
        message = f"unknown recipe {plan.recipe!r}; known: {', '.join(sorted(RECIPES))}"
        raise PlanInvalid([{"path": "recipe", "message": message}])
    return ResolvedPlan(
        kind="micro",
        source=source,
        name=plan.name,
        recipe=plan.recipe,
        runtime=plan.runtime,
        tasks=[ResolvedTask(steps=plan.steps)],
    )


def resolve_suite(document: Any, kind: PlanKind, source: str | None = None) -> ResolvedPlan:
    if isinstance(document, list):
        steps = _validate(MicroPlan, {"steps": document}).steps
        _check_labels(("steps", steps))
        return ResolvedPlan(kind=kind, source=source, tasks=[ResolvedTask(steps=steps)])
    suite = _validate(TaskSuite, document)
    _check_labels(*[(f"tasks[{i}].steps", t.steps or []) for i, t in enumerate(suite.tasks)])
    tasks = [
        ResolvedTask(
            task_id=t.task_id, start_url=t.start_url, intent=t.intent, steps=t.steps, extract=t.extract
        )
        for t in suite.tasks
    ]
    return ResolvedPlan(kind=kind, source=source, runtime=suite.runtime, base_url=suite.base_url, tasks=tasks)


def resolve_text(text: str) -> ResolvedPlan:
    return ResolvedPlan(kind="plan_text", tasks=[ResolvedTask(intent=text)])


def _check_labels(*groups: tuple[str, list[Step]]) -> None:
    """Refuses the plan when a jump names an id its list of steps does not have."""
    errors = [error for where, steps in groups for error in label_errors(steps, where)]
    if errors:
        raise PlanInvalid(errors)


def _validate(model: type[MicroPlan] | type[TaskSuite], document: Any) -> Any:
    if not isinstance(document, dict):
        raise PlanInvalid([{"path": "", "message": "a plan is a JSON object or a list of steps"}])
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise PlanInvalid(plan_errors(exc)) from exc


def plan_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Pydantic's errors as `{path, message}`, with paths such as `steps[3].then_target`."""
    out = []
    for error in exc.errors():
        path = prefix
        for item in error_loc(error["loc"]):
            path += f"[{item}]" if isinstance(item, int) else ("." if path else "") + str(item)
        out.append({"path": path, "message": _message(error)})
    return out


def _message(error: ErrorDetails) -> str:
    """Pydantic's message, saying for an unknown field which step type refuses it."""
    loc = error["loc"]
    tags = [item for i, item in enumerate(loc) if item in STEP_TYPES and i and isinstance(loc[i - 1], int)]
    if error["type"] != "extra_forbidden" or not tags:
        return error["msg"]
    where = "params" if len(loc) > 1 and loc[-2] == "params" else "fields"
    return f"not one of the {where} of a {tags[-1]} step (see docs/reference/steps.md)"

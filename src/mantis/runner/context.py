"""What one run carries while it executes: its folder, log, trace, variables, rows and limits."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from mantis.brains.base import Brain, PlanningError
from mantis.brains.cost import CostCapReached, Meter
from mantis.fence.policy import FencePolicy
from mantis.planes.base import NavigationBlocked, Session
from mantis.recipes.schema import ExtractionSchema
from mantis.replay.memory import Memory
from mantis.runner.failures import StepFailure as StepFailure
from mantis.runner.marks import Marks
from mantis.runner.rows import Row

if TYPE_CHECKING:
    from mantis.runner.checkpoint import Resume


@dataclass(frozen=True)
class Event:
    ts: str
    level: str
    type: str
    message: str
    step_index: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepResult:
    """One line of the trace: a step as executed, or a synthetic record of a branch taken."""

    index: int
    type: str
    intent: str
    status: str
    message: str = ""
    duration_ms: int = 0
    task_id: str | None = None
    screenshot: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    started_s: float = 0.0  # seconds since the run began, to place the step in the recording
    marks: Marks = field(default_factory=Marks)  # what the polished recording draws for the step

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> StepResult:
        """A trace line as `asdict` wrote it (a checkpoint's), its marks made whole again."""
        return cls(**{**body, "marks": Marks(**body.get("marks") or {})})


@dataclass(frozen=True)
class Deps:
    """What steps act through: the plane's session, the brain, and the plan's recipe if any."""

    session: Session
    brain: Brain
    recipe: ExtractionSchema | None = None


EventSink = Callable[[Event], None]
ProgressSink = Callable[[int, int, str], None]
CheckpointSink = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Limits:
    max_cost_usd: float
    max_time_minutes: float
    max_loop_iterations: int
    max_executed_steps: int
    max_agent_moves: int  # an agent loop's moves: as many as a plan may have steps


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class RunContext:
    run_id: str
    run_dir: Path
    base_url: str
    limits: Limits
    inputs: dict[str, Any] = field(default_factory=dict)
    on_event: EventSink | None = None
    on_progress: ProgressSink | None = None
    state_vars: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    trace: list[StepResult] = field(default_factory=list)
    meter: Meter = field(default_factory=lambda: Meter(cap_usd=0.0))
    fence: FencePolicy = field(default_factory=FencePolicy)
    visited: dict[str, set[str]] = field(default_factory=dict)
    marks: Marks = field(default_factory=Marks)  # the running step's, filled in as it acts
    started: float = field(default_factory=time.monotonic)
    on_checkpoint: CheckpointSink | None = None  # none: the run keeps no checkpoint
    resume: Resume | None = None  # the checkpoint this run took up
    warnings: list[str] = field(default_factory=list)  # what the result and the summary must say
    replay: Memory = field(default_factory=Memory)  # the plan's records of earlier runs (none: learns none)

    def emit(
        self, type_: str, message: str, *, level: str = "info", step_index: int | None = None, **data: Any
    ) -> None:
        event = Event(datetime.now(UTC).isoformat(), level, type_, message, step_index, data)
        with (self.run_dir / "events.log").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(event), default=str) + "\n")
        if self.on_event is not None:
            self.on_event(event)

    @contextmanager
    def step_failures(self, step_index: int | None = None) -> Iterator[None]:
        """Model, cost and allowlist errors as the step failures they are, each with its run error code."""
        try:
            yield
        except CostCapReached as exc:
            raise StepFailure(str(exc), code="cost_cap_reached") from exc
        except PlanningError as exc:
            raise StepFailure(str(exc), code=exc.code) from exc
        except NavigationBlocked as exc:
            self.emit("navigation.blocked", str(exc), level="warning", step_index=step_index)
            raise StepFailure(str(exc), code="domain_not_allowed") from exc

    def progress(self, index: int, total: int, intent: str) -> None:
        if self.on_progress is not None:
            self.on_progress(index, total, intent)

    @property
    def cost_usd(self) -> float:
        return self.meter.spent_usd

    @property
    def replayed_steps(self) -> int:
        """Steps done from a replay record with no model call, as the trace marks them."""
        return sum(1 for result in self.trace if result.marks.replay == "replayed")

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining_s(self) -> float:
        return self.limits.max_time_minutes * 60 - self.elapsed()

    def fill(self, value: Any) -> Any:
        """Replaces `{name}` with the request's inputs (and run variables); unknown names stay as written."""
        if not isinstance(value, str):
            return value

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in self.inputs:
                return str(self.inputs[name])
            if name in self.state_vars and not isinstance(self.state_vars[name], list | dict):
                return str(self.state_vars[name])
            return match.group(0)

        return PLACEHOLDER.sub(sub, value)

    def check_url(self, url: str) -> None:
        """A URL a step is about to open, checked before the browser sees it."""
        refusal = self.fence.refusal(url)
        if refusal is not None:
            self.emit("navigation.blocked", f"blocked navigation: {refusal}", level="warning", url=url)
            raise StepFailure(f"navigation blocked: {refusal}", code="domain_not_allowed")

    def absolute(self, url: str, base: str | None = None) -> str:
        """A URL against a task suite's absolute `base_url`, else against the server's own address
        (a root-relative URL keeps the server's path prefix)."""
        if _has_scheme(url):
            return url
        if base and _has_scheme(base):
            return urljoin(base, url)
        root = self.base_url.rstrip("/")
        return root + url if url.startswith("/") else urljoin(root + "/", url)


def _has_scheme(url: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url))

"""What every step type shares: the common fields, its capability, and the two kinds of handler."""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

if TYPE_CHECKING:
    from mantis.runner.steprun import Flow, StepRun

LABEL_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
"""A step id: starts with a letter or `_`, so it is never mistaken for a numeric target."""

Label = Annotated[str, Field(pattern=LABEL_PATTERN, max_length=100)]


def _target(value: int | str) -> int | str:
    if isinstance(value, int) and value < -1:
        raise ValueError("a numeric target is a 0-based step index, or -1 for none")
    if isinstance(value, str) and not re.match(LABEL_PATTERN, value):
        raise ValueError("a target is a step index or a step's id")
    return value


Target = Annotated[
    int | str,
    AfterValidator(_target),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": -1}, {"type": "string", "pattern": LABEL_PATTERN}]}
    ),
]
"""Where a jump goes: a 0-based step index (the seed's form; -1 is unset) or a step's `id`."""


class Params(BaseModel):
    """A step type's `params`; unknown names are refused, so a typo fails at submission."""

    model_config = ConfigDict(extra="forbid")


class StepBase(BaseModel):
    """The fields every step takes; each step type adds its own and names its `type`."""

    model_config = ConfigDict(extra="forbid")

    dom_aware: ClassVar[bool] = False
    """Only a DOM-aware plane (browser_use_plane) can run the step."""

    type: str = Field(description="What the step does: one of the step types below.")
    id: Label | None = Field(
        None, description="A label for the step, which then_target, else_target and loop_target may name."
    )
    intent: str = Field("", description="What the step does, in words; the target when no label is given.")
    timeout_s: float | None = Field(
        None, gt=0, description="Seconds the step may take (30, or 180 with a model)."
    )
    optional: bool = Field(False, description="A failure of this step is logged and the run goes on.")

    def needs_dom(self) -> bool:
        return self.dom_aware


class ActionStep(StepBase):
    """A step that does something on the page or to the run's variables."""

    @abstractmethod
    async def run(self, run: StepRun) -> str:
        """Does the step; returns the trace's one-line account of what happened."""


class ControlStep(StepBase):
    """A step that only decides which step runs next."""

    @abstractmethod
    def next_index(self, at: int, flow: Flow) -> int:
        """The index of the next step; records the branch taken in the trace."""

    @abstractmethod
    def targets(self) -> dict[str, Target]:
        """The step's jump targets by field name, for the checks made at submission."""

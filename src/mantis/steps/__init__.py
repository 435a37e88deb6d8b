"""The step types of the plan language, each defined once: its fields, capability, handler and reference
text live on its class; the plan models, the interpreter, `plan.schema.json` and docs/reference/steps.md
are all derived from `STEP_TYPES`."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter

from mantis.steps.base import StepBase
from mantis.steps.control import IfElse, Loop
from mantis.steps.extraction import Claude, CollectUrls, ExtractData, ExtractUrl, Observe
from mantis.steps.pages import GoBack, Navigate, Press, Scroll, Wait
from mantis.steps.tabs import CaptureLinkInNewTab, CloseTab, SwitchTab
from mantis.steps.targets import Click, DetectVisible, Fill, Select, Submit

AnyStep = (
    Navigate
    | Click
    | Submit
    | Fill
    | Select
    | Press
    | Scroll
    | Wait
    | GoBack
    | ExtractData
    | ExtractUrl
    | Claude
    | DetectVisible
    | IfElse
    | Loop
    | CollectUrls
    | Observe
    | CaptureLinkInNewTab
    | SwitchTab
    | CloseTab
)
Step = Annotated[AnyStep, Field(discriminator="type")]
"""One step of a plan, whichever its type; `type` picks the model that validates the rest."""

STEP_TYPES: dict[str, type[StepBase]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(AnyStep)
}
"""Each step type's name and model, in the order the reference lists them."""

_ADAPTER: TypeAdapter[Step] = TypeAdapter(Step)


def make_step(**fields: Any) -> Step:
    """A step from its fields, `type` among them: the code's way to write a step as a plan would."""
    return _ADAPTER.validate_python(fields)


def error_loc(loc: tuple[int | str, ...]) -> list[int | str]:
    """A validation error's location without the step-type tag pydantic puts after a step's index."""
    out: list[int | str] = []
    for i, item in enumerate(loc):
        if isinstance(item, str) and i and isinstance(loc[i - 1], int) and item in STEP_TYPES:
            continue
        out.append(item)
    return out

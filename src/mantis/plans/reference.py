"""docs/reference/steps.md, rendered from the step definitions so the reference cannot drift from them."""

from __future__ import annotations

import sys
from inspect import cleandoc

from pydantic import BaseModel

from mantis.plans.models import ExtractField, ExtractSpec, Runtime
from mantis.steps import STEP_TYPES
from mantis.steps.base import StepBase

_COMMON = set(StepBase.model_fields)


def _field_rows(model: type[BaseModel], skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        default = "required" if info.is_required() else f"`{info.get_default(call_default_factory=True)!r}`"
        if isinstance(info.get_default(call_default_factory=True), BaseModel):
            default = "`{}`"
        rows.append(f"| `{name}` | {default} | {info.description or ''} |")
    return rows


def _table(rows: list[str]) -> list[str]:
    return ["| field | default | meaning |", "| --- | --- | --- |", *rows]


def _step_section(name: str, model: type[StepBase]) -> list[str]:
    lines = [f"### `{name}`", "", " ".join(cleandoc(model.__doc__ or "").split()), ""]
    if model.dom_aware:
        lines += ["DOM-aware: only `browser_use_plane` runs it.", ""]
    elif "target_role" in model.model_fields:
        lines += ["DOM-aware when it has `target_role`.", ""]
    own = _field_rows(model, _COMMON | {"params"})
    if own:
        lines += [*_table(own), ""]
    params: object = model.model_fields["params"].annotation if "params" in model.model_fields else None
    if isinstance(params, type) and issubclass(params, BaseModel):
        lines += ["`params`:", "", *_table(_field_rows(params)), ""]
    return lines


def render() -> str:
    lines = [
        "# Reference: plan steps",
        "",
        "Generated from the step definitions in `src/mantis/steps/` "
        "(`python -m mantis.plans.reference > docs/reference/steps.md`); `plan.schema.json` is the "
        "machine-readable form. A field a step type does not list, in the step or in its `params`, is "
        "refused at submission (`invalid_plan`, with its path).",
        "",
        "## Fields of every step",
        "",
        *_table(_field_rows(StepBase)),
        "",
        "## Step types",
        "",
    ]
    for name, model in STEP_TYPES.items():
        lines += _step_section(name, model)
    lines += [
        "## `runtime`",
        "",
        *_table(_field_rows(Runtime)),
        "",
        "## `extract` (see [sending plans](../client/plans.md#inline-extraction-schema))",
        "",
        *_table(_field_rows(ExtractSpec)),
        "",
        "`fields[]`:",
        "",
        *_table(_field_rows(ExtractField)),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())

"""docs/reference/steps.md, rendered from the plan models so the reference cannot drift from them."""

from __future__ import annotations

import sys
from typing import get_args

from mantis.plans.models import (
    DOM_ONLY_STEPS,
    REQUIRED_PARAMS,
    ExtractField,
    ExtractSpec,
    Runtime,
    Step,
    StepType,
)

# What each step does and the params it reads; a test checks every step type has an entry.
STEP_DOCS: dict[str, tuple[str, str]] = {
    "navigate": (
        "Loads a URL. With `url_from`, takes the next unvisited URL of a list variable and sets "
        "`<var>_exhausted` when none is left (then it does not navigate).",
        "`url` or `url_from`",
    ),
    "click": (
        "Clicks the element whose accessible name matches `label` (else the intent's target); with "
        "`target_role`, the recipe's element for that role (`index`, 1-based).",
        "`label`, `index`",
    ),
    "submit": ("Clicks the button that submits a form; the same grounding as `click`.", "`label`"),
    "fill": (
        "Types `text` into the field named `label` (its previous content is replaced).",
        "`label`, `text`",
    ),
    "select": (
        "Picks `option` (its visible text, else its value) in the drop-down named `label`.",
        "`label`, `option` or `value`",
    ),
    "press": (
        "Presses a key or chord on the focused element: `Enter`, `Tab`, `Escape`, `Control+a`.",
        "`key`",
    ),
    "scroll": ("Scrolls down `budget` times (one screen-ish each).", "`amount` when `budget` is unset"),
    "wait": ("Waits `seconds` (default 1), within the step's timeout and the run's time cap.", "`seconds`"),
    "go_back": ("The browser's back button.", "none"),
    "extract_data": (
        "Extracts rows with the step's `extract` block (else the task's, else the recipe's; "
        "else a WARNING and every row is rejected `no_schema_configured`).",
        "none",
    ),
    "extract_url": ("Writes the current page's URL to `out_var` (default `current_url`).", "none"),
    "claude": (
        "A model step; it extracts like `extract_data` (offline only with an `extract` block).",
        "none",
    ),
    "detect_visible": (
        "Writes to `out_var` whether what `label` (else the intent) names is visible.",
        "`label`",
    ),
    "if_else": (
        "Jumps to `then_target` when `condition_var` is truthy, else to `else_target`; a missing "
        "variable, -1 or an out-of-range target falls through to the next step.",
        "none",
    ),
    "loop": (
        "Jumps to `loop_target` up to `loop_count` times (clamped to MANTIS_MAX_LOOP_ITERATIONS); a "
        "truthy `stop_var` exits early.",
        "none",
    ),
    "collect_urls": (
        "Puts the links of a list page's items into the list variable `var` (at most `max`); a "
        "recipe's excluded cards are left out.",
        "`var`, `max`",
    ),
    "capture_link_in_new_tab": (
        "Reads the target link's href without clicking it and opens it in a new "
        "tab, which becomes current; the URL goes to `out_var`.",
        "`label`, `index`",
    ),
    "switch_tab": ("Makes tab `index` current (0 is the first, -1 the last).", "`index`"),
    "close_tab": ("Closes the current tab and returns to the last one left.", "none"),
}


def _field_rows(model: type[Step] | type[Runtime] | type[ExtractSpec] | type[ExtractField]) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        default = "required" if info.is_required() else f"`{info.get_default(call_default_factory=True)!r}`"
        rows.append(f"| `{name}` | {default} | {info.description or ''} |")
    return rows


def render() -> str:
    lines = [
        "# Reference: plan steps",
        "",
        "Generated from the plan models (`python -m mantis.plans.reference > docs/reference/steps.md`); "
        "`plan.schema.json` is the machine-readable form.",
        "",
        "## Step fields",
        "",
        "| field | default | meaning |",
        "| --- | --- | --- |",
        *_field_rows(Step),
        "",
        "## Step types",
        "",
        "| type | params | needs | DOM-aware | does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for step_type in get_args(StepType):
        summary, params = STEP_DOCS[step_type]
        needs = " and ".join(" or ".join(f"`{p}`" for p in alt) for alt in REQUIRED_PARAMS.get(step_type, ()))
        dom = "yes" if step_type in DOM_ONLY_STEPS else "no"
        lines.append(f"| `{step_type}` | {params} | {needs or '-'} | {dom} | {summary} |")
    lines += [
        "",
        "Any `click` or `capture_link_in_new_tab` step with `target_role` is DOM-aware too.",
        "",
        "## `runtime`",
        "",
        "| field | default | meaning |",
        "| --- | --- | --- |",
        *_field_rows(Runtime),
        "",
        "## `extract` (see [sending plans](../client/plans.md#inline-extraction-schema))",
        "",
        "| field | default | meaning |",
        "| --- | --- | --- |",
        *_field_rows(ExtractSpec),
        "",
        "`fields[]`:",
        "",
        "| field | default | meaning |",
        "| --- | --- | --- |",
        *_field_rows(ExtractField),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())

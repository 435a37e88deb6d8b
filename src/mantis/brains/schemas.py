"""The answer shapes both adapters ask for, built from the plan models, and the repair of what comes back."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mantis.brains.base import PlanningError
from mantis.brains.calls import ModelCallError
from mantis.brains.prompts import plan_task
from mantis.plans.labels import label_errors
from mantis.plans.models import ExtractField, ExtractSpec, Step
from mantis.plans.values import coerce
from mantis.steps import error_loc
from mantis.steps.extraction import Extracting

# Each field type as the model is asked for it: a JSON type, and what the string types must look like.
_JSON_TYPES: dict[str, tuple[str, str]] = {
    "int": ("integer", "a whole number; null when the page shows a fraction"),
    "str": ("string", ""),
    "bool": ("boolean", ""),
    "float": ("number", ""),
    "decimal": ("string", "the exact amount as shown, with its currency sign or code if any (e.g. $19.99)"),
    "date": ("string", "a date, YYYY-MM-DD"),
    "datetime": ("string", "a date and time, ISO 8601 (YYYY-MM-DDTHH:MM:SS, with the offset if shown)"),
    "url": ("string", "an absolute http(s) URL"),
}
_STEPS: TypeAdapter[list[Step]] = TypeAdapter(list[Step])


def _strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def rows_schema(spec: ExtractSpec) -> dict[str, Any]:
    """`{"rows": [...]}` with one typed, nullable property per field; strict-mode compatible."""
    fields = {f.name: _field_schema(f) for f in spec.fields}
    rows = {"type": "array", "maxItems": spec.max_items or 1, "items": _strict_object(fields)}
    return _strict_object({"rows": rows})


def _field_schema(field: ExtractField) -> dict[str, Any]:
    need = ("required" if field.required else "optional") + "; null when the page does not show it"
    if field.type == "list[str]":
        return {"type": ["array", "null"], "items": {"type": "string"}, "description": need}
    json_type, shape = _JSON_TYPES[field.type]
    return {"type": [json_type, "null"], "description": f"{shape}; {need}" if shape else need}


def choice_schema(count: int) -> dict[str, Any]:
    return _strict_object({"choice": {"type": "integer", "minimum": 0, "maximum": count}})


VISIBLE_SCHEMA = _strict_object({"visible": {"type": "boolean"}})


@cache
def plan_schema() -> dict[str, Any]:
    """`{"steps": [Step, …]}`, the Step schema (one model per step type, picked by `type`) generated from
    the step definitions so it cannot drift."""
    steps = _STEPS.json_schema()
    return {
        "type": "object",
        "properties": {"steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Step"}}},
        "required": ["steps"],
        "$defs": {**steps["$defs"], "Step": steps["items"]},
    }


def lenient_json(text: str) -> Any:
    """JSON from a reply that may wrap it in prose or a code fence; None when there is none."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        return json.loads(text)
    except ValueError:
        pass
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    end = text.rfind("}" if text[start] == "{" else "]")
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None


def repair_rows(raw: Any, spec: ExtractSpec) -> list[dict[str, Any]]:
    """Rows keyed by field name: unknown keys dropped, values coerced to their field's type (None when they
    cannot be), at most `max_items`. An answer with no rows in it fails the step with the reason."""
    names = {f.name for f in spec.fields}
    if isinstance(raw, dict) and isinstance(raw.get("rows"), str):
        raw = {"rows": lenient_json(raw["rows"])}  # some models send the array as a JSON string
    if isinstance(raw, dict) and isinstance(raw.get("rows"), list):
        items = raw["rows"]
    elif isinstance(raw, list):
        items = raw
    elif isinstance(raw, dict) and names & set(raw):
        items = [raw]
    else:
        shown = json.dumps(raw, default=str)[:200] if raw is not None else "no JSON"
        raise ModelCallError(f"the model's answer has no rows: {shown}", code="model_invalid_output")
    rows = [
        {f.name: coerce(item.get(f.name), f.type) for f in spec.fields}
        for item in items
        if isinstance(item, dict)
    ]
    if items and not rows:
        raise ModelCallError("the model's rows are not objects", code="model_invalid_output")
    return rows[: spec.max_items or 1]


def visible_of(answer: Any) -> bool:
    visible = answer.get("visible") if isinstance(answer, dict) else answer
    if not isinstance(visible, bool):
        raise ModelCallError(
            f"the model did not answer true or false: {answer!r}", code="model_invalid_output"
        )
    return visible


class InvalidPlan(ValueError):
    """The model's plan does not validate; the message lists why, for the repair round."""


def validate_plan(raw: Any) -> list[Step]:
    steps = raw.get("steps") if isinstance(raw, dict) else raw
    if not isinstance(steps, list) or not steps:
        raise InvalidPlan('the answer is not {"steps": [ … ]} with at least one step')
    try:
        parsed = _STEPS.validate_python(steps)
    except ValidationError as exc:
        raise InvalidPlan("\n".join(_describe(error) for error in exc.errors())) from exc
    if problems := label_errors(parsed):
        raise InvalidPlan("\n".join(f"{p['path']}: {p['message']}" for p in problems))
    bare = [
        str(i)
        for i, step in enumerate(parsed)
        if isinstance(step, Extracting) and not step.extract
    ]
    if bare:
        raise InvalidPlan(f"extraction steps {', '.join(bare)} need an extract block with their fields")
    return parsed


def _describe(error: Any) -> str:
    loc = error_loc(error["loc"])
    where = f"step {loc[0]}" + "".join(f".{part}" for part in loc[1:]) if loc else "plan"
    return f"{where}: {error['msg']}"


async def plan_with_repair(ask: Callable[[str], Awaitable[Any]], text: str) -> list[Step]:
    """Asks for a plan; an invalid one goes back once with its validation errors, then the run fails."""
    first = await ask(plan_task(text))
    try:
        return validate_plan(first)
    except InvalidPlan as exc:
        errors = str(exc)
    second = await ask(plan_task(text, first, errors))
    try:
        return validate_plan(second)
    except InvalidPlan as exc:
        raise PlanningError(
            f"the model's plan is still invalid after one repair round: {exc}", code="model_invalid_plan"
        ) from exc

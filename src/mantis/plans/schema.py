"""`plan.schema.json`, generated from the plan models so that it can never drift from them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from mantis.plans.models import MicroPlan, Step, TaskSuite

SCHEMA_PATH = "/v1/plan.schema.json"
SCHEMA_ID = "https://mantis.dev/plan.schema.json"
"""The committed file's `$id`; a server serves the schema at SCHEMA_PATH with that URL as its `$id`."""


@cache
def plan_schema() -> dict[str, Any]:
    schema = TypeAdapter(MicroPlan | list[Step] | TaskSuite).json_schema(ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Mantis plan",
        "description": "A micro-plan (a list of steps, or an object with runtime and steps) or a task suite.",
        **schema,
    }


def render() -> str:
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"


def write(path: Path) -> None:
    path.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())

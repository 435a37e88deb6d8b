"""The plan language: the seed's examples validate, bad plans fail with paths, the schema is fresh."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mantis.plans import resolve
from mantis.plans.schema import render

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "spec" / "seeds" / "004_d32729175184933e.txt"


def test_committed_schema_is_fresh() -> None:
    committed = (REPO / "plan.schema.json").read_text()
    assert committed == render(), (
        "plan.schema.json is stale: run python -m mantis.plans.schema > plan.schema.json"
    )


def test_schema_documents_the_extract_block_where_the_seed_says() -> None:
    schema = json.loads(render())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    extract = schema["$defs"]["ExtractData"]["properties"]["extract"]
    assert {"$ref": "#/$defs/ExtractSpec"} in extract["anyOf"]
    assert set(schema["$defs"]["ExtractSpec"]["properties"]) == {
        "schema_name",
        "entity_name",
        "fields",
        "max_items",
    }


def _strip_comments(text: str) -> str:
    return re.sub(r"\s//[^\n]*", "", text)


def _seed_blocks() -> list[str]:
    """The JSON plan blocks of the seed page: each starts at a line that is `[` or `{` alone."""
    if not SEED.exists():
        pytest.skip("the seed pages are not beside the repository")
    text = SEED.read_text()
    blocks = []
    for match in re.finditer(r"^(\[|\{)\n.*?^(\]|\})$", text, re.S | re.M):
        blocks.append(_strip_comments(match.group(0)))
    return blocks


def test_every_plan_in_the_seed_page_validates() -> None:
    plans = [json.loads(b) for b in _seed_blocks() if '"type"' in b or '"steps"' in b]
    plans = [p for p in plans if isinstance(p, list) or "steps" in p]
    assert len(plans) >= 2
    for plan in plans:
        resolved = resolve.resolve_micro(plan)
        assert resolved.step_count() >= 2


def test_extract_block_defaults() -> None:
    plan = resolve.resolve_micro([{"type": "extract_data", "extract": {"fields": [{"name": "title"}]}}])
    spec = plan.tasks[0].steps[0].extract  # type: ignore[index]
    assert spec is not None
    assert (spec.schema_name, spec.entity_name, spec.max_items) == ("rows", "item", None)
    assert spec.fields[0].type == "str" and spec.fields[0].required is True


@pytest.mark.parametrize(
    ("plan", "path"),
    [
        ([{"type": "navigate"}], "steps[0].params"),
        ([{"type": "if_else", "condition_var": "x", "then_target": -2}], "steps[0].then_target"),
        ([{"type": "click", "bogus": 1}], "steps[0].bogus"),
        ({"steps": [{"type": "fill", "params": {"label": "Email"}}]}, "steps[0].params.text"),
        ({"steps": [{"type": "extract_data", "extract": {"fields": []}}]}, "steps[0].extract.fields"),
        (
            {"steps": [{"type": "extract_data", "extract": {"fields": [{"name": "a", "type": "money"}]}}]},
            "steps[0].extract.fields[0].type",
        ),
        (
            {"runtime": {"compute_backend": "gpu_plane"}, "steps": [{"type": "wait"}]},
            "runtime.compute_backend",
        ),
        ({"steps": []}, "steps"),
    ],
)
def test_invalid_plans_report_their_path(plan: object, path: str) -> None:
    with pytest.raises(resolve.PlanInvalid) as caught:
        resolve.resolve_micro(plan)
    assert path in [e["path"] for e in caught.value.errors]


def test_task_suite_shapes() -> None:
    suite = resolve.resolve_suite(
        {
            "base_url": "https://crm.example.com",
            "tasks": [
                {"task_id": "t1", "start_url": "/login", "intent": "Sign in"},
                {
                    "task_id": "t2",
                    "start_url": "https://crm.example.com/c",
                    "intent": "x",
                    "steps": [{"type": "wait"}],
                },
            ],
        },
        "task_suite",
    )
    assert [t.task_id for t in suite.tasks] == ["t1", "t2"]
    assert suite.tasks[0].steps is None and suite.step_count() == 1
    assert suite.navigate_urls() == ["https://crm.example.com", "/login", "https://crm.example.com/c"]
    flat = resolve.resolve_suite([{"type": "wait"}], "task_suite")
    assert flat.step_count() == 1


def test_plan_library_paths_stay_inside(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "ok.json").write_text("[]")
    (tmp_path.parent / "outside.json").write_text("[]")
    (tmp_path / "plans" / "link.json").symlink_to(tmp_path.parent / "outside.json")
    assert resolve.library_path(tmp_path, "plans/ok.json").name == "ok.json"
    for bad in ("../outside.json", "/etc/passwd", "plans/../../outside.json", "plans/link.json", ""):
        with pytest.raises(resolve.PlanPathError):
            resolve.library_path(tmp_path, bad)
    with pytest.raises(resolve.PlanNotFound):
        resolve.library_path(tmp_path, "plans/missing.json")


def test_step_reference_is_fresh_and_covers_every_step_type() -> None:
    from mantis.plans import reference
    from mantis.steps import STEP_TYPES

    text = reference.render()
    assert all(f"### `{name}`" in text for name in STEP_TYPES)
    committed = (REPO / "docs" / "reference" / "steps.md").read_text()
    assert committed == reference.render(), "run python -m mantis.plans.reference > docs/reference/steps.md"


def test_an_unknown_recipe_is_an_invalid_plan() -> None:
    with pytest.raises(resolve.PlanInvalid) as caught:
        resolve.resolve_micro({"recipe": "no_such_recipe", "steps": [{"type": "wait"}]})
    assert caught.value.errors[0]["path"] == "recipe"
    assert "marketplace_listings" in caught.value.errors[0]["message"]


def _paths(plan: object) -> list[str]:
    with pytest.raises(resolve.PlanInvalid) as caught:
        resolve.resolve_micro(plan)
    return [e["path"] for e in caught.value.errors]


def test_a_typo_in_params_is_refused_at_its_path() -> None:
    assert _paths([{"type": "click", "params": {"lable": "Sign in"}}]) == ["steps[0].params.lable"]


def test_a_field_of_another_step_type_is_refused() -> None:
    misplaced = [{"type": "navigate", "params": {"url": "/"}, "out_var": "x", "then_target": 2}]
    assert sorted(_paths(misplaced)) == ["steps[0].out_var", "steps[0].then_target"]
    assert _paths([{"type": "wait", "params": {"url": "/"}}]) == ["steps[0].params.url"]
    assert _paths([{"type": "click", "extract": {"fields": [{"name": "a"}]}}]) == ["steps[0].extract"]


def test_labels_resolve_and_bad_ones_are_refused() -> None:
    good = [
        {"id": "top", "type": "wait"},
        {"type": "if_else", "condition_var": "x", "then_target": "top", "else_target": 0},
    ]
    assert resolve.resolve_micro(good).step_count() == 2
    assert _paths([{"id": "a", "type": "wait"}, {"id": "a", "type": "wait"}]) == ["steps[1].id"]
    assert _paths([{"type": "loop", "loop_target": "nowhere"}]) == ["steps[0].loop_target"]
    assert _paths([{"id": "3", "type": "wait"}]) == ["steps[0].id"]
    suite = {"tasks": [{"task_id": "t", "start_url": "/", "steps": [{"type": "loop", "loop_target": "x"}]}]}
    with pytest.raises(resolve.PlanInvalid) as caught:
        resolve.resolve_suite(suite, "task_suite")
    assert [e["path"] for e in caught.value.errors] == ["tasks[0].steps[0].loop_target"]


def test_numeric_targets_past_the_end_are_warnings() -> None:
    plan = resolve.resolve_micro([{"type": "wait"}, {"type": "loop", "loop_target": 2, "loop_count": 1}])
    assert plan.warnings() == [
        "steps[1].loop_target: 2 is past the last step (index 1); the run falls through to the next step"
    ]
    assert resolve.resolve_micro([{"type": "if_else", "condition_var": "x"}]).warnings() == []

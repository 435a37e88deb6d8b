"""What plan authors write, through the real server on the tests' own pages: `out_var` on every step
that writes a variable, `"$schema"` at the top of a plan, and the served schema an editor fetches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from tests.conftest import REPO, Server

from mantis.plans import resolve


def result_of(server: Server, plan: Any) -> dict[str, Any]:
    body = {"micro": plan, "compute_backend": "browser_use_plane", "detached": False}
    response = server.predict(body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_collect_urls_writes_out_var_and_navigate_walks_it(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "click", "params": {"label": "No thanks"}},
        {"type": "collect_urls", "intent": "Collect the products", "out_var": "links", "params": {"max": 2}},
        {"id": "next", "type": "navigate", "params": {"url_from": "links"}},
        {"type": "extract_url", "out_var": "last"},
        {"type": "loop", "loop_target": "next", "loop_count": 5, "stop_var": "links_exhausted"},
    ]
    body = result_of(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    variables = body["result"]["state_vars"]
    assert len(variables["links"]) == 2 and all("/p/" in url for url in variables["links"])
    assert variables["last"] == variables["links"][-1] and variables["links_exhausted"] is True


def test_params_var_stays_an_alias_of_out_var() -> None:
    alias = resolve.resolve_micro([{"type": "collect_urls", "params": {"var": "items"}}])
    assert alias.tasks[0].steps[0].var == "items"  # type: ignore[index, union-attr]
    with pytest.raises(resolve.PlanInvalid) as caught:
        resolve.resolve_micro([{"type": "collect_urls", "out_var": "a", "params": {"var": "b"}}])
    assert caught.value.errors[0]["path"] == "steps[0]"
    with pytest.raises(resolve.PlanInvalid):
        resolve.resolve_micro([{"type": "collect_urls"}])


def test_schema_is_public_and_names_itself(server: Server) -> None:
    response = httpx.get(f"{server.url}/v1/plan.schema.json", timeout=30)
    assert response.status_code == 200
    schema = response.json()
    assert schema["$id"] == f"{server.url}/v1/plan.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _examples() -> list[Path]:
    return sorted([*REPO.glob("plans/**/*.json"), *REPO.glob("tasks/**/*.json")])


@pytest.mark.parametrize("path", _examples(), ids=lambda p: str(p.relative_to(REPO)))
def test_an_editor_checking_against_the_schema_accepts_every_example(path: Path) -> None:
    validator = jsonschema_rs.Draft202012Validator(json.loads((REPO / "plan.schema.json").read_text()))
    document = json.loads(path.read_text())
    assert validator.is_valid(document), [e.message for e in validator.iter_errors(document)]


def test_an_editor_flags_the_typo_and_the_misplaced_field() -> None:
    validator = jsonschema_rs.Draft202012Validator(json.loads((REPO / "plan.schema.json").read_text()))
    plan: dict[str, Any] = {
        "$schema": "http://127.0.0.1:8000/v1/plan.schema.json",
        "steps": [{"type": "click", "params": {"label": "Sign in"}}],
    }
    assert validator.is_valid(plan)
    for bad in ({"lable": "Sign in"}, {"label": "Sign in", "url": "/"}):
        plan["steps"][0]["params"] = bad
        assert not validator.is_valid(plan)
    plan["steps"][0] = {"type": "click", "params": {"label": "Sign in"}, "then_target": 2}
    assert not validator.is_valid(plan)


def test_a_plan_may_name_its_schema(server: Server, site: str) -> None:
    schema = f"{server.url}/v1/plan.schema.json"
    plan = {"$schema": schema, "steps": [{"type": "navigate", "params": {"url": site}}]}
    assert result_of(server, plan)["status"] == "succeeded"
    suite = {
        "$schema": schema,
        "tasks": [{"task_id": "home", "start_url": site, "steps": [{"type": "extract_url"}]}],
    }
    body = {"task_suite": suite, "compute_backend": "browser_use_plane", "detached": False}
    response = server.predict(body)
    assert response.status_code == 200 and response.json()["status"] == "succeeded", response.text

"""`mantis validate` and the `validate` action: a plan checked without running it, every problem with its
path; nothing is created."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import REPO, Server
from typer.testing import CliRunner

from mantis.cli.main import app

BAD = {
    "steps": [
        {"type": "navigate", "params": {"url": "https://elsewhere.example/"}},
        {"type": "click", "params": {"lable": "Sign in"}},
        {"type": "extract_url", "then_target": 1},
    ]
}
NEEDS_DOM = [
    {"type": "navigate", "params": {"url": "https://example.com/"}},
    {"type": "capture_link_in_new_tab", "params": {"label": "Docs"}},
    {"type": "loop", "loop_target": "nowhere"},
]


def validate(*args: str) -> Any:
    return CliRunner().invoke(app, ["validate", *args])


@pytest.mark.parametrize("path", ["plans/example/extract_listings.json", "tasks/crm/crm_tasks.json"])
def test_good_files_are_valid(path: str) -> None:
    done = validate(str(REPO / path))
    assert done.exit_code == 0, done.output
    assert "valid (" in done.stdout and "on browser_use_plane" in done.stdout


def test_every_problem_is_printed_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(BAD))
    done = validate(str(bad))
    assert done.exit_code == 1
    assert "2 problem(s)" in done.stderr
    assert "steps[1].params.lable: not one of the params of a click step" in done.stderr
    assert "steps[2].then_target: not one of the fields of a extract_url step" in done.stderr


def test_plane_labels_allowlist_and_caps(tmp_path: Path) -> None:
    plan = tmp_path / "dom.json"
    plan.write_text(json.dumps(NEEDS_DOM))
    labels = json.loads(validate(str(plan), "--json").stdout)
    assert labels["valid"] is False
    assert [(p["path"], p["code"]) for p in labels["problems"]] == [("steps[2].loop_target", "invalid_plan")]
    plan.write_text(json.dumps([*NEEDS_DOM[:2], {"type": "loop", "loop_target": 0, "loop_count": 10_000}]))
    report = json.loads(validate(str(plan), "--json", "--allow-domain", "*.example.org").stdout)
    assert [(p["path"], p["code"]) for p in report["problems"]] == [
        ("steps[0].params.url", "domain_not_allowed"),
        ("steps[1]", "capability_missing"),
    ]
    assert report["warnings"] == ["steps[2].loop_count: 10000 is clamped to this server's 50"]
    on_dom = validate(str(plan), "--backend", "browser_use_plane", "--allow-domain", "example.com")
    assert on_dom.exit_code == 0, on_dom.output


def test_a_file_that_is_not_json_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{steps: [")
    done = validate(str(broken))
    assert done.exit_code == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.output


def test_the_validate_action_checks_without_a_run(server: Server) -> None:
    before = server.predict({"action": "list"}).json()
    body = {"action": "validate", "micro": BAD["steps"], "compute_backend": "browser_use_plane"}
    bad = server.predict(body)
    assert bad.status_code == 200, bad.text
    report = bad.json()
    assert report["valid"] is False and report["kind"] == "micro"
    assert [p["path"] for p in report["problems"]] == ["steps[1].params.lable", "steps[2].then_target"]
    good = server.predict({"action": "validate", "task_file": "tasks/crm/crm_tasks.json"}).json()
    assert good["valid"] is True and good["kind"] == "task_file" and good["steps"] == 18
    dom = server.predict({"action": "validate", "micro": NEEDS_DOM[:2]}).json()
    assert [p["code"] for p in dom["problems"]] == ["capability_missing"]
    assert dom["compute_backend"] == "computer_plane"
    missing = server.predict({"action": "validate", "task_file": "tasks/none.json"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "plan_not_found"
    typo = server.predict({"action": "validate", "micro": BAD["steps"], "max_costs": 1})
    assert typo.status_code == 400 and typo.json()["error"]["code"] == "unknown_field"
    assert server.predict({"action": "list"}).json() == before

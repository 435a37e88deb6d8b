"""Step ids as jump targets, through the real server on the tests' own pages: both branches by id, an
unknown id refused at submission, a numeric target past the end warned about and falling through."""

from __future__ import annotations

from typing import Any

from tests.conftest import Server


def result_of(server: Server, plan: Any) -> dict[str, Any]:
    body = {"micro": plan, "compute_backend": "browser_use_plane", "detached": False}
    response = server.predict(body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def branches(result: dict[str, Any]) -> list[str]:
    return [s["message"] for s in result["result"]["steps"] if s["status"] == "branch"]


def test_a_label_jump_takes_both_branches(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"id": "check", "type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "if_else", "condition_var": "promo", "then_target": "dismiss", "else_target": "done"},
        {"id": "dismiss", "type": "click", "params": {"label": "No thanks"}},
        {"type": "if_else", "condition_var": "promo", "then_target": "check", "else_target": "done"},
        {"type": "extract_url", "out_var": "skipped"},
        {"id": "done", "type": "extract_url", "out_var": "here"},
    ]
    body = result_of(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    assert branches(body) == ["promo=True→3", "promo=True→1", "promo=False→6"]
    assert "skipped" not in body["result"]["state_vars"]
    assert body["result"]["state_vars"]["here"].rstrip("/") == site


def test_an_unknown_label_is_refused_with_its_path(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"id": "start", "type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "loop", "loop_target": "strat", "loop_count": 2},
    ]
    response = server.predict({"micro": plan})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_plan"
    assert [d["path"] for d in error["details"]] == ["steps[2].loop_target"]
    assert "'strat'" in error["details"][0]["message"] and "start" in error["details"][0]["message"]


def test_an_out_of_range_number_warns_and_falls_through(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "if_else", "condition_var": "promo", "then_target": 9, "else_target": 1},
        {"type": "extract_url", "out_var": "here"},
    ]
    response = server.predict({"micro": plan, "compute_backend": "browser_use_plane"})
    assert response.status_code == 200, response.text
    queued = response.json()
    assert queued["warnings"] == [
        "steps[2].then_target: 9 is past the last step (index 3); the run falls through to the next step"
    ]
    final = server.wait(queued["run_id"])
    assert final["status"] == "succeeded"
    result = server.predict({"action": "result", "run_id": queued["run_id"]}).json()
    assert branches(result) == ["promo=True→3"]
    assert result["result"]["state_vars"]["here"].rstrip("/") == site


def test_a_plan_without_surprises_has_no_warnings(server: Server, site: str) -> None:
    response = server.predict({"micro": [{"type": "navigate", "params": {"url": site}}]})
    assert response.status_code == 200 and "warnings" not in response.json()

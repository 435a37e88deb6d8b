"""The HTTP contract of API.md for this stage: auth, submission checks, error bodies, actions."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Server

STEP = {"type": "navigate", "intent": "Open", "params": {"url": "/demo/news/"}}


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "retryable", "details"}
    assert "Traceback" not in response.text
    return dict(body["error"])


def test_missing_or_unknown_token_is_unauthorized(server: Server) -> None:
    for headers in ({}, {"X-Mantis-Token": "mt_not-a-token"}):
        response = httpx.post(f"{server.url}/v1/predict", json={"micro": [STEP]}, headers=headers)
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"


def test_platform_key_header_is_accepted_and_ignored_when_unset(server: Server) -> None:
    response = httpx.post(f"{server.url}/v1/predict", json={"action": "list"},
                          headers={**server.headers(), "Authorization": "Api-Key anything"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"micro": [STEP], "max_costs": 2}, 400, "unknown_field"),
        ({}, 400, "invalid_plan_shape"),
        ({"micro": [STEP], "plan_text": "go to /demo/news/"}, 400, "invalid_plan_shape"),
        ({"micro": "../etc/passwd"}, 400, "invalid_plan_path"),
        ({"micro": "/etc/passwd"}, 400, "invalid_plan_path"),
        ({"micro": "plans/example/nope.json"}, 404, "plan_not_found"),
        ({"task_file": "tasks/missing.json"}, 404, "plan_not_found"),
        ({"micro": [{"type": "teleport"}]}, 400, "invalid_plan"),
        ({"micro": [STEP], "max_cost": -1}, 400, "invalid_request"),
        ({"action": "explode", "run_id": "x"}, 400, "invalid_action"),
        ({"action": "status", "run_id": "20990101_000000_deadbeef"}, 404, "run_not_found"),
    ],
)
def test_bad_submissions_get_coded_errors(server: Server, body: dict[str, object], status: int, code: str) -> None:
    response = server.predict(body)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code


def test_unknown_field_names_the_fields(server: Server) -> None:
    error = error_of(server.predict({"micro": [STEP], "max_costs": 2, "recrod_video": True}))
    assert error["details"] == {"fields": ["max_costs", "recrod_video"]}
    assert "max_costs" in str(error["message"])


def test_invalid_plan_lists_paths(server: Server) -> None:
    plan = [STEP, {"type": "if_else", "condition_var": "x", "then_target": "three"}]
    error = error_of(server.predict({"micro": plan}))
    assert error["code"] == "invalid_plan"
    paths = [d["path"] for d in error["details"]]  # type: ignore[union-attr]
    assert paths == ["steps[1].then_target"]


def test_malformed_json_and_oversized_body(server: Server) -> None:
    bad = httpx.post(f"{server.url}/v1/predict", content=b"{nope", headers=server.headers())
    assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_json"
    big = httpx.post(f"{server.url}/v1/predict", content=b" " * (5 * 1024 * 1024 + 1), headers=server.headers())
    assert big.status_code == 413 and error_of(big)["code"] == "payload_too_large"


def test_plan_too_large(server: Server) -> None:
    response = server.predict({"micro": [STEP] * 201})
    assert response.status_code == 400 and error_of(response)["code"] == "plan_too_large"


def test_result_before_the_end_is_run_not_finished(server: Server) -> None:
    plan = [STEP, {"type": "wait", "intent": "Linger", "params": {"seconds": 3}}]
    run_id = server.predict({"micro": plan}).json()["run_id"]
    early = server.predict({"action": "result", "run_id": run_id})
    assert early.status_code == 409
    error = error_of(early)
    assert error["code"] == "run_not_finished" and error["retryable"] is True
    assert server.wait(run_id)["status"] == "succeeded"


def test_other_tenants_runs_do_not_exist(server: Server) -> None:
    run_id = server.predict({"micro": [STEP]}).json()["run_id"]
    other = server.tenant("intruder")
    for action in ("status", "result", "logs", "cancel"):
        response = server.predict({"action": action, "run_id": run_id}, token=other)
        assert response.status_code == 404 and error_of(response)["code"] == "run_not_found"
    assert httpx.get(f"{server.url}/v1/runs/{run_id}", headers=server.headers(other)).status_code == 404
    assert server.predict({"action": "list"}, token=other).json()["runs"] == []


def test_domain_allowlist_refuses_off_list_hosts(server: Server) -> None:
    token = server.tenant("fenced", "--allowed-domain", "*.example.com", "--allowed-domain", "crm.example.org")
    plan = [{"type": "navigate", "params": {"url": "https://evil.test/x"}}]
    response = server.predict({"micro": plan}, token=token)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "domain_not_allowed" and "evil.test" in str(error["message"])
    apex = server.predict({"micro": [{"type": "navigate", "params": {"url": "https://example.com/"}}]}, token=token)
    assert apex.status_code == 403
    ok = [{"type": "navigate", "params": {"url": "https://shop.example.com/"}}]
    assert server.predict({"micro": ok}, token=token).status_code == 200


def test_caps_are_clamped_and_echoed(server: Server) -> None:
    token = server.tenant("capped", "--max-cost", "5", "--max-minutes", "10")
    handle = server.predict({"micro": [STEP], "max_cost": 50, "max_time_minutes": 20}, token=token).json()
    assert handle["effective"]["max_cost"] == 5 and handle["effective"]["max_time_minutes"] == 10


def test_logs_page_with_a_cursor(server: Server) -> None:
    run_id = server.predict({"micro": [STEP]}).json()["run_id"]
    server.wait(run_id)
    first = server.predict({"action": "logs", "run_id": run_id, "limit": 2}).json()
    assert len(first["events"]) == 2 and first["events"][0]["type"] == "run.started"
    rest = server.predict({"action": "logs", "run_id": run_id, "cursor": first["next_cursor"]}).json()
    assert rest["events"] and rest["events"][-1]["type"] == "run.succeeded"
    assert {"ts", "level", "type", "step_index", "message", "data"} <= set(rest["events"][0])

"""The plan language through the real server, on pages served by the test itself (not the demo sites)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with small caps, so bounds are reached quickly."""
    running = start_server(
        tmp_path_factory.mktemp("tight"), MANTIS_MAX_STEPS_PER_PLAN="6", MANTIS_MAX_LOOP_ITERATIONS="3"
    )
    yield running
    stop_server(running)


def run(server: Server, plan: Any, token: str | None = None, **options: Any) -> dict[str, Any]:
    body = {"micro": plan, "compute_backend": "browser_use_plane", "detached": False, **options}
    response = server.predict(body, token=token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def events(server: Server, run_id: str, token: str | None = None) -> list[dict[str, Any]]:
    body = server.predict({"action": "logs", "run_id": run_id, "limit": 1000}, token=token).json()
    return list(body["events"])


def branches(result: dict[str, Any]) -> list[str]:
    return [s["message"] for s in result["result"]["steps"] if s["status"] == "branch"]


def test_if_else_takes_each_side_and_falls_through_safely(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "if_else", "condition_var": "promo", "then_target": 3, "else_target": 4},
        {"type": "click", "params": {"label": "No thanks"}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "if_else", "condition_var": "promo", "then_target": 99, "else_target": -1},
        {"type": "if_else", "condition_var": "never_set", "then_target": 0, "else_target": 0},
        {"type": "extract_url", "out_var": "here"},
    ]
    body = run(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    assert branches(body) == ["promo=True→3", "promo=False→6", "never_set=None→7"]
    assert body["result"]["state_vars"]["here"].rstrip("/") == site


def test_loop_clamps_to_the_server_cap_and_the_trace_says_so(tight: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "wait", "params": {"seconds": 0}},
        {"type": "loop", "loop_target": 1, "loop_count": 10},
    ]
    body = run(tight, plan)
    assert body["status"] == "succeeded", body["summary"]
    loops = [s for s in body["result"]["steps"] if s["type"] == "loop"]
    assert len(loops) == 4 and [s["data"]["target"] for s in loops] == [1, 1, 1, 3]
    assert all(
        s["data"]["loop_count_clamped"] == 3 and s["data"]["loop_count_requested"] == 10 for s in loops
    )


def test_stop_var_exits_a_loop_early(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "loop", "loop_target": 1, "loop_count": 5, "stop_var": "promo"},
    ]
    body = run(server, plan)
    assert branches(body) == ["promo=True→3"]


def test_every_run_is_bounded_by_executed_steps(tight: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "if_else", "condition_var": "promo", "then_target": 1, "else_target": 1},
    ]
    body = run(tight, plan)
    assert body["status"] == "failed"
    status = tight.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert status["error"]["code"] == "step_limit_reached"


def test_time_cap_ends_the_run_and_keeps_rows(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {
            "type": "extract_data",
            "extract": {"fields": [{"name": "name"}, {"name": "price", "type": "int"}], "max_items": 3},
        },
        {"type": "wait", "params": {"seconds": 30}, "timeout_s": 60},
    ]
    body = run(server, plan, max_time_minutes=0.1)
    status = server.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert body["status"] == "failed" and status["error"]["code"] == "time_cap_reached"
    assert [r["name"] for r in body["result"]["rows"]] == ["Widget Pro", "Gizmo Max", "Doohickey"]
    assert status["elapsed_seconds"] < 20


def test_no_schema_warns_at_step_entry_and_rejects_rows(server: Server, site: str) -> None:
    body = run(server, [{"type": "navigate", "params": {"url": site}}, {"type": "extract_data"}])
    assert body["status"] == "succeeded"
    assert [r["_rejection"] for r in body["result"]["rows"]] == ["no_schema_configured"]
    assert body["result"]["viable"] == 0 and body["result"]["leads"] == []
    warning = next(e for e in events(server, body["run_id"]) if e["type"] == "extract.no_schema")
    assert warning["level"] == "warning" and warning["step_index"] == 1
    assert warning["message"].startswith("[claude_step] extract_data step has no extraction schema\n")
    assert "(see docs/client/plans.md#inline-extraction-schema)" in warning["message"]


def test_inputs_fill_placeholders(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": "{start}"}},
        {"type": "fill", "params": {"label": "Search", "text": "{query}"}},
        {"type": "press", "params": {"key": "Enter"}},
        {"type": "extract_url", "out_var": "after"},
    ]
    body = run(server, plan, inputs={"start": site, "query": "blue widgets"})
    assert body["status"] == "succeeded", body["summary"]
    assert body["result"]["state_vars"]["after"].endswith("/search?q=blue+widgets")


def test_recipe_rules_change_what_the_run_does(server: Server, site: str) -> None:
    plan = {
        "recipe": "marketplace_listings",
        "steps": [
            {"type": "navigate", "params": {"url": site}},
            {"type": "click", "params": {"label": "No thanks"}},
            {"type": "collect_urls", "params": {"var": "items"}},
            {
                "type": "extract_data",
                "extract": {
                    "fields": [
                        {"name": "name"},
                        {"name": "price", "type": "int"},
                        {"name": "vendor", "required": False},
                    ],
                    "max_items": 4,
                },
            },
            {
                "type": "click",
                "intent": "Press the last button",
                "params": {"label": "Apply for financing"},
                "optional": True,
            },
            {
                "type": "click",
                "intent": "Contact the dealer about the Gizmo",
                "params": {"label": "Gizmo Max"},
            },
        ],
    }
    body = run(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    result = body["result"]
    assert all("/ads/" not in url for url in result["state_vars"]["items"])
    assert len(result["state_vars"]["items"]) == 3
    rejections = {r["name"]: r.get("_rejection") for r in result["rows"]}
    assert rejections["Widget Pro"] is None and rejections["Doohickey"] is None
    assert rejections["Gizmo Max"] == "spam_seller:dealer"
    ads = [name for name, rejection in rejections.items() if "Sponsored" in name]
    assert all(rejections[name] for name in ads)  # dropped by the extractor, or rejected as an excluded card
    financing, dealer = result["steps"][-2:]
    assert financing["status"] == "skipped" and "forbids clicking" in financing["message"]
    assert dealer["status"] == "skipped" and "rejects intents" in dealer["message"]


def test_navigation_off_the_allowlist_is_blocked_during_the_run(server: Server, site: str) -> None:
    token = server.tenant("only-loopback-ip", "--allowed-domain", "127.0.0.1")
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "click", "params": {"label": "Visit our partner"}},
    ]
    body = run(server, plan, token=token)
    status = server.predict({"action": "status", "run_id": body["run_id"]}, token=token).json()
    assert body["status"] == "failed" and status["error"]["code"] == "domain_not_allowed"
    blocked = [e for e in events(server, body["run_id"], token) if e["type"] == "navigation.blocked"]
    assert len(blocked) == 1 and "localhost" in blocked[0]["message"] and blocked[0]["step_index"] == 1


def test_tabs_open_switch_and_close(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "capture_link_in_new_tab", "params": {"label": "Doohickey"}, "out_var": "opened"},
        {"type": "extract_data", "extract": {"fields": [{"name": "name"}, {"name": "vendor"}]}},
        {"type": "switch_tab", "params": {"index": 0}},
        {"type": "extract_url", "out_var": "first"},
        {"type": "switch_tab", "params": {"index": 1}},
        {"type": "close_tab"},
        {"type": "extract_url", "out_var": "after_close"},
    ]
    body = run(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    state = body["result"]["state_vars"]
    assert state["opened"] == f"{site}/p/3"
    assert body["result"]["rows"][0]["name"] == "Doohickey" and body["result"]["rows"][0]["vendor"] == "Carla"
    assert state["first"].rstrip("/") == site and state["after_close"].rstrip("/") == site


def test_target_role_uses_the_recipe_on_a_news_list(server: Server) -> None:
    plan = {
        "recipe": "hacker_news",
        "steps": [
            {"type": "navigate", "params": {"url": "/demo/news/"}},
            {
                "type": "capture_link_in_new_tab",
                "target_role": "comment_count",
                "params": {"index": 2},
                "out_var": "thread",
            },
        ],
    }
    body = run(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    assert "/demo/news/item?id=" in body["result"]["state_vars"]["thread"]


def test_plan_text_in_controlled_english_runs_offline(server: Server) -> None:
    text = "Go to /demo/news/. Extract title and points of the first 3 stories."
    response = server.predict({"plan_text": text, "compute_backend": "browser_use_plane", "detached": False})
    body = response.json()
    assert body["status"] == "succeeded", body["summary"]
    assert len(body["result"]["rows"]) == 3 and all(r["title"] for r in body["result"]["rows"])


def test_free_prose_without_a_model_fails_model_required(server: Server) -> None:
    text = "Find me the cheapest flight to Paris next week and book it."
    body = server.predict(
        {"plan_text": text, "compute_backend": "browser_use_plane", "detached": False}
    ).json()
    status = server.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert body["status"] == "failed" and status["error"]["code"] == "model_required"
    assert "controlled English" in status["error"]["message"]


def test_plan_json_is_the_resolved_plan(server: Server, site: str) -> None:
    handle = server.predict({"micro": [{"type": "navigate", "params": {"url": site}}]}).json()
    server.wait(handle["run_id"])
    resolved = json.loads((Path(handle["status_path"]).parent / "plan.json").read_text())
    assert resolved["kind"] == "micro" and resolved["tasks"][0]["steps"][0]["params"]["url"] == site


def test_dom_aware_steps_fail_at_session_start_on_the_computer_plane(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "wait", "params": {"seconds": 0}},
        {"type": "capture_link_in_new_tab", "params": {"label": "Doohickey"}},
    ]
    body = run(server, plan, compute_backend="computer_plane")
    status = server.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert body["status"] == "failed" and status["error"]["code"] == "capability_missing"
    assert "steps[2] (capture_link_in_new_tab)" in status["error"]["message"]
    assert body["result"]["steps"] == []  # nothing ran: it failed before the session opened


def test_plan_runtime_backend_wins_over_the_request(server: Server, site: str) -> None:
    plan = {
        "runtime": {"compute_backend": "browser_use_plane"},
        "steps": [{"type": "navigate", "params": {"url": site}}],
    }
    handle = server.predict({"micro": plan, "compute_backend": "computer_plane"}).json()
    assert handle["effective"]["compute_backend"] == "browser_use_plane"


def test_scroll_and_go_back(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "scroll", "budget": 2},
        {"type": "click", "params": {"label": "Doohickey"}},
        {"type": "extract_url", "out_var": "product"},
        {"type": "go_back"},
        {"type": "extract_url", "out_var": "back"},
    ]
    body = run(server, plan)
    assert body["status"] == "succeeded", body["summary"]
    state = body["result"]["state_vars"]
    assert state["product"] == f"{site}/p/3" and state["back"].rstrip("/") == site
    assert body["result"]["steps"][1]["message"] == "scrolled 2"


def test_an_intent_only_task_is_planned_offline_in_controlled_english(server: Server) -> None:
    suite = {
        "base_url": "/demo/",
        "tasks": [
            {
                "task_id": "top",
                "start_url": "news/",
                "intent": "Extract title and points of the first 2 stories.",
            }
        ],
    }
    body = server.predict(
        {"task_suite": suite, "compute_backend": "browser_use_plane", "detached": False}
    ).json()
    assert body["status"] == "succeeded", body["summary"]
    assert len(body["result"]["rows"]) == 2 and all(r["title"] for r in body["result"]["rows"])
    assert {s["task_id"] for s in body["result"]["steps"]} == {"top"}


def test_the_event_stream_replays_the_log_and_ends_with_the_run(server: Server, site: str) -> None:
    run_id = server.predict(
        {"micro": [{"type": "navigate", "params": {"url": site}}], "compute_backend": "browser_use_plane"}
    ).json()["run_id"]
    with httpx.stream(
        "GET", f"{server.url}/v1/runs/{run_id}/events", headers=server.headers(), timeout=60
    ) as sse:
        assert sse.headers["content-type"].startswith("text/event-stream")
        kinds = [line.split(": ", 1)[1] for line in sse.iter_lines() if line.startswith("event: ")]
    assert kinds[0] == "run.started" and kinds[-1] == "end" and "run.succeeded" in kinds
    logged = [e["type"] for e in events(server, run_id)]
    assert kinds[:-1] == logged[: len(kinds) - 1]

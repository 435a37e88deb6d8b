"""One plan suite, two planes: the same plans give the same outcome on the DOM plane and on the pixels-only
computer plane, wherever the steps need no DOM-aware capability."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Server

PLANES = ["browser_use_plane", "computer_plane"]


def run(server: Server, plan: Any, plane: str) -> dict[str, Any]:
    body = server.predict({"micro": plan, "compute_backend": plane, "detached": False}).json()
    return dict(body)


@pytest.mark.parametrize("plane", PLANES)
def test_branching_on_what_is_visible(server: Server, site: str, plane: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
        {"type": "if_else", "condition_var": "promo", "then_target": 3, "else_target": 4},
        {"type": "click", "params": {"label": "No thanks"}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "still"},
    ]
    body = run(server, plan, plane)
    assert body["status"] == "succeeded", body["summary"]
    assert body["result"]["state_vars"] == {"promo": True, "still": False}
    assert [s["message"] for s in body["result"]["steps"] if s["status"] == "branch"] == ["promo=True→3"]


@pytest.mark.parametrize("plane", PLANES)
def test_typing_and_submitting_a_form(server: Server, site: str, plane: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "click", "params": {"label": "No thanks"}},
        {"type": "fill", "params": {"label": "Search", "text": "gadgets"}},
        {"type": "press", "params": {"key": "Enter"}},
        {"type": "wait", "params": {"seconds": 0.5}},
        {"type": "detect_visible", "intent": "Results for gadgets visible?", "out_var": "found"},
    ]
    body = run(server, plan, plane)
    assert body["status"] == "succeeded", body["summary"]
    assert body["result"]["state_vars"]["found"] is True


@pytest.mark.parametrize("plane", PLANES)
def test_a_target_that_is_not_there_fails_the_same_way(server: Server, site: str, plane: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "click", "params": {"label": "Checkout now"}},
    ]
    body = run(server, plan, plane)
    status = server.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert body["status"] == "failed" and status["error"]["code"] == "step_failed"
    assert "Checkout now" in status["error"]["message"]

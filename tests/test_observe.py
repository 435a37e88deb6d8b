"""The `observe` step on both planes, on the tests' own shop page: the controls a `label` can name, each
with its role and name, and a label taken from that list works in a later step."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import Server

PLANES = ["browser_use_plane", "computer_plane"]


def run(server: Server, plan: Any, plane: str) -> dict[str, Any]:
    body = {"micro": plan, "compute_backend": plane, "detached": False}
    response = server.predict(body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "succeeded", result["summary"]
    return dict(result["result"])


@pytest.mark.parametrize("plane", PLANES)
def test_observe_lists_controls_that_labels_can_name(server: Server, site: str, plane: str) -> None:
    plan = [{"type": "navigate", "params": {"url": site}}, {"type": "observe", "out_var": "seen"}]
    result = run(server, plan, plane)
    controls = result["state_vars"]["seen"]
    assert all(set(c) >= {"role", "name"} and c["name"] for c in controls)
    names = {c["name"] for c in controls}
    assert {"No thanks", "Apply for financing"} <= names, names
    if plane == "browser_use_plane":
        roles = {(c["role"], c["name"]) for c in controls}
        assert {("button", "No thanks"), ("link", "Widget Pro"), ("textbox", "Search")} <= roles, roles
    else:
        assert {c["role"] for c in controls} == {"text"}  # pixels have no roles: the texts read there
    step = next(s for s in result["steps"] if s["type"] == "observe")
    assert step["message"].startswith(f"{len(controls)} controls into seen: ")
    dismiss = next(c["name"] for c in controls if c["name"] == "No thanks")
    follow = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "click", "params": {"label": dismiss}},
        {"type": "detect_visible", "intent": "Newsletter popup visible?", "out_var": "promo"},
    ]
    assert run(server, follow, plane)["state_vars"]["promo"] is False

"""Intent-only tasks driven by Claude's computer tool through the real server: a stand-in speaking the
Anthropic Messages API answers the moves, and a real Chromium on each plane makes them on a page of the
tests' own. Each move is checked before it runs, and the run's cost is the priced usage."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image as PILImage
from tests.conftest import Server, start_server, stop_server

from brains_standin import StandIn, computer, message, tool_use

IN_PER_MTOK, OUT_PER_MTOK = 2.0, 10.0
EXTRACT = {"schema_name": "welcome", "fields": [{"name": "greeting"}]}


@pytest.fixture(scope="module")
def driven(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("driven"),
        ANTHROPIC_API_KEY="sk-ant-test",
        MANTIS_ANTHROPIC_BASE_URL=standin.url,
        MANTIS_CLAUDE_MODEL="claude-agent-test",
        MANTIS_PRICE_INPUT_PER_MTOK=str(IN_PER_MTOK),
        MANTIS_PRICE_OUTPUT_PER_MTOK=str(OUT_PER_MTOK),
    )
    yield running
    stop_server(running)


def driven_by_claude(site: str, plane: str = "browser_use_plane") -> dict[str, Any]:
    """A suite of one intent-only task on the tests' own sign-up page."""
    task = {"task_id": "sign-up", "start_url": "/sign-up", "intent": "Sign up as Ada", "extract": EXTRACT}
    suite = {"base_url": site, "tasks": [task]}
    return {"task_suite": suite, "compute_backend": plane, "cua_model": "claude", "detached": False}


def said(request: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in request["messages"][0]["content"])


def screenshot_size(request: dict[str, Any]) -> tuple[int, int]:
    [image] = [part for part in request["messages"][0]["content"] if part["type"] == "image"]
    with PILImage.open(io.BytesIO(base64.b64decode(image["source"]["data"]))) as shot:
        return shot.size


@pytest.mark.parametrize("plane", ["browser_use_plane", "computer_plane"])
def test_a_model_drives_an_intent_only_task_move_by_move(
    driven: Server, standin: StandIn, site: str, plane: str
) -> None:
    standin.reset()
    usage = [(3000, 60), (3100, 40), (3200, 60), (3300, 50), (4000, 30)]
    standin.script(
        message(computer("left_click", coordinate=[250, 120]), usage=usage[0]),
        message(computer("type", text="Ada"), usage=usage[1]),
        message(computer("left_click", coordinate=[250, 230]), usage=usage[2]),
        message(tool_use("finish", {"success": True, "answer": "Signed up"}), usage=usage[3]),
        message(tool_use("record_rows", {"rows": [{"greeting": "Welcome, Ada"}]}), usage=usage[4]),
    )
    answer = driven.predict(driven_by_claude(site, plane))
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert run["status"] == "succeeded", run
    result = driven.predict({"action": "result", "run_id": run["run_id"]}).json()["result"]
    assert result["rows"] == [{"greeting": "Welcome, Ada", "_viable": True}]

    moves = [step for step in result["steps"] if step["type"] == "agent"]
    assert [step["intent"] for step in moves] == [
        "click at (250, 120)",
        "type 'Ada'",
        "click at (250, 230)",
        "finish (done): Signed up",
    ]
    assert all(step["status"] == "succeeded" for step in result["steps"])

    turns = [request.body for request in standin.requests]
    assert len(turns) == 5
    for n, turn in enumerate(turns[:4]):
        assert [tool.get("name") or tool["type"] for tool in turn["tools"]] == [
            "computer_toolset_20260801",
            "navigate",
            "go_back",
            "finish",
        ]
        assert "Sign up as Ada" in said(turn) and screenshot_size(turn) == (1280, 800)
        assert said(turn).count("\n1. ") == (1 if n else 0)  # the moves so far, as text
    assert "type 'Ada': succeeded" in said(turns[3])
    if plane == "browser_use_plane":  # the click really submitted the form the typing filled in
        assert "/welcome?name=Ada" in said(turns[3])
        assert "Welcome, Ada" in said(turns[4])

    expected = sum(i * IN_PER_MTOK / 1e6 + o * OUT_PER_MTOK / 1e6 for i, o in usage)
    assert result["cost"]["usd"] == pytest.approx(expected)
    assert len(result["cost"]["calls"]) == 5


def test_a_move_off_the_allowlist_ends_the_run_before_it_is_made(
    driven: Server, standin: StandIn, site: str
) -> None:
    standin.reset()
    standin.script(message(tool_use("navigate", {"url": "https://elsewhere.example/"})))
    token = driven.tenant("agent-fenced", "--allowed-domain", "127.0.0.1")
    run = driven.status(driven.predict(driven_by_claude(site), token=token).json()["run_id"], token)
    assert run["status"] == "failed" and run["error"]["code"] == "domain_not_allowed", run
    assert "elsewhere.example" in run["error"]["message"]
    assert len(standin.requests) == 1


def test_moves_that_fail_are_shown_to_the_model_and_three_in_a_row_end_the_run(
    driven: Server, standin: StandIn, site: str
) -> None:
    standin.reset()
    off_screen = message(computer("left_click", coordinate=[5000, 10]))
    standin.script(off_screen, message(computer("scroll", scroll_direction="left")), off_screen)
    run = driven.status(driven.predict(driven_by_claude(site)).json()["run_id"])
    assert run["status"] == "failed" and run["error"]["code"] == "step_failed", run
    assert "3 moves in a row failed" in run["error"]["message"]
    turns = [request.body for request in standin.requests]
    assert len(turns) == 3
    assert "outside the 1280×800 screen" in said(turns[1]) and "only up and down" in said(turns[2])

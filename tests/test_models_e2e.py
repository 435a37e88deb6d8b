"""A model-backed run through the real server: plan_text decomposed and rows extracted by a model served by
a stand-in speaking the OpenAI wire format on 127.0.0.1, with the run's cost equal to the priced usage."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.conftest import Server, openai_standin_env, start_server, stop_server

from brains_standin import StandIn, completion

IN_PER_MTOK, OUT_PER_MTOK = 2.0, 10.0
PLAN = {
    "steps": [
        {"type": "navigate", "intent": "Open the news", "params": {"url": "/demo/news/"}},
        {
            "type": "extract_data",
            "intent": "Top stories",
            "extract": {
                "schema_name": "stories",
                "fields": [{"name": "rank", "type": "int"}, {"name": "title"}],
                "max_items": 2,
            },
        },
    ]
}
ROWS = {"rows": [{"rank": 1, "title": "First story"}, {"rank": 2, "title": "Second story"}]}


@pytest.fixture(scope="module")
def modelled(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("modelled"), **openai_standin_env(standin, IN_PER_MTOK, OUT_PER_MTOK)
    )
    yield running
    stop_server(running)


def test_plan_text_is_decomposed_extracted_and_priced(modelled: Server, standin: StandIn) -> None:
    standin.reset()
    standin.script(completion(json.dumps(PLAN), (1200, 300)), completion(json.dumps(ROWS), (5000, 80)))
    body = modelled.predict(
        {
            "plan_text": "Read the top two stories of the news site",
            "cua_model": "openai",
            "compute_backend": "browser_use_plane",
            "detached": False,
        }
    ).json()
    assert body["status"] == "succeeded", body["summary"]
    result = body["result"]
    assert [(r["rank"], r["title"]) for r in result["rows"]] == [(1, "First story"), (2, "Second story")]
    assert [c["purpose"] for c in result["cost"]["calls"]] == ["plan", "extract"]
    expected = ((1200 + 5000) * IN_PER_MTOK + (300 + 80) * OUT_PER_MTOK) / 1e6
    assert result["cost"]["usd"] == pytest.approx(expected)
    status = modelled.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert status["cost_usd"] == pytest.approx(expected)
    assert [r.path for r in standin.requests] == ["/v1/chat/completions"] * 2
    extract_request = json.dumps(standin.requests[1].body)
    assert "First story" not in extract_request  # the page went to the model, not our answer


def test_a_call_that_could_pass_the_cap_is_never_sent(modelled: Server, standin: StandIn) -> None:
    standin.reset()
    standin.script(completion(json.dumps(PLAN), (1200, 300)))
    body = modelled.predict(
        {
            "plan_text": "Read the top two stories",
            "cua_model": "openai",
            "max_cost": 0.0001,
            "compute_backend": "browser_use_plane",
            "detached": False,
        }
    ).json()
    status = modelled.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert body["status"] == "failed" and status["error"]["code"] == "cost_cap_reached"
    assert standin.requests == [] and body["result"]["cost"]["usd"] == 0


def test_a_model_that_is_not_configured_fails_naming_what_to_set(modelled: Server) -> None:
    body = modelled.predict(
        {
            "micro": [{"type": "wait"}],
            "cua_model": "holo3",
            "compute_backend": "browser_use_plane",
            "detached": False,
        }
    ).json()
    status = modelled.predict({"action": "status", "run_id": body["run_id"]}).json()
    assert status["error"]["code"] == "model_unavailable"
    assert "MANTIS_HOLO3_BASE_URL" in status["error"]["message"]

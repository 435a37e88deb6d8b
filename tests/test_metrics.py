"""`/metrics` moves with real work: runs, a (stand-in) model call and a webhook, scraped before and after."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.brains_standin import Reply, StandIn, completion
from tests.conftest import Server, start_server, stop_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

ROWS = {"rows": [{"title": "Alpha launches"}]}
USAGE = (1000, 100)  # tokens in and out of each model call


@pytest.fixture
def model() -> Iterator[StandIn]:
    standin = StandIn()
    standin.script(*[completion(json.dumps(ROWS), USAGE)] * 5)
    yield standin
    standin.close()


@pytest.fixture
def receiver() -> Iterator[StandIn]:
    standin = StandIn()
    standin.script(Reply({"ok": True}))
    yield standin
    standin.close()


@pytest.fixture
def server(tmp_path: Path, model: StandIn) -> Iterator[Server]:
    running = start_server(
        tmp_path / "home",
        MANTIS_ALLOW_PRIVATE_CALLBACKS="1",
        MANTIS_OPENAI_BASE_URL=f"{model.url}/v1",
        MANTIS_OPENAI_MODEL="qwen3-vl",
        MANTIS_PRICE_INPUT_PER_MTOK="100",
        MANTIS_PRICE_OUTPUT_PER_MTOK="100",
    )
    yield running
    stop_server(running)


def scrape(server: Server) -> Samples:
    text = httpx.get(f"{server.url}/metrics").text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_counters_gauges_and_histogram_move_with_a_run(server: Server, receiver: StandIn) -> None:
    before = scrape(server)
    waiting = {"micro": [{"type": "wait", "params": {"seconds": 3}}], "compute_backend": "browser_use_plane"}
    held = server.predict(waiting).json()["run_id"]
    server.wait(held, until=("running",))
    assert value(scrape(server), "mantis_runs_running") == 1

    plan = [
        {"type": "navigate", "params": {"url": "/demo/news/"}},
        {"type": "extract_data", "intent": "Read the top story", "extract": {"fields": [{"name": "title"}]}},
    ]
    body = {"micro": plan, "compute_backend": "browser_use_plane", "cua_model": "openai"}
    run_id = server.predict({**body, "callback_url": f"{receiver.url}/hook"}).json()["run_id"]
    assert server.wait(run_id)["status"] == "succeeded"
    assert server.wait(held)["status"] == "succeeded"
    deadline = time.monotonic() + 15

    def delivered(samples: Samples) -> float:
        return value(samples, "mantis_webhook_deliveries_total", outcome="delivered")

    while delivered(after := scrape(server)) == delivered(before):  # counted once recorded, after the answer
        assert time.monotonic() < deadline, "the webhook delivery was never counted"
        time.sleep(0.1)
    assert len(receiver.requests) == 1

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("mantis_runs_submitted_total") == 2
    assert moved("mantis_runs_finished_total", status="succeeded") == 2
    assert moved("mantis_run_duration_seconds_count") == 2
    assert moved("mantis_run_duration_seconds_sum") >= 3
    assert moved("mantis_run_duration_seconds_bucket", le="1.0") <= 1  # the 3 s run is past it
    spent = moved("mantis_model_cost_usd_total", provider="openai-compatible", model="qwen3-vl")
    assert spent == pytest.approx(sum(USAGE) * 100 / 1e6)
    assert moved("mantis_webhook_deliveries_total", outcome="delivered") == 1
    assert value(after, "mantis_runs_queued") == 0 and value(after, "mantis_runs_running") == 0

"""Schemathesis fuzzes every operation of `/openapi.json` against a real server with a valid token: no
answer may be a 5xx, carry a stack trace, or echo the token. Bounded and seeded, so a run is repeatable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import BaseSchema, Case
from tests.conftest import Server, start_server, stop_server

EXAMPLES_PER_OPERATION = 60  # five operations: a few hundred requests


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Runs the fuzzer manages to submit stay cheap: a short queue, a 3-second cap, no rate limit.
    running = start_server(
        tmp_path_factory.mktemp("mantis-fuzz"),
        MANTIS_RATE_LIMIT_PER_S="0",
        MANTIS_MAX_QUEUED_RUNS="3",
        MANTIS_MAX_RUNTIME_MINUTES="0.05",
    )
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def api_schema(server: Server) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=timedelta(seconds=20),
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_answer_is_a_server_error_or_leaks(case: Case, server: Server) -> None:
    response = case.call(headers=server.headers(), timeout=15)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:500]}"
    assert "Traceback" not in response.text
    assert server.token not in response.text

"""Schemathesis fuzzes `/openapi.json` against a real server with a valid token, on SQLite and on
PostgreSQL: no answer may be a 5xx, carry a stack trace, or echo the token. Bounded and seeded, so a run
is repeatable: valid and invalid requests to every operation, and more of them to `POST /v1/predict`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from tests.conftest import Server, start_server, stop_server

MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
EXAMPLES = {"every operation": 60, "POST /v1/predict": 100}  # per mode and backend


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, backend_env: dict[str, str]) -> Iterator[Server]:
    # Runs the fuzzer manages to submit stay cheap: a short queue, a 3-second cap, no rate limit.
    running = start_server(
        tmp_path_factory.mktemp("mantis-fuzz"),
        MANTIS_RATE_LIMIT_PER_S="0",
        MANTIS_MAX_QUEUED_RUNS="3",
        MANTIS_MAX_RUNTIME_MINUTES="0.05",
        **backend_env,
    )
    yield running
    stop_server(running)


@pytest.mark.parametrize("target", list(EXAMPLES))
@pytest.mark.parametrize("mode", MODES, ids=str)
def test_no_answer_is_a_server_error_or_leaks(server: Server, target: str, mode: GenerationMode) -> None:
    api = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    scope = api["/v1/predict"]["POST"] if target.startswith("POST") else api
    cases = scope.as_strategy(mode)

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES[target],
        deadline=timedelta(seconds=20),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def answer_is_clean(case: Case[Any]) -> None:
        case.headers.update(server.headers())  # the generator makes up tokens too
        response = case.call(timeout=15)
        what = f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, what
        assert "Traceback" not in response.text, what
        assert server.token not in response.text, what

    answer_is_clean()

"""Hostile input against a real server, on SQLite and on PostgreSQL: every request of the corpus in
tests/malformed.py gets a coded 4xx and creates nothing, and a property-based fuzz of the submission body
(hypothesis) never gets a 5xx or leaves a run stored behind an error answer."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.conftest import Server, start_server, stop_server
from tests.malformed import BAD_URLS, Case, corpus, library
from tests.test_api_contract import WAIT, error_of

from mantis.steps import STEP_TYPES
from mantis.store.db import make_engine
from mantis.store.models import Run

FUZZ_EXAMPLES = 120  # per backend: about 15 s each on a loaded two-core machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, backend_env: dict[str, str]) -> Iterator[Server]:
    # Runs that get through stay cheap: a 30-second cap, one worker, the DOM plane, no rate limit.
    home = tmp_path_factory.mktemp("mantis-malformed")
    running = start_server(
        home,
        MANTIS_PLANS_DIR=str(library(home / "library")),
        MANTIS_RATE_LIMIT_PER_S="0",
        MANTIS_MAX_RUNTIME_MINUTES="0.5",
        MANTIS_WORKERS="1",
        MANTIS_DEFAULT_COMPUTE_BACKEND="browser_use_plane",
        **backend_env,
    )
    yield running
    stop_server(running)


def stored_runs(server: Server) -> int:
    """Counted in the server's own database, not through the API under test."""
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Run)) or 0)
    finally:
        engine.dispose()


def send(server: Server, case: Case) -> httpx.Response:
    url = server.url + case.path
    headers = {**server.headers(), **dict(case.headers)}
    return httpx.request(case.method, url, content=case.body, headers=headers, timeout=60)


def test_every_hostile_request_gets_a_coded_4xx_and_creates_nothing(server: Server) -> None:
    seed = server.predict(WAIT).json()["run_id"]
    server.wait(seed)
    before = stored_runs(server)
    with ThreadPoolExecutor(4) as pool:  # four at a time: a shorter test, and a little concurrency
        answers = list(pool.map(lambda case: (case, send(server, case)), corpus(seed)))
    for case, response in answers:
        what = f"{case.group}, {case.label}: {response.status_code} {response.text[:300]}"
        assert 400 <= response.status_code < 500, what
        error_of(response)  # a code of API.md's table, with its status; no stack trace
    assert stored_runs(server) == before


# Hostile leaves: what JSON text can carry and a store or a runner may not take.
HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.sampled_from([2**53, -(2**53), 10**30, 2**64]),
    st.text(max_size=40),
    st.sampled_from(BAD_URLS),
    st.sampled_from(["a" * 300, "a/" * 600, "loop.json", "deep.json", "nan.json", "plans/example"]),
    st.booleans(),
    st.none(),
)
JSON_VALUE = st.recursive(
    HOSTILE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


STEPS = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(sorted(STEP_TYPES))},
        optional={
            "params": st.dictionaries(
                st.sampled_from(["url", "text", "key", "seconds", "var", "n"]), JSON_VALUE, max_size=3
            ),
            "timeout_s": HOSTILE,
            "budget": HOSTILE,
            "then_target": HOSTILE,
        },
    ),
    min_size=1,
    max_size=3,
)
SUBMISSION = st.fixed_dictionaries(
    {},
    optional={
        "micro": st.one_of(STEPS, st.fixed_dictionaries({"steps": STEPS}), HOSTILE),
        "task_file": HOSTILE,
        "task_suite": st.one_of(
            st.fixed_dictionaries(
                {"tasks": st.lists(st.fixed_dictionaries({"task_id": st.just("t"), "intent": HOSTILE}))},
                optional={"base_url": HOSTILE},
            ),
            JSON_VALUE,
        ),
        "plan_text": HOSTILE,
        "max_cost": HOSTILE,
        "max_time_minutes": HOSTILE,
        "video_fps": HOSTILE,
        "callback_url": HOSTILE,
        "inputs": st.one_of(
            st.dictionaries(st.text(max_size=8), JSON_VALUE, max_size=3),
            st.integers(min_value=30, max_value=2000).map(_deep),
            HOSTILE,
        ),
        "idempotency_key": HOSTILE,
    },
)


def test_fuzzed_submissions_never_get_a_5xx_or_leave_a_run_behind_an_error(server: Server) -> None:
    answered: set[str] = set()  # run ids answered so far: an idempotent repeat stores nothing new

    @given(body=SUBMISSION)
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=timedelta(seconds=20),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def clean(body: dict[str, Any]) -> None:
        body["detached"] = True
        raw = json.dumps(body, allow_nan=True)  # writes NaN and Infinity, and integers of any size
        before = stored_runs(server)
        response = httpx.post(
            f"{server.url}/v1/predict", content=raw, headers=server.headers(), timeout=60
        )
        what = f"{raw[:300]}: {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, what
        assert server.token not in response.text, what
        if response.status_code == 200:
            run_id = response.json()["run_id"]
            assert stored_runs(server) == before + (run_id not in answered), what
            assert _finite(response.json()["payload"]), what
            answered.add(run_id)
        else:
            error_of(response)
            assert stored_runs(server) == before, what

    clean()


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True

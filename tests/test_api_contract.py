"""The HTTP contract of API.md: auth, submission checks, idempotency, error bodies, actions; the whole
module runs once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError
from tests.conftest import REPO, Server, start_server, stop_server

from mantis.api import errors, reference
from mantis.store.db import make_engine, session_factory
from mantis.store.models import Run

STEP = {"type": "navigate", "intent": "Open", "params": {"url": "/demo/news/"}}
DOM = {"compute_backend": "browser_use_plane"}
WAIT = {"micro": [{"type": "wait", "params": {"seconds": 0.1}}], **DOM}

# API.md's error table, and the codes it calls retryable.
STATUS_OF = {
    **dict.fromkeys(
        (
            "invalid_json",
            "invalid_plan_shape",
            "invalid_plan",
            "invalid_plan_path",
            "plan_too_large",
            "unknown_field",
            "invalid_action",
            "invalid_request",
        ),
        400,
    ),
    **dict.fromkeys(("unauthorized", "platform_key_required"), 401),
    **dict.fromkeys(("forbidden_scope", "domain_not_allowed"), 403),
    **dict.fromkeys(("run_not_found", "plan_not_found", "artifact_not_found"), 404),
    **dict.fromkeys(("idempotency_conflict", "run_not_finished"), 409),
    "payload_too_large": 413,
    **dict.fromkeys(("too_many_runs", "rate_limited"), 429),
    "internal_error": 500,
    "unavailable": 503,
}
RETRYABLE = {"run_not_finished", "too_many_runs", "rate_limited", "internal_error", "unavailable"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, backend_env: dict[str, str]) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("mantis-contract"), **backend_env)
    yield running
    stop_server(running)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error of an answer, checked against API.md: its shape, its status, retryable, Retry-After."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "retryable", "details"}
    assert "Traceback" not in response.text
    error = dict(body["error"])
    assert STATUS_OF[str(error["code"])] == response.status_code
    assert error["retryable"] is (error["code"] in RETRYABLE)
    if response.status_code in (429, 503):
        assert int(response.headers["Retry-After"]) > 0
    return error


def test_missing_or_unknown_token_is_unauthorized(server: Server) -> None:
    for headers in ({}, {"X-Mantis-Token": "mt_not-a-token"}):
        response = httpx.post(f"{server.url}/v1/predict", json={"micro": [STEP]}, headers=headers)
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"


def test_platform_key_header_is_accepted_and_ignored_when_unset(server: Server) -> None:
    response = httpx.post(
        f"{server.url}/v1/predict",
        json={"action": "list"},
        headers={**server.headers(), "Authorization": "Api-Key anything"},
    )
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
        ({"micro": []}, 400, "invalid_plan"),
        ({"micro": [STEP], "max_cost": -1}, 400, "invalid_request"),
        ({"action": "explode", "run_id": "x"}, 400, "invalid_action"),
        ({"action": "status", "run_id": "20990101_000000_deadbeef"}, 404, "run_not_found"),
    ],
)
def test_bad_submissions_get_coded_errors(
    server: Server, body: dict[str, object], status: int, code: str
) -> None:
    response = server.predict(body)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code


def test_unknown_field_names_the_fields(server: Server) -> None:
    error = error_of(server.predict({"micro": [STEP], "max_costs": 2, "recrod_video": True}))
    assert error["details"] == {"fields": ["max_costs", "recrod_video"]}
    assert "max_costs" in str(error["message"])


def test_the_client_error_table_is_every_code_the_server_answers() -> None:
    """docs/client/errors.md lists each (status, code) of the error contract and of every `ApiError` the
    code raises, and nothing else."""
    import re

    table = (REPO / "docs/client/errors.md").read_text()
    documented = {(int(s), c) for s, c in re.findall(r"^\| (\d{3}) \| `(\w+)` \|", table, re.M)}
    source = "\n".join(p.read_text() for p in (REPO / "src/mantis").rglob("*.py"))
    raised = {(int(s), c) for s, c in re.findall(r'ApiError\(\s*(\d{3}),\s*"(\w+)"', source)}
    raised |= {(int(s), c) for s, c in re.findall(r'(\d{3}): "(\w+)"', source)}
    contract = {(status, code) for status, codes in errors.CODES.items() for code in codes}
    assert documented == contract | raised, (documented ^ (contract | raised))


def test_an_action_refuses_the_fields_it_does_not_read(server: Server) -> None:
    """`list` with a `profile_id` would look filtered and is not; `status` with a `limit` pages nothing."""
    run_id = "20990101_000000_deadbeef"
    for body, unread in (
        ({"action": "list", "profile_id": "shop"}, ["profile_id"]),
        ({"action": "list", "run_id": run_id}, ["run_id"]),
        ({"action": "status", "run_id": run_id, "limit": 5, "status": "failed"}, ["limit", "status"]),
        ({"action": "profiles", "cursor": "x"}, ["cursor"]),
        ({"action": "delete_profile", "profile_id": "shop", "run_id": run_id}, ["run_id"]),
    ):
        response = server.predict(body)
        assert response.status_code == 400, (body, response.text)
        error = error_of(response)
        assert error["code"] == "invalid_request"
        assert [d["path"] for d in error["details"]] == unread
    listed = server.predict({"action": "list", "status": "failed", "limit": 5, "cursor": None})
    assert listed.status_code == 200, listed.text


def test_every_action_says_which_fields_it_reads() -> None:
    from typing import get_args

    from mantis.api.actions import ACTION_FIELDS
    from mantis.api.schemas import ActionRequest

    assert set(ACTION_FIELDS) == set(get_args(ActionRequest.model_fields["action"].annotation))
    assert set().union(*ACTION_FIELDS.values()) == set(ActionRequest.model_fields) - {"action"}


def test_invalid_plan_lists_paths(server: Server) -> None:
    plan = [STEP, {"type": "if_else", "condition_var": "x", "then_target": "three"}]
    error = error_of(server.predict({"micro": plan}))
    assert error["code"] == "invalid_plan"
    paths = [d["path"] for d in error["details"]]
    assert paths == ["steps[1].then_target"]


def test_malformed_json_and_oversized_body(server: Server) -> None:
    bad = httpx.post(f"{server.url}/v1/predict", content=b"{nope", headers=server.headers())
    assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_json"
    huge = b" " * (5 * 1024 * 1024 + 1)
    big = httpx.post(f"{server.url}/v1/predict", content=huge, headers=server.headers())
    assert big.status_code == 413 and error_of(big)["code"] == "payload_too_large"


def test_plan_too_large(server: Server) -> None:
    response = server.predict({"micro": [STEP] * 201})
    assert response.status_code == 400 and error_of(response)["code"] == "plan_too_large"


def test_result_before_the_end_is_run_not_finished(server: Server) -> None:
    plan = [STEP, {"type": "wait", "intent": "Linger", "params": {"seconds": 3}}]
    run_id = server.predict({"micro": plan, **DOM}).json()["run_id"]
    early = server.predict({"action": "result", "run_id": run_id})
    assert early.status_code == 409
    error = error_of(early)
    assert error["code"] == "run_not_finished" and error["retryable"] is True
    assert server.wait(run_id)["status"] == "succeeded"


def test_other_tenants_runs_do_not_exist(server: Server) -> None:
    run_id = server.predict({"micro": [STEP], **DOM}).json()["run_id"]
    other = server.tenant("intruder")
    for action in ("status", "result", "logs", "cancel"):
        response = server.predict({"action": action, "run_id": run_id}, token=other)
        assert response.status_code == 404 and error_of(response)["code"] == "run_not_found"
    assert httpx.get(f"{server.url}/v1/runs/{run_id}", headers=server.headers(other)).status_code == 404
    assert server.predict({"action": "list"}, token=other).json()["runs"] == []


def test_domain_allowlist_refuses_off_list_hosts(server: Server) -> None:
    domains = ("--allowed-domain", "*.example.com", "--allowed-domain", "crm.example.org")
    token = server.tenant("fenced", *domains)
    plan = [{"type": "navigate", "params": {"url": "https://evil.test/x"}}]
    response = server.predict({"micro": plan}, token=token)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "domain_not_allowed" and "evil.test" in str(error["message"])
    apex = [{"type": "navigate", "params": {"url": "https://example.com/"}}]
    assert server.predict({"micro": apex}, token=token).status_code == 403
    ok = [{"type": "navigate", "params": {"url": "https://shop.example.com/"}}]
    accepted = server.predict({"micro": ok, **DOM}, token=token)
    assert accepted.status_code == 200
    server.predict({"action": "cancel", "run_id": accepted.json()["run_id"]}, token=token)  # no network here


def test_caps_are_clamped_and_echoed(server: Server) -> None:
    token = server.tenant("capped", "--max-cost", "5", "--max-minutes", "10")
    body = {"micro": [STEP], "max_cost": 50, "max_time_minutes": 20, **DOM}
    handle = server.predict(body, token=token).json()
    assert handle["effective"]["max_cost"] == 5 and handle["effective"]["max_time_minutes"] == 10


def test_logs_page_with_a_cursor(server: Server) -> None:
    run_id = server.predict({"micro": [STEP], **DOM}).json()["run_id"]
    server.wait(run_id)
    first = server.predict({"action": "logs", "run_id": run_id, "limit": 2}).json()
    assert len(first["events"]) == 2 and first["events"][0]["type"] == "run.started"
    rest = server.predict({"action": "logs", "run_id": run_id, "cursor": first["next_cursor"]}).json()
    assert rest["events"] and rest["events"][-1]["type"] == "run.succeeded"
    assert {"ts", "level", "type", "step_index", "message", "data"} <= set(rest["events"][0])
    for cursor in ("9" * 40, "²", "-1"):
        bad = server.predict({"action": "logs", "run_id": run_id, "cursor": cursor})
        assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_request"


def test_an_idempotency_key_returns_the_first_answer_and_refuses_another_body(server: Server) -> None:
    key = f"key-{secrets.token_hex(4)}"
    first = server.predict({**WAIT, "idempotency_key": key})
    assert first.status_code == 200
    assert server.predict({**WAIT, "idempotency_key": key}).json() == first.json()
    headers = {**server.headers(), "Idempotency-Key": key}
    by_header = httpx.post(f"{server.url}/v1/predict", json=WAIT, headers=headers)
    assert by_header.json()["run_id"] == first.json()["run_id"]
    other = server.predict({**WAIT, "idempotency_key": key, "max_cost": 1})
    assert other.status_code == 409 and error_of(other)["code"] == "idempotency_conflict"


def test_identical_submissions_at_the_same_instant_make_one_run(server: Server) -> None:
    token = server.tenant(f"burst-{secrets.token_hex(3)}")
    body = {**WAIT, "idempotency_key": "burst"}
    barrier = Barrier(10)

    def send(_: int) -> httpx.Response:
        barrier.wait()
        return server.predict(body, token=token)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert len({a.json()["run_id"] for a in answers}) == 1
    listed = server.predict({"action": "list"}, token=token).json()["runs"]
    assert [run["run_id"] for run in listed] == [answers[0].json()["run_id"]]


def test_an_idempotency_key_is_free_again_after_24_hours(server: Server) -> None:
    body = {**WAIT, "idempotency_key": f"day-{secrets.token_hex(4)}"}
    first = server.predict(body).json()
    engine = make_engine(server.database_url)
    try:
        with session_factory(engine).begin() as session:
            run = session.get_one(Run, first["run_id"])
            run.created_at -= timedelta(hours=25)
    finally:
        engine.dispose()
    assert server.predict(body).json()["run_id"] != first["run_id"]


def test_a_read_only_token_cannot_submit_or_cancel(server: Server) -> None:
    reader = server.tenant(f"reader-{secrets.token_hex(3)}", "--scope", "runs:read")
    submitted = server.predict(WAIT, token=reader)
    assert submitted.status_code == 403 and error_of(submitted)["code"] == "forbidden_scope"
    cancel = server.predict({"action": "cancel", "run_id": "20990101_000000_deadbeef"}, token=reader)
    assert cancel.status_code == 403 and error_of(cancel)["code"] == "forbidden_scope"
    assert server.predict({"action": "list"}, token=reader).status_code == 200


def test_artifacts_outside_the_run_or_missing_are_not_found(server: Server) -> None:
    run_id = server.predict(WAIT).json()["run_id"]
    server.wait(run_id)
    base = f"{server.url}/v1/runs/{run_id}/artifacts"
    assert httpx.get(f"{base}/plan.json", headers=server.headers()).status_code == 200
    for name in ("nope.csv", "..%2F..%2Fmantis.db", ".hidden", "%00"):
        response = httpx.get(f"{base}/{name}", headers=server.headers())
        assert response.status_code == 404 and error_of(response)["code"] == "artifact_not_found"
    for run in ("nope", "20990101_000000_DEADBEEF", "20990101_000000_deadbeef"):
        response = httpx.get(f"{server.url}/v1/runs/{run}", headers=server.headers())
        assert response.status_code == 404 and error_of(response)["code"] == "run_not_found"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"micro": [], "max_cost": NaN}', "invalid_json"),
        (b'{"micro": [], "max_cost": Infinity}', "invalid_json"),
        (b"[" * 100_000, "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"[1, 2]", "invalid_request"),
        (b'{"action": "status", "run_id": "20990101_000000_\\u0000"}', "invalid_request"),
        (b'{"plan_text": "go to \\ud800"}', "invalid_request"),
        (b'{"micro": [], "idempotency_key": "k\\u0000"}', "invalid_request"),
    ],
)
def test_bodies_the_store_could_not_keep_are_refused(server: Server, raw: bytes, code: str) -> None:
    response = httpx.post(f"{server.url}/v1/predict", content=raw, headers=server.headers())
    assert response.status_code == 400 and error_of(response)["code"] == code


def test_openapi_declares_the_predict_body_and_the_auth_headers(server: Server) -> None:
    schema = httpx.get(f"{server.url}/openapi.json").json()
    predict = schema["paths"]["/v1/predict"]["post"]
    body = predict["requestBody"]["content"]["application/json"]["schema"]
    names = ("Submission", "ActionRequest", "ValidateRequest")
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
    assert body == {"oneOf": refs}
    components = schema["components"]
    assert {"micro", "idempotency_key", "state_key"} <= set(components["schemas"]["Submission"]["properties"])
    assert {"action", "run_id", "cursor"} <= set(components["schemas"]["ActionRequest"]["properties"])
    assert components["securitySchemes"]["MantisToken"]["name"] == "X-Mantis-Token"
    assert predict["security"][-1] == {"MantisToken": []}


def test_the_platform_key_and_the_rate_limit(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("mantis-strict")
    server = start_server(home, MANTIS_PLATFORM_API_KEY="pk-secret", MANTIS_RATE_LIMIT_PER_S="1")
    url = f"{server.url}/v1/predict"
    try:
        for given in ({}, {"Authorization": "Api-Key wrong"}, {"Authorization": "Bearer pk-secret"}):
            refused = httpx.post(url, json={"action": "list"}, headers={**server.headers(), **given})
            assert refused.status_code == 401 and error_of(refused)["code"] == "platform_key_required"
            assert "pk-secret" not in refused.text
        keyed = {**server.headers(), "Authorization": "Api-Key pk-secret"}
        answers = [httpx.post(url, json={"action": "list"}, headers=keyed) for _ in range(8)]
    finally:
        stop_server(server)
    assert answers[0].status_code == 200
    limited = [a for a in answers if a.status_code == 429]
    assert limited and {error_of(a)["code"] for a in limited} == {"rate_limited"}
    assert all(server.token not in a.text for a in answers)


async def test_a_store_outage_is_503_unavailable_and_retryable() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/down")
    async def down() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("secret-host:5432 refused"))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mantis") as client:
        response = await client.get("/down")
    assert response.status_code == 503 and error_of(response)["code"] == "unavailable"
    assert "secret-host" not in response.text


def test_the_http_reference_is_fresh() -> None:
    committed = (REPO / "docs" / "reference" / "http-api.md").read_text()
    assert committed == reference.render(), "run python -m mantis.api.reference > docs/reference/http-api.md"

"""`action: status` answers from one store call (the token and the run together): it keeps every
answer and every order of checks of the other actions, and a revoked or rotated token stops at once."""

from __future__ import annotations

import secrets
import subprocess
import sys

import httpx
from tests.conftest import Server, server_env

WAIT = {"micro": [{"type": "wait", "params": {"seconds": 0.1}}], "compute_backend": "browser_use_plane"}
UNKNOWN_RUN = "20990101_000000_deadbeef"


def raw_status(server: Server, content: bytes, token: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json", **({"X-Mantis-Token": token} if token else {})}
    return httpx.post(f"{server.url}/v1/predict", content=content, headers=headers, timeout=60)


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json()["error"]["code"])


def finished_run(server: Server, token: str) -> str:
    run_id = str(server.predict(WAIT, token=token).json()["run_id"])
    server.wait(run_id, token=token)
    return run_id


def rotate(server: Server, name: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", "tenants", "rotate-token", name],
        env=server_env(server.home, **server.env),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def test_a_rotated_token_stops_on_the_next_status_call(server: Server) -> None:
    name = f"poller-{secrets.token_hex(3)}"
    old = server.tenant(name)
    run_id = finished_run(server, old)
    assert server.status(run_id, token=old)["status"] == "succeeded"  # just looked up: no cache may keep it
    new = rotate(server, name)
    refused = server.predict({"action": "status", "run_id": run_id}, token=old)
    assert code_of(refused) == (401, "unauthorized")
    assert server.status(run_id, token=new)["run_id"] == run_id


def test_authentication_comes_before_the_request_as_on_every_other_call(server: Server) -> None:
    run_id = finished_run(server, server.token)
    status = f'{{"action": "status", "run_id": "{run_id}"'.encode()
    for token in (None, "mt_not-a-token"):
        assert code_of(raw_status(server, status + b"}", token)) == (401, "unauthorized")
        assert code_of(raw_status(server, status, token)) == (401, "unauthorized")  # malformed
        assert code_of(raw_status(server, status + b', "limit": 3}', token)) == (401, "unauthorized")
    assert code_of(raw_status(server, status, server.token)) == (400, "invalid_json")
    extra = raw_status(server, status + b', "cursor": "0"}', server.token)
    assert code_of(extra) == (400, "invalid_request")
    unknown = raw_status(server, status + b', "colour": "red"}', server.token)
    assert code_of(unknown) == (400, "unknown_field")


def test_scope_then_tenant_then_run(server: Server) -> None:
    run_id = finished_run(server, server.token)
    writer = server.tenant(f"writer-{secrets.token_hex(3)}", "--scope", "runs:submit")
    other = server.tenant(f"other-{secrets.token_hex(3)}")
    assert code_of(server.predict({"action": "status", "run_id": run_id}, token=writer)) == (
        403,
        "forbidden_scope",
    )
    for asked in (run_id, UNKNOWN_RUN, "not-a-run-id"):
        answer = server.predict({"action": "status", "run_id": asked}, token=other)
        assert code_of(answer) == (404, "run_not_found")  # another tenant's run does not exist
    own = server.predict({"action": "status", "run_id": run_id})
    assert own.status_code == 200 and own.json() == server.predict(
        {"action": "status", "run_id": run_id}
    ).json()
    assert httpx.get(f"{server.url}/v1/runs/{run_id}", headers=server.headers()).json() == own.json()


def test_an_empty_run_id_is_refused_as_a_missing_one(server: Server) -> None:
    """The fast path takes only what it can answer; an empty run_id is a bad request, as on `cancel`."""
    asked = ({"action": "status", "run_id": ""}, {"action": "status"}, {"action": "cancel", "run_id": ""})
    for body in asked:
        answer = server.predict(body)
        assert code_of(answer) == (400, "invalid_request")
        assert answer.json()["error"]["message"] == "this action needs run_id"

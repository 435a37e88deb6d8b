"""A hostile tenant who controls both the plan and the page, against a real server on loopback: what it
names (plan paths, schema names) reaches nothing of the server's or of another tenant's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import Server, start_server, stop_server


def page_plan(site: str, schema_name: str = "rows") -> dict[str, Any]:
    return {
        "runtime": {"compute_backend": "browser_use_plane"},
        "steps": [
            {"type": "navigate", "intent": "Open the grid", "params": {"url": f"{site}/"}},
            {
                "type": "extract_data",
                "intent": "Read the page's heading",
                "extract": {"schema_name": schema_name, "fields": [{"name": "title"}]},
            },
        ],
    }


@pytest.fixture(scope="module")
def library_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The README's layout: the server runs in a folder with plans/, so that folder is the plan library,
    and the workspace (.mantis/, with every tenant's runs) lies inside it."""
    library = tmp_path_factory.mktemp("library")
    (library / "plans").mkdir()
    running = start_server(library / ".mantis", MANTIS_PLANS_DIR=str(library))
    yield running
    stop_server(running)


def test_a_plan_path_cannot_name_a_file_of_the_workspace(library_server: Server, site: str) -> None:
    victim = library_server.token
    response = library_server.predict({"micro": page_plan(site), "idempotency_key": "victim"}, token=victim)
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    library_server.wait(run_id, 180, token=victim)
    stolen = f".mantis/runs/{run_id}/plan.json"
    assert (library_server.home.parent / stolen).is_file()

    attacker = library_server.tenant("attacker")
    for body in ({"micro": stolen}, {"action": "validate", "micro": stolen}, {"task_file": stolen}):
        refused = library_server.predict(body, token=attacker)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "invalid_plan_path"
        assert site not in refused.text
    listed = library_server.predict({"action": "list"}, token=attacker).json()
    assert listed["runs"] == []
    # The workspace's own keys are no plan either, and a refusal does not tell whether a file is there.
    for name in (".mantis/viewer.key", ".mantis/no-such-file.json"):
        refused = library_server.predict({"action": "validate", "micro": name}, token=attacker)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_plan_path")


def test_a_schema_name_longer_than_a_file_name_still_gets_its_csv(server: Server, site: str) -> None:
    schema_name = "\U0001d400" * 100  # a letter of 4 UTF-8 bytes: 400 bytes, over any file name's 255
    response = server.predict({"micro": page_plan(site, schema_name)})
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    status = server.wait(run_id, 180)
    assert status["status"] == "succeeded", status
    result = server.predict({"action": "result", "run_id": run_id}).json()["result"]
    assert result["rows"], result
    csvs = [name for name in result["artifacts"] if name.startswith("\U0001d400")]
    assert len(csvs) == 1 and len(csvs[0].encode()) <= 255, csvs
    download = httpx.get(result["artifacts"][csvs[0]], timeout=30)
    assert download.status_code == 200 and download.text.startswith("title,"), download.text[:200]


@pytest.mark.parametrize("field", ["profile_id", "workflow_id", "state_key"])
def test_an_empty_profile_or_workflow_is_refused_not_dropped(server: Server, site: str, field: str) -> None:
    before = server.predict({"action": "list", "limit": 1000}).json()["runs"]
    refused = server.predict({"micro": page_plan(site), field: ""})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "invalid_request"
    assert [d["path"] for d in refused.json()["error"]["details"]] == [field]
    assert server.predict({"action": "list", "limit": 1000}).json()["runs"] == before


@pytest.fixture(scope="module")
def fenced_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server as an operator runs it: private addresses refused."""
    running = start_server(tmp_path_factory.mktemp("fenced"), MANTIS_ALLOW_PRIVATE_BROWSING="0")
    yield running
    stop_server(running)


@pytest.mark.parametrize(
    "host",
    ["[64:ff9b::a9fe:a9fe]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::7f00:1]", "[::ffff:a9fe:a9fe]"],
)
def test_ipv6_forms_of_a_private_ipv4_address_are_refused(fenced_server: Server, host: str) -> None:
    plan = {"steps": [{"type": "navigate", "intent": "Open it", "params": {"url": f"http://{host}/latest"}}]}
    for body in ({"micro": plan}, {"action": "validate", "micro": plan}):
        answer = fenced_server.predict(body)
        refused = answer.json()
        if body.get("action"):
            assert refused["valid"] is False, refused
            assert "private, loopback or link-local" in str(refused["problems"])
        else:
            assert answer.status_code == 403 and refused["error"]["code"] == "domain_not_allowed", refused
    assert fenced_server.predict({"action": "list"}).json()["runs"] == []
    public = {"steps": [{**plan["steps"][0], "params": {"url": "http://[64:ff9b::808:808]/"}}]}
    assert fenced_server.predict({"action": "validate", "micro": public}).json()["valid"] is True


def test_a_callback_to_a_6to4_form_of_loopback_is_refused(fenced_server: Server) -> None:
    plan = {"steps": [{"type": "wait", "intent": "Pause", "params": {"seconds": 0}}]}
    answer = fenced_server.predict({"micro": plan, "callback_url": "http://[2002:7f00:1::]:9/hook"})
    assert answer.status_code == 200, answer.text
    run_id = answer.json()["run_id"]
    fenced_server.wait(run_id, 180)
    deadline = time.monotonic() + 60
    types: list[str] = []
    while time.monotonic() < deadline and not {"webhook.refused", "webhook.attempt"} & set(types):
        time.sleep(0.5)
        logs = fenced_server.predict({"action": "logs", "run_id": run_id, "limit": 1000}).json()
        types = [e["type"] for e in logs["events"] if e["type"].startswith("webhook.")]
    assert "webhook.refused" in types, types

"""Replay under attack: bad submissions and action params are coded 4xx and create nothing, a page cannot
make a record grow without bound, and retention forgets records nothing relearned within it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update
from tests.conftest import Server, server_env

from mantis.brains.base import Grounding
from mantis.planes.base import Element, Observation
from mantis.replay import actions
from mantis.replay.store import LIST_LIMIT, ReplayStore
from mantis.secretbox import SecretBox
from mantis.store.db import make_engine, migrate, session_factory
from mantis.store.models import ReplayRecord
from mantis.store.retention import Retention
from mantis.store.tenants import TenantStore

PLAN = [{"type": "navigate", "intent": "Open", "params": {"url": "http://127.0.0.1:9/"}}]


@pytest.mark.parametrize("value", [5, "REFRESH", None, "", ["auto"], {"mode": "auto"}])
def test_a_bad_replay_value_is_a_coded_400_and_queues_nothing(server: Server, value: Any) -> None:
    token = server.tenant(f"bad-replay-{abs(hash(repr(value))) % 10**8}")
    response = server.predict({"micro": PLAN, "replay": value}, token=token)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and [d["path"] for d in error["details"]] == ["replay"]
    assert server.predict({"action": "list"}, token=token).json()["runs"] == []


def test_a_huge_plan_text_is_refused_before_anything_is_made(server: Server) -> None:
    token = server.tenant("huge-text")
    response = server.predict({"plan_text": "click Send " * 5000, "cua_model": "openai"}, token=token)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
    assert server.predict({"action": "list"}, token=token).json()["runs"] == []
    assert server.predict({"action": "replays"}, token=token).json() == {"replays": [], "total": 0}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": "replays", "limit": 5}, 400, "invalid_request"),
        ({"action": "clear_replays", "cursor": "1"}, 400, "invalid_request"),
        ({"action": "clear_replays", "fingerprint": "ab"}, 400, "unknown_field"),
        ({"action": "clear_replays", "run_id": "not-a-run"}, 404, "run_not_found"),
        ({"action": "replays", "run_id": 5}, 400, "invalid_request"),
    ],
)
def test_replay_actions_refuse_what_they_do_not_read(
    server: Server, body: dict[str, Any], status: int, code: str
) -> None:
    response = server.predict(body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_a_long_list_of_records_says_how_many_it_left_out(server: Server) -> None:
    """A tenant with more records than one answer lists sees the newest ones and how many there are."""
    token = server.tenant("many-records")
    engine = make_engine(server.database_url)
    tenant = TenantStore(session_factory(engine), SecretBox([Fernet.generate_key().decode()])).by_name(
        "many-records"
    )
    assert tenant is not None
    shown = LIST_LIMIT + 3
    now = datetime.now(UTC)
    with session_factory(engine).begin() as session:
        session.add_all(
            ReplayRecord(
                tenant_id=tenant.id,
                fingerprint=f"plan-{i % 7}",
                step=f"0/{i}",
                kind="dom_action",
                data={"name": "Send"},
                run_id=None,
                heals=0,
                created_at=now,
                updated_at=now + timedelta(seconds=i),
            )
            for i in range(shown)
        )
    engine.dispose()
    answer = server.predict({"action": "replays"}, token=token).json()
    assert answer["total"] == shown and len(answer["replays"]) == LIST_LIMIT
    assert answer["replays"][0]["step"] == f"0/{shown - 1}"  # the newest first
    listed = replay_list(server, "many-records", "--limit", "2")
    assert f"the newest 2 of {shown} records" in listed
    one_plan = replay_list(server, "many-records", "--plan", "plan-3")
    of_plan = sum(1 for i in range(shown) if i % 7 == 3)
    assert "plan-3" in one_plan and "plan-4" not in one_plan
    assert one_plan.splitlines()[-1] == f"the newest 100 of {of_plan} records; --limit shows more"


def replay_list(server: Server, *args: str) -> str:
    command = [sys.executable, "-m", "mantis.cli.main", "replay", "list", *args]
    env = server_env(server.home, **server.env)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout


async def test_a_page_cannot_make_a_learned_action_record_grow_with_its_label() -> None:
    """A hostile page names its button with a megabyte: that is not a label a later page is checked by,
    and the record would hold it twice (name and locator) in every step that clicks it."""
    huge = Element(ref="e1", role="button", name="Send " * 200_000)
    page = Observation(url="http://127.0.0.1/", elements=[huge])
    assert await actions.DOM.learn("Send", "click", Grounding(element=huge), page) is None
    fair = Element(ref="e1", role="button", name="Send the form")
    page = Observation(url="http://127.0.0.1/", elements=[fair])
    assert (await actions.DOM.learn("Send", "click", Grounding(element=fair), page) or {})["nth"] == 0


def test_retention_forgets_records_nothing_relearned_within_it(tmp_path: Path) -> None:
    """Without it a tenant's records grow with every plan it ever ran (each new plan text is one)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'mantis.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    replay = ReplayStore(sessions)
    acme, _ = TenantStore(sessions, SecretBox([Fernet.generate_key().decode()])).create("acme")
    replay.put(acme.id, "plan-old", "0/1", "dom_action", {"name": "Send"}, "run-1")
    replay.put(acme.id, "plan-new", "0/1", "dom_action", {"name": "Go"}, "run-2")
    a_year_ago = datetime.now(UTC) - timedelta(days=365)
    with sessions.begin() as session:
        session.execute(
            update(ReplayRecord).where(ReplayRecord.fingerprint == "plan-old").values(updated_at=a_year_ago)
        )
    retention = Retention(sessions, tmp_path / "runs")
    cutoff = datetime.now(UTC) - timedelta(days=7)
    assert retention.prune(cutoff, dry_run=True).replays == 1
    assert len(replay.list(acme.id)) == 2  # a dry run deletes nothing
    assert retention.prune(cutoff).replays == 1
    assert [r.fingerprint for r in replay.list(acme.id)] == ["plan-new"]
    assert retention.prune(cutoff).replays == 0
    engine.dispose()


@pytest.mark.parametrize("prefix", ["%", "_lan", "plan%", "plan-_"])
def test_a_plan_prefix_is_taken_literally(tmp_path: Path, prefix: str) -> None:
    """`mantis replay list --plan` names plans by a prefix of their fingerprint; LIKE's wildcards in it
    would make `%` name every plan of the tenant."""
    engine = make_engine(f"sqlite:///{tmp_path / 'mantis.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    replay = ReplayStore(sessions)
    acme, _ = TenantStore(sessions, SecretBox([Fernet.generate_key().decode()])).create("acme")
    for plan in ("plan-1", "plan-2", "plan%x"):
        replay.put(acme.id, plan, "0/1", "dom_action", {"name": "Send"}, "run-1")
    expected = ("plan%x",) if prefix == "plan%" else ()
    assert replay.fingerprints(acme.id, prefix) == expected
    assert replay.fingerprints(acme.id, "plan-") == ("plan-1", "plan-2")
    engine.dispose()

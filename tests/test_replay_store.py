"""Replay records in the run store, on SQLite and PostgreSQL: keyed by tenant, plan, step and kind, never
read, listed or cleared across tenants; the submission's `replay` field and the tenant's setting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from tests.conftest import database

from mantis.replay import policy
from mantis.replay.store import ReplayStore
from mantis.secretbox import SecretBox
from mantis.store.db import make_engine, migrate, session_factory
from mantis.store.tenants import TenantStore


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ReplayStore, TenantStore]]:
    with database(str(request.param)) as env:
        engine = make_engine(env.get("MANTIS_DATABASE_URL") or f"sqlite:///{tmp_path / 'mantis.db'}")
        migrate(engine)
        sessions = session_factory(engine)
        yield ReplayStore(sessions), TenantStore(sessions, SecretBox([Fernet.generate_key().decode()]))
        engine.dispose()


def test_a_record_is_its_tenants_alone(stores: tuple[ReplayStore, TenantStore]) -> None:
    replay, tenants = stores
    acme, _ = tenants.create("acme")
    bolt, _ = tenants.create("bolt", replay="off")
    assert (acme.replay, bolt.replay) == ("auto", "off")
    replay.put(acme.id, "plan-a", "0/1", "dom_action", {"name": "Search"}, "run-1")
    replay.put(acme.id, "plan-b", "0/1", "dom_action", {"name": "Go"}, "run-2")
    assert replay.load(acme.id, "plan-a") == {("0/1", "dom_action"): {"name": "Search"}}
    assert replay.load(bolt.id, "plan-a") == {}  # the same plan and step, another tenant: nothing
    assert replay.list(bolt.id) == [] and replay.clear(bolt.id) == 0
    assert [r.fingerprint for r in replay.list(acme.id)] == ["plan-b", "plan-a"]  # newest first


def test_a_put_replaces_and_counts_heals(stores: tuple[ReplayStore, TenantStore]) -> None:
    replay, tenants = stores
    acme, _ = tenants.create("acme")
    replay.put(acme.id, "plan-a", "0/1", "dom_action", {"name": "Search"}, "run-1")
    replay.put(acme.id, "plan-a", "0/1", "dom_action", {"name": "Find"}, "run-2", healed=True)
    replay.put(acme.id, "plan-a", "0/2", "extraction", {"fields": []}, "run-2")
    [first, second] = sorted(replay.list(acme.id, "plan-a"), key=lambda r: r.step)
    assert (first.data, first.run_id, first.heals) == ({"name": "Find"}, "run-2", 1)
    assert (second.kind, second.heals) == ("extraction", 0)
    replay.drop(acme.id, "plan-a", "0/2", "extraction")
    assert list(replay.load(acme.id, "plan-a")) == [("0/1", "dom_action")]
    assert replay.clear(acme.id, "plan-b") == 0 and replay.clear(acme.id) == 1
    assert replay.load(acme.id, "plan-a") == {}


def test_the_tenant_setting_clamps_the_submission() -> None:
    assert policy.effective(None, "auto") == "auto"  # the default
    assert policy.effective("refresh", "auto") == "refresh"
    assert policy.effective("refresh", "off") == "off"
    assert policy.effective("auto", "off") == "off"
    assert (policy.recalls("auto"), policy.recalls("refresh"), policy.recalls("off")) == (True, False, False)
    assert (policy.learns("auto"), policy.learns("refresh"), policy.learns("off")) == (True, True, False)

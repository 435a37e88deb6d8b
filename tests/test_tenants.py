"""Tenant management as the operator does it: the command line and the tenants file, against a real server."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import Server, server_env, start_server, stop_server

STEP = {"type": "wait", "params": {"seconds": 0}}


def mantis(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", *args],
        env=server_env(home),
        capture_output=True,
        text=True,
        check=False,
    )


def authorised(server: Server, token: str) -> bool:
    return server.predict({"action": "list"}, token=token).status_code == 200


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    home = tmp_path_factory.mktemp("filed")
    token = "file-token-of-acme-0123456789"
    (home / "tenants.toml").write_text(
        f'[[tenant]]\nname = "acme"\ntoken_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
        'allowed_domains = ["*.acme.example"]\nmax_cost_per_run = 3.0\nscopes = ["runs:read"]\n'
    )
    running = start_server(home, MANTIS_TENANTS_FILE=str(home / "tenants.toml"))
    yield running, token
    stop_server(running)


def test_create_prints_the_secret_then_the_token_alone_on_the_last_line(server: Server) -> None:
    out = mantis(server.home, "tenants", "create", "printer", "--max-cost", "4", "--scope", "runs:read")
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 0 and lines[-2].startswith("webhook_secret: whsec_")
    assert lines[-1].startswith("mt_") and " " not in lines[-1]
    assert authorised(server, lines[-1])
    refused = server.predict({"micro": [STEP], "compute_backend": "browser_use_plane"}, token=lines[-1])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_scope"
    listing = mantis(server.home, "tenants", "list")
    assert "printer" in listing.stdout and lines[-1] not in listing.stdout


def test_rotate_revoke_and_set(server: Server) -> None:
    first = server.tenant("rotator")
    second = mantis(server.home, "tenants", "rotate-token", "rotator").stdout.strip().splitlines()[-1]
    assert not authorised(server, first) and authorised(server, second)
    third = (
        mantis(server.home, "tenants", "rotate-token", "rotator", "--keep-old")
        .stdout.strip()
        .splitlines()[-1]
    )
    assert authorised(server, second) and authorised(server, third)

    changed = mantis(
        server.home, "tenants", "set", "rotator", "--max-cost", "1.5", "--allowed-domain", "*.ok.example"
    )
    assert changed.returncode == 0
    handle = server.predict(
        {"micro": [STEP], "max_cost": 9, "compute_backend": "browser_use_plane"}, token=third
    )
    assert handle.json()["effective"]["max_cost"] == 1.5
    off = [{"type": "navigate", "params": {"url": "https://elsewhere.example/"}}]
    assert server.predict({"micro": off}, token=third).json()["error"]["code"] == "domain_not_allowed"

    assert mantis(server.home, "tenants", "revoke", "rotator").returncode == 0
    assert not authorised(server, second) and not authorised(server, third)
    assert mantis(server.home, "tenants", "revoke", "nobody").returncode == 1


def test_the_tenants_file_declares_tenants_by_token_hash(filed: tuple[Server, str]) -> None:
    server, token = filed
    listed = server.predict({"action": "list"}, token=token)
    assert listed.status_code == 200
    submit = server.predict({"micro": [STEP]}, token=token)
    assert submit.status_code == 403 and submit.json()["error"]["code"] == "forbidden_scope"
    assert not authorised(server, "file-token-of-acme-wrong")

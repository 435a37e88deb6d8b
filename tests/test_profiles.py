"""Browser profiles on both planes, on a sign-in page of the tests' own whose server records whether each
request came with the session cookie: a profile keeps a sign-in from one run to the next, another profile,
no profile and another tenant do not see it, and profiles are listed, deleted and capped."""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.conftest import Server, start_server, stop_server
from tests.pages_server import QuietHandler, serve

PLANES = ["browser_use_plane", "computer_plane"]

# Large type, so the pixels-only plane reads the label as well.
FORM = """<!doctype html><html><head><title>Members</title><style>body{margin:20px;font-size:28px}
input{font-size:24px;width:300px} button{font-size:24px}</style></head><body>
<p>Members area</p><form action="/login"><label>Name <input name="name"></label>
<button>Sign in</button></form></body></html>"""
ACCOUNT = """<!doctype html><html><body style="font-size:40px;background:#222;color:#eee">
<h1>Signed in as {name}</h1></body></html>"""


class Members:
    """The site: sign-in sets a cookie that lasts a day; `/account` says whether the request had one."""

    def __init__(self) -> None:
        self.url = ""
        self.sessions: dict[str, str] = {}
        self.account_visits: list[str | None] = []  # the signed-in name of each visit, None if anonymous
        members = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                jar = (self.headers.get("Cookie") or "").split(";")
                cookies = dict(part.strip().split("=", 1) for part in jar if "=" in part)
                name = members.sessions.get(cookies.get("sid", ""))
                if url.path == "/login":
                    sid = secrets.token_hex(8)
                    members.sessions[sid] = parse_qs(url.query).get("name", ["?"])[0]
                    cookie = f"sid={sid}; Max-Age=86400; Path=/"
                    self.reply("", 303, headers={"Set-Cookie": cookie, "Location": "/account"})
                    return
                if url.path != "/account":
                    self.reply("", 404)
                    return
                members.account_visits.append(name)
                self.reply(ACCOUNT.format(name=html.escape(name)) if name else FORM)

        self.handler = Handler


@pytest.fixture(scope="module")
def members() -> Iterator[Members]:
    site = Members()
    with serve(site.handler) as site.url:
        yield site


def sign_in(site: str) -> list[dict[str, Any]]:
    return [
        {"type": "navigate", "params": {"url": f"{site}/account"}},
        {"type": "fill", "params": {"label": "Name", "text": "Ada"}},
        {"type": "press", "params": {"key": "Enter"}},
        {"type": "wait", "params": {"seconds": 1}},
        {"type": "detect_visible", "intent": "Signed in as Ada visible?", "out_var": "signed_in"},
    ]


def look(site: str) -> list[dict[str, Any]]:
    return [
        {"type": "navigate", "params": {"url": f"{site}/account"}},
        {"type": "detect_visible", "intent": "Signed in as Ada visible?", "out_var": "signed_in"},
    ]


def run(server: Server, plan: Any, plane: str, token: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"micro": plan, "compute_backend": plane, "detached": False, **fields}
    answer = server.predict(body, token=token).json()
    assert answer["status"] == "succeeded", answer
    return dict(answer)


def visit(
    members: Members, server: Server, plane: str, token: str | None = None, **fields: Any
) -> str | None:
    """Who the site saw at /account in one run that only looks."""
    before = len(members.account_visits)
    answer = run(server, look(members.url), plane, token, **fields)
    [seen] = members.account_visits[before:]
    assert answer["result"]["state_vars"]["signed_in"] is (seen is not None)
    return seen


@pytest.mark.parametrize("plane", PLANES)
def test_a_profile_keeps_a_sign_in_and_nothing_else_sees_it(
    server: Server, members: Members, plane: str
) -> None:
    profile = f"p-{plane}"
    signed = run(server, sign_in(members.url), plane, profile_id=profile)
    assert signed["result"]["state_vars"]["signed_in"] is True

    assert visit(members, server, plane, profile_id=profile) == "Ada"  # no sign-in this time
    assert visit(members, server, plane, profile_id=f"q-{plane}") is None
    anonymous = run(server, look(members.url), plane)
    assert anonymous["result"]["state_vars"]["signed_in"] is False
    assert not (server.home / "runs" / anonymous["run_id"] / ".computer" / "profile").exists()

    other = server.tenant(f"other-{plane}")
    assert visit(members, server, plane, token=other, profile_id=profile) is None  # same id, other tenant

    listed = server.predict({"action": "profiles"}).json()["profiles"]
    mine = {p["profile_id"]: p for p in listed}
    assert plane in mine[profile]["planes"] and mine[profile]["bytes"] > 0
    theirs = server.predict({"action": "profiles"}, token=other).json()["profiles"]
    assert [p["profile_id"] for p in theirs] == [profile]  # its own, of the same name; not q-…

    deleted = server.predict({"action": "delete_profile", "profile_id": profile})
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert profile not in {p["profile_id"] for p in server.predict({"action": "profiles"}).json()["profiles"]}
    missing = server.predict({"action": "delete_profile", "profile_id": profile})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "profile_not_found"


def test_hostile_profile_ids_stay_inside_their_tenant_folder(server: Server, members: Members) -> None:
    hostile = ["../../../escape", "/etc/passwd", "a/../../b", "\u202e..", "%2e%2e%2f"]
    root = server.home / "profiles"
    for profile in hostile:
        run(server, [{"type": "wait", "params": {"seconds": 0.1}}], "browser_use_plane", profile_id=profile)
    listed = {p["profile_id"] for p in server.predict({"action": "profiles"}).json()["profiles"]}
    assert set(hostile) <= listed
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root.resolve())
    assert not (server.home.parent / "escape").exists() and not Path("/escape").exists()
    assert {len(p.relative_to(root).parts) for p in root.glob("*/*")} == {2}
    assert all(len(p.name) == 32 for p in root.glob("*/*"))


def test_a_profile_over_its_cap_is_refused_with_a_coded_error(tmp_path: Path, members: Members) -> None:
    server = start_server(tmp_path / "home", MANTIS_PROFILE_MAX_MB="0.5")  # below a fresh Chromium profile
    try:
        first = run(server, look(members.url), "browser_use_plane", profile_id="big")
        logs = server.predict({"action": "logs", "run_id": first["run_id"]}).json()
        kinds = [e["type"] for e in logs["events"]]
        assert "profile.over_cap" in kinds
        again = {"micro": look(members.url), "profile_id": "big", "compute_backend": "browser_use_plane"}
        refused = server.predict(again)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "profile_too_large" and "delete_profile" in error["message"]
        assert server.predict({"action": "delete_profile", "profile_id": "big"}).status_code == 200
        assert server.predict(again).status_code == 200
    finally:
        stop_server(server)

"""Learned actions through the real server, Chromium and a model stand-in speaking the OpenAI wire format:
the first run of a plan asks the model for every grounding, the second acts from the records with no call
and reads the same rows, a page whose button moved and changed its markup under the same label still
replays, a label that changed heals with one call and the run after makes none. Records are per tenant,
`refresh` relearns, `off` (asked, or the tenant's) neither reads nor writes them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import Server, openai_standin_env, server_env, start_server, stop_server
from tests.pages_server import QuietHandler, serve
from tests.test_relearn_e2e import SPEC, cards
from tests.test_relearn_e2e import rows as items

from brains_standin import Reply, StandIn, completion, message, tool_use
from mantis.cli.serve import LOCAL_TENANT
from mantis.client import MantisClient, Usage

# One form, as a page may change under a plan between its runs.
FORMS = {
    "first": """<label>Name <input name="name"></label><button>Send</button>""",
    # the button first, inside other markup with new classes: the same role and label
    "moved": """<div class="bar-x9"><span><button class="btn primary" id="b7">Send</button></span></div>
<p>Fill in your name</p><label>Name <input name="name" class="field-2"></label>""",
    "relabelled": """<label>Name <input name="name"></label><button>Send it</button>""",
}
# A shop whose button leads to a list of items (tests/test_relearn_e2e.py's cards), as first learned and
# as changed: the button moved into other markup under the same label, the list two records longer under
# new class names.
SHOPS = {
    "first": """<h1>Shop</h1><button onclick="location.href='/items'">Show items</button><p>Open daily</p>""",
    "changed": """<div class="top-3"><p>Open daily</p></div><h1>Shop</h1><section class="k2"><span>
<button class="btn-x" id="q4" onclick="location.href='/items'">Show items</button></span></section>""",
}
LISTS = {"first": cards(3, ("g", "c")), "changed": cards(5, ("x-71", "k3q"))}
PAGE = """<!doctype html><html><head><title>Contact</title></head><body><h1>Contact</h1>
<form action="/welcome">{form}</form><a href="/about">About us</a></body></html>"""


class Forms(QuietHandler):
    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/welcome":
            name = query.split("name=")[-1]
            self.reply(
                f"<html><head><title>Welcome {name}</title></head><body><h1>Hi {name}</h1></body></html>"
            )
            return
        version = self.server.versions.get(path, "first")  # type: ignore[attr-defined]
        if path == "/shop":
            self.reply(f"<html><head><title>Shop</title></head><body>{SHOPS[version]}</body></html>")
        elif path == "/items":
            self.reply(LISTS[self.server.versions.get("/shop", "first")])  # type: ignore[attr-defined]
        else:
            self.reply(PAGE.format(form=FORMS[version]))


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, dict[str, str]]]:
    versions: dict[str, str] = {}
    with serve(Forms, versions=versions) as url:
        yield url, versions


@pytest.fixture(scope="module")
def modelled(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("replay"),
        **openai_standin_env(standin, 2.0, 10.0),
        ANTHROPIC_API_KEY="test-key",
        MANTIS_ANTHROPIC_BASE_URL=standin.url,
    )
    yield running
    stop_server(running)


def choosing(role: str, name: str, provider: str = "openai") -> Reply:
    """The grounding model's answer: the number the request gave the element with this role and name, in
    the OpenAI wire format or (`claude`) Anthropic's."""

    def answer(request: Any) -> Any:
        offered = "\n".join(
            m["content"] if isinstance(m["content"], str) else json.dumps(m["content"])
            for m in request["messages"]
        )
        found = re.search(rf'(\d+)\. {role} \\*"{re.escape(name)}\\*"', offered)
        assert found, offered
        choice = {"choice": int(found.group(1))}
        if provider == "claude":
            return message(tool_use("choose_element", choice)).body
        return completion(json.dumps(choice)).body

    return Reply(answer)


def plan(url: str) -> list[dict[str, Any]]:
    return [
        {"type": "navigate", "intent": "Open the form", "params": {"url": url}},
        {"type": "fill", "intent": "Type the name", "params": {"label": "Name", "text": "Ada"}},
        {"type": "click", "intent": "Send the form", "params": {"label": "Send"}},
        {"type": "extract_data", "intent": "Where the form led"},
    ]


def run(
    server: Server, standin: StandIn, url: str, *replies: Reply, token: str | None = None, **options: Any
) -> dict[str, Any]:
    standin.reset()
    standin.script(*replies)
    body = server.predict(
        {
            **({} if "plan_text" in options else {"micro": plan(url)}),
            "cua_model": "openai",
            "compute_backend": "browser_use_plane",
            "detached": False,
            **options,
        },
        token=token,
    ).json()
    assert body["status"] == "succeeded", body["summary"]
    body["calls"] = len(standin.requests)
    body["status_view"] = server.status(body["run_id"], token)
    return body


def marks(body: dict[str, Any]) -> list[str | None]:
    return [step["marks"]["replay"] for step in body["result"]["steps"]]


def rows(body: dict[str, Any]) -> list[Any]:
    return [row["url"] for row in body["result"]["rows"]]


NAME, SEND = choosing("textbox", "Name"), choosing("button", "Send")


def test_a_second_run_makes_no_call_and_reads_the_same_rows(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/same"
    first = run(modelled, standin, url, NAME, SEND)
    assert first["calls"] == 2 and marks(first) == [None, "model", "model", None]
    assert rows(first)[0].endswith("/welcome?name=Ada")
    usage = first["result"]["usage"]
    assert (usage["model_calls"], usage["replayed_steps"]) == (2, 0) and usage["cost_usd"] > 0
    assert first["status_view"]["usage"] == usage

    second = run(modelled, standin, url)
    assert second["calls"] == 0 and marks(second) == [None, "replayed", "replayed", None]
    assert rows(second) == rows(first)
    assert second["result"]["usage"] == {"model_calls": 0, "replayed_steps": 2, "cost_usd": 0.0}
    assert second["status_view"]["usage"] == second["result"]["usage"]
    with MantisClient(modelled.url, modelled.token) as client:  # the client reads what a repeat saved
        assert client.status(second["run_id"]).usage == Usage(0, 2, 0.0)
        assert client.result(first["run_id"]).usage == Usage(2, 0, usage["cost_usd"])


def test_a_plan_that_acts_and_extracts_repeats_with_no_call_and_rides_out_a_changed_site(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    site, versions = pages
    shop = [
        {"type": "navigate", "intent": "Open the shop", "params": {"url": f"{site}/shop"}},
        {"type": "click", "intent": "Show the items", "params": {"label": "Show items"}},
        {"type": "extract_data", "intent": "The items on sale", "extract": SPEC},
    ]
    read = completion(json.dumps({"rows": items(site, 3)}))
    first = run(modelled, standin, site, choosing("button", "Show items"), read, micro=shop)
    assert first["calls"] == 2 and marks(first) == [None, "model", "model"]
    assert values(first) == items(site, 3)
    again = run(modelled, standin, site, micro=shop)
    assert again["calls"] == 0 and marks(again) == [None, "replayed", "replayed"]
    assert values(again) == items(site, 3) and again["result"]["usage"]["replayed_steps"] == 2

    # The button moved into other markup, the list gained two records under new class names: the issue
    # allows a call per changed step to heal; neither record needed one.
    versions["/shop"] = "changed"
    changed = run(modelled, standin, site, micro=shop)
    assert changed["calls"] == 0 and marks(changed) == [None, "replayed", "replayed"]
    assert values(changed) == items(site, 5)


def values(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in body["result"]["rows"]]


def test_a_claude_run_learns_and_replays_the_same_way(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/claude"
    asked = (choosing("textbox", "Name", "claude"), choosing("button", "Send", "claude"))
    first = run(modelled, standin, url, *asked, cua_model="claude")
    assert [r.path for r in standin.requests] == ["/v1/messages"] * 2
    assert marks(first) == [None, "model", "model", None] and first["result"]["usage"]["model_calls"] == 2
    second = run(modelled, standin, url, cua_model="claude")
    assert second["calls"] == 0 and marks(second) == [None, "replayed", "replayed", None]
    assert rows(second) == rows(first)


def test_a_moved_button_replays_and_a_changed_label_heals_once(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    site, versions = pages
    url = f"{site}/changing"
    first = run(modelled, standin, url, NAME, SEND)
    versions["/changing"] = "moved"
    moved = run(modelled, standin, url)  # the same role and label, elsewhere in other markup
    assert moved["calls"] == 0 and marks(moved) == [None, "replayed", "replayed", None]
    assert rows(moved) == rows(first)

    versions["/changing"] = "relabelled"
    healed = run(modelled, standin, url, choosing("button", "Send it"))
    assert healed["calls"] == 1 and marks(healed) == [None, "replayed", "healed", None]
    assert rows(healed) == rows(first)
    after = run(modelled, standin, url)
    assert after["calls"] == 0 and marks(after) == [None, "replayed", "replayed", None]
    assert rows(after) == rows(first)


def test_refresh_relearns_and_off_neither_reads_nor_writes(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/modes"
    off = run(modelled, standin, url, NAME, SEND, replay="off")
    assert off["calls"] == 2 and marks(off) == [None, "model", "model", None]
    assert run(modelled, standin, url, NAME, SEND)["calls"] == 2  # `off` left nothing to replay
    refreshed = run(modelled, standin, url, NAME, SEND, replay="refresh")
    assert refreshed["calls"] == 2 and marks(refreshed) == [None, "model", "model", None]
    assert run(modelled, standin, url)["calls"] == 0


def test_records_never_cross_tenants(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/tenants"
    run(modelled, standin, url, NAME, SEND)
    other = modelled.tenant("bolt")
    theirs = run(modelled, standin, url, NAME, SEND, token=other)
    assert theirs["calls"] == 2 and marks(theirs) == [None, "model", "model", None]
    assert run(modelled, standin, url, token=other)["calls"] == 0
    assert run(modelled, standin, url)["calls"] == 0


def test_a_tenant_with_replay_off_keeps_every_run_off(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/tenant-off"
    token = modelled.tenant("careful", "--replay", "off")
    for _ in range(2):
        body = run(modelled, standin, url, NAME, SEND, token=token)
        assert body["calls"] == 2 and marks(body) == [None, "model", "model", None]
    cli(modelled, "tenants", "set", "careful", "--replay", "auto")
    run(modelled, standin, url, NAME, SEND, token=token)
    assert run(modelled, standin, url, token=token)["calls"] == 0


def test_an_unknown_replay_value_is_refused(modelled: Server, pages: tuple[str, dict[str, str]]) -> None:
    response = modelled.predict({"micro": plan(f"{pages[0]}/x"), "replay": "sometimes"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and [d["path"] for d in error["details"]] == ["replay"]


def test_a_plan_text_plans_again_with_no_call_and_refresh_replans(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/text"
    planned = completion(json.dumps({"steps": plan(url)[:3]}))  # a model's plan extracts with a schema
    text = {"plan_text": f"Open {url}, type Ada as the name and send the form"}
    first = run(modelled, standin, url, planned, NAME, SEND, **text)
    assert first["calls"] == 3 and [c["purpose"] for c in first["result"]["cost"]["calls"]] == [
        "plan",
        "ground",
        "ground",
    ]
    again = run(modelled, standin, url, **text)
    assert again["calls"] == 0 and marks(again) == [None, "replayed", "replayed"]
    logged = modelled.predict({"action": "logs", "run_id": again["run_id"]}).json()["events"]
    assert "plan.replayed" in [event["type"] for event in logged]
    refreshed = run(modelled, standin, url, planned, NAME, SEND, replay="refresh", **text)
    assert refreshed["calls"] == 3 and marks(refreshed) == [None, "model", "model"]


def test_operators_list_and_clear_records_and_tenants_only_their_own(
    modelled: Server, standin: StandIn, pages: tuple[str, dict[str, str]]
) -> None:
    url = f"{pages[0]}/operated"
    learned = run(modelled, standin, url, NAME, SEND)
    listed = cli(modelled, "replay", "list", LOCAL_TENANT, "--run", learned["run_id"])
    assert "0/1" in listed and "0/2" in listed and "dom_action" in listed
    records = modelled.predict({"action": "replays", "run_id": learned["run_id"]}).json()["replays"]
    assert sorted((r["step"], r["kind"], r["run_id"]) for r in records) == [
        ("0/1", "dom_action", learned["run_id"]),
        ("0/2", "dom_action", learned["run_id"]),
    ]
    stranger = modelled.tenant("stranger")
    theirs = modelled.predict({"action": "replays", "run_id": learned["run_id"]}, token=stranger)
    assert theirs.status_code == 404  # another tenant's run names no plan of theirs
    assert modelled.predict({"action": "clear_replays"}, token=stranger).json() == {"cleared": 0}
    assert modelled.predict({"action": "replays"}, token=stranger).json() == {"replays": [], "total": 0}
    assert run(modelled, standin, url)["calls"] == 0  # still there after the stranger's clear

    cleared = cli(modelled, "replay", "clear", LOCAL_TENANT, "--run", learned["run_id"])
    assert cleared.strip() == f"cleared 2 replay records of {LOCAL_TENANT}"
    assert run(modelled, standin, url, NAME, SEND)["calls"] == 2
    answer = modelled.predict({"action": "clear_replays", "run_id": learned["run_id"]}).json()
    assert answer == {"cleared": 2}
    assert run(modelled, standin, url, NAME, SEND)["calls"] == 2


def cli(server: Server, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", *args],
        env=server_env(server.home, **server.env),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout

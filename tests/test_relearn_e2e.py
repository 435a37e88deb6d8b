"""Learned extraction through the real server, a real Chromium and a model stand-in speaking the OpenAI
wire format on 127.0.0.1: the first run of a plan asks the model for its rows, the second reads the same
rows with no call, a page that gained two records and renamed its classes is read right with at most one
call, a page rebuilt as a table heals with exactly one, and the run after each makes none; the step keeps a
program per layout it met, so going back to the cards costs nothing either."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import Server, openai_standin_env, start_server, stop_server
from tests.pages_server import QuietHandler, serve
from tests.test_relearn import ITEMS

from brains_standin import StandIn, completion


def cards(count: int, names: tuple[str, str]) -> str:
    """Unequal cards under meaningless classes: the second carries a badge, the first a note."""
    grid, card = names
    body = "".join(
        f'<div class="{card}">{"<span>Sale</span>" if i == 1 else ""}<h3><a href="/i/{i}">{name}</a></h3>'
        f"<p>Seller {seller}</p>{'<p>Ships in a week</p>' if i == 0 else ''}<span>${price}</span></div>"
        for i, (name, seller, price) in enumerate(ITEMS[:count])
    )
    return (
        f'<html><head><title>Ledger</title></head><body><div class="q1">Quarterly ledger</div>'
        f'<div class="{grid}">{body}</div><footer>Seller terms apply</footer></body></html>'
    )


def table(count: int) -> str:
    body = "".join(
        f'<tr><td><a href="/i/{i}">{name}</a></td><td>{seller}</td><td>${price}</td></tr>'
        for i, (name, seller, price) in enumerate(ITEMS[:count])
    )
    return (
        "<html><body><h1>Ledger</h1><table><thead><tr><th>Item</th><th>Seller</th><th>Price</th></tr>"
        f"</thead><tbody>{body}</tbody></table></body></html>"
    )


PAGES = {
    "three cards": cards(3, ("g", "c")),
    "five renamed cards": cards(5, ("x-71", "k3q")),
    "a table": table(5),
}


SHOWING = {"page": "three cards"}  # what the ledger serves now; each test sets it


class Ledger(QuietHandler):
    def do_GET(self) -> None:
        self.reply(PAGES[SHOWING["page"]] if self.path == "/ledger" else "<html><body>Item</body></html>")


@pytest.fixture(scope="module")
def ledger() -> Iterator[str]:
    with serve(Ledger) as url:
        yield url


@pytest.fixture(scope="module")
def modelled(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("relearn"), **openai_standin_env(standin, 2.0, 10.0))
    yield running
    stop_server(running)


SPEC = {
    "schema_name": "items",
    "fields": [
        {"name": "name"},
        {"name": "seller"},
        {"name": "price", "type": "decimal"},
        {"name": "url", "type": "url"},
    ],
    "max_items": 10,
}


def rows(site: str, count: int) -> list[dict[str, Any]]:
    return [
        {"name": name, "seller": seller, "price": f"{price} USD", "url": f"{site}/i/{i}"}
        for i, (name, seller, price) in enumerate(ITEMS[:count])
    ]


EXTRACT = {"type": "extract_data", "intent": "The items on sale", "extract": SPEC}
COLLECT = {"type": "collect_urls", "intent": "The items' pages", "out_var": "items"}


def plan(site: str, step: dict[str, Any], replay: str) -> dict[str, Any]:
    steps = [{"type": "navigate", "intent": "Open the ledger", "params": {"url": f"{site}/ledger"}}, step]
    return {
        "micro": steps,
        "cua_model": "openai",
        "compute_backend": "browser_use_plane",
        "detached": False,
        "replay": replay,
    }


def run(
    server: Server,
    standin: StandIn,
    site: str,
    page: str,
    *answers: list[dict[str, Any]],
    step: dict[str, Any] = EXTRACT,
    replay: str = "auto",
) -> tuple[dict[str, Any], int]:
    """One run of the plan on `page`, the model answering `answers` in turn; the result and the calls."""
    SHOWING["page"] = page
    standin.reset()
    standin.script(*(completion(json.dumps({"rows": answer})) for answer in answers))
    body = server.predict(plan(site, step, replay)).json()
    assert body["status"] == "succeeded", body.get("summary")
    result = server.predict({"action": "result", "run_id": body["run_id"]}).json()["result"]
    return result, len(standin.requests)


def values(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in result["rows"]]


def said(result: dict[str, Any]) -> tuple[str | None, int, int]:
    """How the extraction step went (its trace mark), and the run's model calls and replayed steps."""
    [step] = [step for step in result["steps"] if step["type"] != "navigate"]
    usage = result["usage"]
    return step["marks"]["replay"], usage["model_calls"], usage["replayed_steps"]


def test_the_rows_are_learned_replayed_and_healed(modelled: Server, standin: StandIn, ledger: str) -> None:
    first, calls = run(modelled, standin, ledger, "three cards", rows(ledger, 3))
    assert calls == 1 and values(first) == rows(ledger, 3) and said(first) == ("model", 1, 0)

    again, calls = run(modelled, standin, ledger, "three cards")
    assert calls == 0 and values(again) == rows(ledger, 3) and said(again) == ("replayed", 0, 1)

    # Two more records and new class names: the program never read a class, so it still fits (the
    # issue allows one call to heal; none is needed) and reads the two new records too.
    grown, calls = run(modelled, standin, ledger, "five renamed cards", rows(ledger, 5))
    assert calls == 0 and values(grown) == rows(ledger, 5) and said(grown) == ("replayed", 0, 1)

    # Rebuilt as a table: the program does not fit, the model is asked once and teaches it again.
    rebuilt, calls = run(modelled, standin, ledger, "a table", rows(ledger, 5))
    assert calls == 1 and values(rebuilt) == rows(ledger, 5) and said(rebuilt) == ("healed", 1, 0)
    after, calls = run(modelled, standin, ledger, "a table")
    assert calls == 0 and values(after) == rows(ledger, 5) and said(after) == ("replayed", 0, 1)

    # Back to the cards: the step kept their program beside the table's, so neither layout needs a call.
    back, calls = run(modelled, standin, ledger, "three cards")
    assert calls == 0 and values(back) == rows(ledger, 3) and said(back) == ("replayed", 0, 1)

    # `off` asks the model and keeps nothing; `refresh` asks it and starts the record over.
    unrecorded, calls = run(modelled, standin, ledger, "a table", rows(ledger, 5), replay="off")
    assert calls == 1 and values(unrecorded) == rows(ledger, 5) and said(unrecorded) == ("model", 1, 0)
    refreshed, calls = run(modelled, standin, ledger, "three cards", rows(ledger, 3), replay="refresh")
    assert calls == 1 and values(refreshed) == rows(ledger, 3) and said(refreshed) == ("model", 1, 0)
    after, calls = run(modelled, standin, ledger, "three cards")
    assert calls == 0 and values(after) == rows(ledger, 3) and said(after) == ("replayed", 0, 1)
    relearned, calls = run(modelled, standin, ledger, "a table", rows(ledger, 5))
    assert calls == 1 and values(relearned) == rows(ledger, 5) and said(relearned) == ("healed", 1, 0)


def test_collected_links_are_learned_and_replayed(modelled: Server, standin: StandIn, ledger: str) -> None:
    links = [{"url": row["url"], "title": row["name"]} for row in rows(ledger, 3)]
    first, calls = run(modelled, standin, ledger, "three cards", links, step=COLLECT)
    assert calls == 1 and said(first) == ("model", 1, 0)
    grown, calls = run(modelled, standin, ledger, "five renamed cards", step=COLLECT)
    assert calls == 0 and said(grown) == ("replayed", 0, 1)
    assert grown["steps"][-1]["message"] == "5 URLs into items"

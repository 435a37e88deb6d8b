"""Checkpoints and resume, with real server processes killed for real: a loop over slow detail pages of
the tests' own, whose server logs every request, so that "not fetched again" is the page server's word."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Server, start_server, stop_server
from tests.pages_server import QuietHandler, serve

DETAIL_DELAY_S = 1.5  # slow enough that a kill lands while a detail page is being fetched
ITEMS = [("Quartz lamp", 41), ("Oak stool", 87), ("Tin kettle", 23), ("Wool rug", 150), ("Brass hook", 6),
         ("Clay pot", 19)]  # fmt: skip

LISTING = """<!doctype html><html><body><h3>Stock</h3><table>{rows}</table></body></html>"""
ROW = """<tr><td><a href="/item/{n}">{name}</a></td><td class="q1">#{n}</td></tr>"""
DETAIL = """<!doctype html><html><body><div class="x9"><h1>{name}</h1>
<p class="k">Price</p><p class="v">${price}</p></div></body></html>"""


class PageLog:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def add(self, path: str) -> None:
        with self._lock:
            self.paths.append(path)

    def count(self, path: str) -> int:
        with self._lock:
            return self.paths.count(path)


@contextmanager
def slow_site() -> Iterator[tuple[str, PageLog]]:
    log = PageLog()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            log.add(path)
            if path.startswith("/item/") and path[6:].isdigit() and 1 <= int(path[6:]) <= len(ITEMS):
                time.sleep(DETAIL_DELAY_S)
                name, price = ITEMS[int(path[6:]) - 1]
                body = DETAIL.format(name=name, price=price)
            else:
                rows = "".join(ROW.format(n=i + 1, name=name) for i, (name, _) in enumerate(ITEMS))
                body = LISTING.format(rows=rows)
            self.reply(body)

    with serve(Handler) as url:
        yield url, log


def loop_plan(site: str) -> dict[str, Any]:
    return {
        "runtime": {"compute_backend": "browser_use_plane"},
        "steps": [
            {"type": "navigate", "intent": "Open the stock list", "params": {"url": f"{site}/stock"}},
            {"type": "collect_urls", "intent": "Collect the items", "params": {"var": "items", "max": 6}},
            {"type": "navigate", "intent": "Open the next item", "params": {"url_from": "items"}},
            {
                "type": "extract_data",
                "intent": "Read the item",
                "extract": {
                    "schema_name": "items",
                    "fields": [{"name": "name"}, {"name": "price", "type": "int"}],
                },
            },
            {"type": "loop", "intent": "Next item", "loop_target": 2, "loop_count": 10,
             "stop_var": "items_exhausted"},
        ],
    }  # fmt: skip


def submit(server: Server, body: dict[str, Any]) -> str:
    response = server.predict(body)
    assert response.status_code == 200, response.text
    return str(response.json()["run_id"])


def events(server: Server, run_id: str) -> list[dict[str, Any]]:
    body = server.predict({"action": "logs", "run_id": run_id, "limit": 1000}).json()
    return list(body["events"])


def past_third_row(server: Server, run_id: str, timeout_s: float = 120) -> None:
    """Until the run has 3 rows and has begun the step after the 3rd one's loop: the checkpoint of the
    loop is committed before the next step's start is logged."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen = events(server, run_id)
        rows = [i for i, e in enumerate(seen) if e["type"] == "extract.rows"]
        if len(rows) >= 3 and any(e["type"] == "step.started" for e in seen[rows[2] + 2 :]):
            return
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} never got past its third row")


def kill(server: Server) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()


def result(server: Server, run_id: str) -> dict[str, Any]:
    return dict(server.predict({"action": "result", "run_id": run_id}).json())


def assert_every_item_once(home: Path, body: dict[str, Any]) -> None:
    names = [row["name"] for row in body["result"]["rows"]]
    assert sorted(names) == sorted(name for name, _ in ITEMS), names
    assert len(body["result"]["leads"]) == len(ITEMS)
    run_dir = home / "runs" / body["run_id"]
    for artifact in ("extracted_rows.csv", "leads.csv"):
        lines = (run_dir / artifact).read_text().strip().splitlines()[1:]
        assert sorted(line.split(",")[0] for line in lines) == sorted(names), artifact


def test_resume_state_takes_up_the_workflow_where_a_killed_server_left_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with slow_site() as (site, log):
        body = {"micro": loop_plan(site), "workflow_id": "stock-sweep"}
        server = start_server(home, MANTIS_AUTO_RESUME="0")
        try:
            first = submit(server, body)
            past_third_row(server, first)
        finally:
            kill(server)

        server = start_server(home, MANTIS_AUTO_RESUME="0")
        try:
            lost = server.wait(first)
            assert lost["status"] == "failed" and lost["error"]["code"] == "worker_lost"
            assert len(result(server, first)["result"]["rows"]) >= 3  # kept, though the worker died

            second = submit(server, {**body, "resume_state": True})
            assert server.wait(second)["status"] == "succeeded"
            done = result(server, second)
        finally:
            stop_server(server)

    assert_every_item_once(home, done)
    assert done["result"]["resumed_from"]["run_id"] == first
    assert done["result"]["resumed_from"]["rows"] >= 3
    assert done["result"]["steps"][0]["type"] != "resume"  # the first run's steps come first, then the resume
    for n in (1, 2, 3):
        assert log.count(f"/item/{n}") == 1, log.paths
    assert log.count("/stock") == 1, log.paths


def test_resume_without_a_checkpoint_starts_over_and_a_changed_plan_is_refused(
    tmp_path: Path, server: Server
) -> None:
    with slow_site() as (site, _log):
        plan = loop_plan(site)
        plan["steps"][1]["params"]["max"] = 1
        body = {"micro": plan, "workflow_id": f"fresh-{tmp_path.name}", "resume_state": True}
        run_id = submit(server, body)
        assert server.wait(run_id)["status"] == "succeeded"
        done = result(server, run_id)
        assert done["result"]["resumed_from"] is None
        assert done["result"]["steps"][0]["type"] == "resume"
        assert "no checkpoint" in done["result"]["steps"][0]["message"]
        assert "run.resume_skipped" in [e["type"] for e in events(server, run_id)]

        plan["steps"][1]["params"]["max"] = 2
        refused = server.predict({**body, "micro": plan})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "checkpoint_mismatch" and "rotate workflow_id" in error["message"]
        assert error["details"]["run_id"] == run_id

        no_workflow = server.predict({"micro": plan, "resume_state": True})
        assert no_workflow.status_code == 400 and no_workflow.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("how", ["kill", "sigterm"])
def test_a_run_whose_server_died_or_stopped_goes_on_from_its_checkpoint(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    env = {"MANTIS_SHUTDOWN_GRACE_S": "1"}
    with slow_site() as (site, log):
        server = start_server(home, **env)
        try:
            run_id = submit(server, {"micro": loop_plan(site)})  # no workflow_id: its own checkpoint
            past_third_row(server, run_id)
            if how == "sigterm":
                server.process.send_signal(signal.SIGTERM)
                assert server.process.wait(timeout=60) == 0
        finally:
            if server.process.poll() is None:
                kill(server)

        server = start_server(home, **env)
        try:
            ended = server.wait(run_id)
            done = result(server, run_id)
            kinds = [e["type"] for e in events(server, run_id)]
        finally:
            stop_server(server)

    assert ended["status"] == "succeeded", ended
    assert ended["resumed_from"]["run_id"] == run_id
    assert_every_item_once(home, done)
    assert ("run.auto_resumed" if how == "kill" else "run.requeued") in kinds
    assert kinds.count("run.succeeded") == 1 and "run.cancelled" not in kinds  # one end, the real one
    for n in (1, 2):
        assert log.count(f"/item/{n}") == 1, log.paths

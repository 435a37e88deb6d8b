"""The spine end to end: a real server process, real HTTP, a real Chromium, the demo sites."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from tests.conftest import REPO, Server


def test_healthz_and_openapi(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/readyz").status_code == 200
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert "/v1/predict" in spec["paths"]


def test_list_page_plan_extracts_private_listings_on_the_default_computer_plane(server: Server) -> None:
    queued = server.predict({"micro": "plans/example/listings_list_page.json", "state_key": "e2e-listings"})
    assert queued.status_code == 200, queued.text
    handle = queued.json()
    assert handle["status"] == "queued" and handle["mode"] == "detached"
    assert handle["payload"]["micro"] == "plans/example/listings_list_page.json"
    assert handle["effective"] == {
        "max_cost": 25.0,
        "max_time_minutes": 60.0,
        "compute_backend": "computer_plane",
        "replay": "auto",
    }
    for key in ("status_path", "result_path", "csv_path", "events_path"):
        assert handle[key].startswith(str(server.home))

    final = server.wait(handle["run_id"])
    assert final["status"] == "succeeded", final
    assert final["error"] is None and final["viable"] > 0
    result = server.predict({"action": "result", "run_id": handle["run_id"]}).json()["result"]
    rows = result["rows"]
    assert 1 <= len(rows) <= 12
    viable = [r for r in rows if r["_viable"]]
    assert result["viable"] == len(viable) == final["viable"]
    assert result["leads"] and all(lead.startswith("VIABLE | title: ") for lead in result["leads"])
    assert all(isinstance(r["price"], int) and r["price"] > 0 for r in viable)
    # the filter really applied: every listing on the page is a private seller's
    assert all("dealer" not in str(r.get("seller", "")).casefold() for r in viable)

    run_dir = Path(handle["status_path"]).parent
    with (run_dir / "leads.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == len(viable)
    assert json.loads((run_dir / "extracted_rows.json").read_text()) == rows
    events = [json.loads(line) for line in (run_dir / "events.log").read_text().splitlines()]
    assert events[0]["type"] == "run.started" and events[-1]["type"] == "run.succeeded"
    assert any(e["type"] == "step.branch" for e in events)
    assert sorted(run_dir.glob("step_*.png"))
    assert json.loads((run_dir / "status.json").read_text())["status"] == "succeeded"
    artifact = httpx.get(result["artifacts"]["leads.csv"], headers=server.headers())
    assert artifact.status_code == 200 and artifact.text.startswith("title,")


def test_full_marketplace_flow_reads_detail_pages(server: Server) -> None:
    body = server.predict({"micro": "plans/example/extract_listings.json", "detached": False}).json()
    assert body["status"] == "succeeded", body["summary"]
    result = body["result"]
    rows = result["rows"]
    assert len(rows) == 5 and result["viable"] == 5
    for row in rows:
        assert row["price"] >= 35000 and row["location"].endswith(", FL")
        assert row["title"] == f"{row['year']} {row['make']} {row['model']}"
        assert row["seller_phone"] and row["listing_url"].startswith(
            server.url + "/demo/marketplace/listing/"
        )
    assert len({r["listing_url"] for r in rows}) == 5
    assert result["state_vars"]["listing_urls_exhausted"] is True
    loops = [s for s in result["steps"] if s["type"] == "loop"]
    assert [s["message"].split("→")[1] for s in loops] == ["9", "9", "9", "9", "14"]


def test_crm_task_file_signs_in_creates_searches_and_updates(server: Server) -> None:
    body = server.predict(
        {"task_file": "tasks/crm/crm_tasks.json", "compute_backend": "browser_use_plane", "detached": False}
    ).json()
    assert body["status"] == "succeeded", body["summary"]
    found, updated = body["result"]["rows"]
    assert found["name"] == "Ada Lovelace" and found["status"] == "Lead"
    assert updated["email"] == "ada@analytical-engines.example" and updated["status"] == "Qualified"
    assert {s["task_id"] for s in body["result"]["steps"]} == {
        "sign_in",
        "create_contact",
        "search_contacts",
        "qualify_contact",
    }


def test_hn_plan_extracts_top_five_in_order(server: Server) -> None:
    body = server.predict({"micro": "plans/example/hn_top5.json", "detached": False}).json()
    assert body["status"] == "succeeded", body
    rows = body["result"]["rows"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert all(r["title"] and r["story_url"].startswith("http") for r in rows)
    assert all(isinstance(r["points"], int) for r in rows)


def test_seed_minimal_client_runs_unchanged(server: Server) -> None:
    env = {
        **os.environ,
        "MANTIS_ENDPOINT": server.url,
        "BASETEN_API_KEY": "",
        "MANTIS_API_TOKEN": server.token,
    }
    out = subprocess.run(
        [sys.executable, str(REPO / "tests" / "seed_client.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    summary, leads = out.stdout.strip().splitlines()[-2:]
    assert summary.startswith("Succeeded:")
    assert leads.startswith("['VIABLE | title: ")

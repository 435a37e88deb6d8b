"""`mantis run | status | result | logs | cancel | download | runs` against a real server, both as
subprocesses and through Typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from tests.conftest import Server
from typer.testing import CliRunner, Result

from mantis.cli.main import app
from mantis.cli.rows import show_table
from mantis.client import MantisClient, RunResult

NAVIGATE = {"type": "navigate", "params": {"url": "/demo/news/"}}
NEWS_PLAN = {
    "runtime": {"compute_backend": "browser_use_plane"},
    "steps": [
        NAVIGATE,
        {"type": "extract_data", "extract": {"fields": [{"name": "title"}], "max_items": 3}},
    ],
}
runner = CliRunner()


def cli(server: Server, *args: str) -> Result:
    """The command through CliRunner, configured by the environment as a user's shell would be."""
    return runner.invoke(
        app, list(args), env={"MANTIS_ENDPOINT": server.url, "MANTIS_API_TOKEN": server.token}
    )


def mantis_env(server: Server) -> dict[str, str]:
    return {**os.environ, "MANTIS_ENDPOINT": server.url, "MANTIS_API_TOKEN": server.token}


def mantis(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", *args],
        env=mantis_env(server),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def finished(server: Server) -> RunResult:
    with MantisClient(server.url, server.token) as client:
        return client.run(micro=NEWS_PLAN, poll_s=0.2)


def test_run_a_local_plan_file_as_json(server: Server, tmp_path: Path) -> None:
    plan = tmp_path / "news.json"
    plan.write_text(json.dumps(NEWS_PLAN))
    out = mantis(server, "run", str(plan), "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["status"] == "succeeded" and len(body["result"]["rows"]) == 3


def test_run_follows_a_library_plan_and_shows_rows(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a local file here: the path is sent for the server's plan library
    shown = runner.invoke(
        app, ["run", "plans/example/hn_top5.json", "--endpoint", server.url, "--token", server.token]
    )
    assert shown.exit_code == 0, shown.output
    assert "5 rows" in shown.stdout and "Succeeded" in shown.stdout


def test_run_sends_suites_inputs_and_options(server: Server, tmp_path: Path) -> None:
    suite = {
        "base_url": "/demo/news/",
        "tasks": [{"task_id": "front", "start_url": "/demo/news/", "steps": [NAVIGATE]}],
    }
    (tmp_path / "suite.json").write_text(json.dumps(suite))
    args = ["--max-cost", "1", "--max-minutes", "2", "--backend", "browser_use_plane", "--record-video"]
    out = cli(
        server,
        "run",
        str(tmp_path / "suite.json"),
        "--no-follow",
        "--json",
        *args,
        "--input",
        "page=/demo/news/",
        "--input",
        "empty=",
    )
    assert out.exit_code == 0, out.output
    handle = json.loads(out.stdout)
    payload = handle["payload"]
    assert payload["task_suite"] == suite and payload["inputs"] == {"page": "/demo/news/", "empty": ""}
    assert payload["record_video"] is True and payload["compute_backend"] == "browser_use_plane"
    assert handle["effective"]["max_cost"] == 1 and handle["effective"]["max_time_minutes"] == 2
    bare = cli(server, "run", str(tmp_path / "suite.json"), "--no-follow")
    assert bare.stdout.strip() == bare.stdout.strip().split()[0]  # just the run id, for scripts


def test_status_result_and_runs(server: Server, finished: RunResult) -> None:
    run_id = finished.run_id
    status = cli(server, "status", run_id)
    assert status.exit_code == 0 and "succeeded" in status.stdout
    assert json.loads(cli(server, "status", run_id, "--json").stdout)["status"] == "succeeded"
    shown = cli(server, "result", run_id)
    assert shown.exit_code == 0
    assert "3 rows" in shown.stdout and "VIABLE | title:" in shown.stdout and "Succeeded" in shown.stdout
    assert len(json.loads(cli(server, "result", run_id, "--json").stdout)["result"]["rows"]) == 3
    listed = json.loads(cli(server, "runs", "--json", "--limit", "1000").stdout)
    assert run_id in [run["run_id"] for run in listed["runs"]]
    assert cli(server, "runs", "--status", "succeeded").exit_code == 0


def test_logs_prints_the_events(server: Server, finished: RunResult) -> None:
    lines = cli(server, "logs", finished.run_id).stdout.splitlines()
    assert "run.started" in lines[0] and "run.succeeded" in lines[-1]
    events = [json.loads(line) for line in cli(server, "logs", finished.run_id, "--json").stdout.splitlines()]
    assert [events[0]["type"], events[-1]["type"]] == ["run.started", "run.succeeded"]


def test_download_saves_the_artifacts(server: Server, finished: RunResult, tmp_path: Path) -> None:
    run_dir = server.home / "runs" / finished.run_id
    every = cli(server, "download", finished.run_id, "--dest", str(tmp_path / "all"))
    assert every.exit_code == 0, every.output
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(finished.artifacts)
    one = cli(
        server, "download", finished.run_id, "--dest", str(tmp_path / "one"), "--name", "leads.csv", "--json"
    )
    saved = Path(json.loads(one.stdout)["files"]["leads.csv"])
    assert saved.read_bytes() == (run_dir / "leads.csv").read_bytes()


def test_cancel_stops_a_waiting_run_while_logs_follow(server: Server) -> None:
    waiting = [NAVIGATE, {"type": "wait", "params": {"seconds": 20}}]
    with MantisClient(server.url, server.token) as client:
        run_id = client.submit(micro=waiting, compute_backend="browser_use_plane").run_id
    follower = subprocess.Popen(
        [sys.executable, "-m", "mantis.cli.main", "logs", run_id, "-f"],
        env=mantis_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    assert "run.started" in follower.stdout.readline()  # following a live run
    started = time.monotonic()
    cancelled = cli(server, "cancel", run_id, "--json")
    assert cancelled.exit_code == 0 and json.loads(cancelled.stdout)["status"] == "cancelled"
    rest, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert "run.cancelled" in rest.splitlines()[-1] and time.monotonic() - started < 15
    again = cli(server, "cancel", run_id)
    assert again.exit_code == 0 and "cancelled" in again.stdout


def test_errors_go_to_stderr_with_exit_1(server: Server, tmp_path: Path) -> None:
    denied = runner.invoke(app, ["runs", "--endpoint", server.url, "--token", "mt_not-a-token"])
    assert denied.exit_code == 1 and denied.stdout == ""
    assert denied.stderr.startswith("error: unauthorized:") and "Traceback" not in denied.stderr
    missing = cli(server, "status", "20990101_000000_deadbeef", "--json")
    assert missing.exit_code == 1 and missing.stdout == "" and "error: run_not_found:" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([NAVIGATE, {"type": "if_else", "condition_var": "x", "then_target": "three"}]))
    invalid = cli(server, "run", str(bad), "--json")
    assert invalid.exit_code == 1 and invalid.stdout == ""
    assert "error: invalid_plan:" in invalid.stderr and "steps[1].then_target" in invalid.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", "plans/x.json", "--text", "open the news"],
        ["run", "plans/x.json", "--input", "novalue"],
    ],
)
def test_usage_errors_exit_2(server: Server, args: list[str]) -> None:
    assert cli(server, *args).exit_code == 2


def test_rows_as_csv_json_and_jsonl_on_stdout(server: Server, finished: RunResult) -> None:
    rows = finished.rows
    as_json = mantis(server, "result", finished.run_id, "--output", "json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == rows
    lines = mantis(server, "result", finished.run_id, "-o", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == rows
    as_csv = mantis(server, "result", finished.run_id, "-o", "csv")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["title"] for r in table] == [r["title"] for r in rows]
    assert {r["_viable"] for r in table} == {"true"} and "Succeeded" in as_csv.stderr


def test_a_table_fits_80_columns_without_internal_ones(server: Server, finished: RunResult) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", "result", finished.run_id],
        env={**mantis_env(server), "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    table = out.stdout.split("VIABLE |")[0].splitlines()
    assert out.returncode == 0 and table[0] == "3 rows, 3 viable"
    assert len(table) == 1 + 2 + 3  # the count, the header and its rule, one line per row: nothing wraps
    assert all(len(line) <= 80 for line in table) and "_viable" not in out.stdout
    assert sum(line.startswith("✓") for line in table) == 3


def test_a_rejected_row_is_marked_and_its_reason_told() -> None:
    long = "a value much longer than any cell of the table may be " * 3
    rows = [
        {"name": "kept", "note": long, "_viable": True},
        {"name": "", "note": "short", "_viable": False, "_rejection": "missing_required:name"},
    ]
    console = Console(width=80, record=True, color_system=None)
    show_table(console, rows)
    lines = console.export_text().splitlines()
    assert lines[0] == "2 rows, 1 viable" and lines[3].startswith("✓") and lines[4].startswith("✗")
    assert "…" in lines[3] and all(len(line) <= 80 for line in lines)
    assert lines[-1] == "✗ row 2: missing_required:name"


@pytest.mark.parametrize("args", [["logs"], ["result"], ["result", "-o", "csv"], ["runs"]])
def test_a_closed_pipe_ends_quietly(server: Server, finished: RunResult, args: list[str]) -> None:
    """`mantis … | head`: the reader has gone before the output is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    argv = [*args[:1], *([finished.run_id] if args[0] != "runs" else []), *args[1:]]
    out = subprocess.run(
        [sys.executable, "-m", "mantis.cli.main", *argv],
        env=mantis_env(server),
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    os.close(write_end)
    assert out.returncode == 1 and "Traceback" not in out.stderr and "Broken pipe" not in out.stderr

"""`mantis run | status | result | logs | cancel | download | runs`: the HTTP API from a shell, through
`mantis.client`. With `--json` a command prints only JSON; an error answer ends it with exit code 1 and
`error: <code>: <message>` on stderr."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mantis.cli.rows import Output, show_table, write
from mantis.client import MantisClient, MantisError, RunOptions, RunResult, RunStatus

# Piped into a log, Rich would fold a table of rows into 80 columns; 160 keeps most values whole there.
PIPED_WIDTH = 160
console = Console(highlight=False)
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = PIPED_WIDTH
progress_console = Console(stderr=True)


class Backend(StrEnum):
    computer_plane = "computer_plane"
    browser_use_plane = "browser_use_plane"


class State(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


Endpoint = Annotated[
    str | None,
    typer.Option("--endpoint", envvar="MANTIS_ENDPOINT", help="Server URL (default http://127.0.0.1:8000)."),
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="MANTIS_API_TOKEN", show_envvar=True, help="Tenant token."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON only.")]
RowsOutput = Annotated[
    Output,
    typer.Option(
        "--output",
        "-o",
        help="The rows as a table (with the summary), or only the rows as json, jsonl or csv on stdout.",
    ),
]
RunId = Annotated[str, typer.Argument(help="The run's id.", show_default=False)]


def fail(error: MantisError) -> NoReturn:
    """`error: <code>: <message>` on stderr, then the `{path, message}` list an invalid plan carries."""
    typer.echo(f"error: {error}", err=True)
    for detail in error.details if isinstance(error.details, list) else []:
        if isinstance(detail, dict):
            typer.echo(f"  {detail.get('path', '')}: {detail.get('message', '')}", err=True)
    raise typer.Exit(1)


@contextmanager
def connect(endpoint: str | None, token: str | None) -> Iterator[MantisClient]:
    """A client for one command; an error answer, or a file that cannot be written, ends it cleanly."""
    try:
        with MantisClient(endpoint, token) as client:
            yield client
    except MantisError as error:
        fail(error)
    except BrokenPipeError:  # the reader went away (`| head`): Click ends quietly with exit code 1
        raise
    except OSError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def print_json(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))


def step_of(status: RunStatus) -> str:
    """`step i/n`, counting from 1, for the step running now (or the last one, once the run ended)."""
    step = status.progress
    return f"step {min(step.step_index + 1, step.steps_total)}/{step.steps_total}"


def follow(client: MantisClient, run_id: str, poll_s: float = 1.0) -> RunStatus:
    """Waits for the run's end with a live line on stderr: status, step i/n, current intent, elapsed."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=progress_console, transient=True) as progress:
        bar = progress.add_task("queued", total=None)

        def update(status: RunStatus) -> None:
            step = status.progress
            progress.update(
                bar,
                total=step.steps_total or None,
                completed=step.step_index,
                description=f"{status.status} {step_of(status)} {step.current_intent or ''}"[:70],
            )

        return client.wait(run_id, poll_s=poll_s, on_progress=update)


def show_outcome(result: RunResult, leads: bool = False, output: Output = Output.table) -> None:
    """The rows as a table, optionally the leads, then the summary coloured by how the run ended; or,
    in a machine format, the rows alone (the summary then goes to stderr)."""
    if output is not Output.table:
        write(result.rows, output)
        progress_console.print(Text(result.summary or result.status))
        return
    show_table(console, result.rows)
    if leads:
        for lead in result.leads:
            console.print(Text(lead))
    colour = "green" if result.status == "succeeded" else "red"
    console.print(Text(result.summary or result.status, style=f"bold {colour}"))


def show_status(status: RunStatus) -> None:
    step = status.progress
    grid = Table.grid(padding=(0, 2))
    grid.add_row("run", f"{status.run_id}  {status.status}")
    grid.add_row("summary", Text(status.summary))
    grid.add_row("progress", Text(f"{step_of(status)} {step.current_intent or ''}"))
    grid.add_row(
        "elapsed", f"{status.elapsed_seconds:.1f} s   cost ${status.cost_usd:.4f}   viable {status.viable}"
    )
    if status.error is not None:
        grid.add_row("error", Text(f"{status.error.code}: {status.error.message}"))
    if status.viewer_url:
        grid.add_row("viewer", status.viewer_url)
    console.print(grid)


def plan_fields(plan: str | None, text: str | None) -> dict[str, Any]:
    """PLAN as the API wants it: a local JSON file inline (a dict with `tasks` is a task suite, anything
    else a micro-plan), otherwise a path in the server's plan library; or `--text` as plain English."""
    if plan is not None and text is not None:
        raise typer.BadParameter("give a PLAN or --text, not both", param_hint="PLAN")
    if text is not None:
        return {"plan_text": text}
    if plan is None:
        raise typer.BadParameter("give a PLAN or --text", param_hint="PLAN")
    path = Path(plan)
    if not path.is_file():
        return {"micro": plan}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"{plan} is not a JSON file: {exc}", param_hint="PLAN") from exc
    if isinstance(document, dict) and "tasks" in document:
        return {"task_suite": document}
    return {"micro": document}


def parse_inputs(pairs: list[str]) -> dict[str, str]:
    inputs = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--input")
        inputs[key] = value
    return inputs


def run(
    plan: Annotated[
        str | None,
        typer.Argument(
            help="A plan-library path (sent as micro), or a local JSON file sent inline.", show_default=False
        ),
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="A plain-English plan instead of PLAN.")] = None,
    follow_run: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Wait for the end, showing progress and the rows.")
    ] = True,
    as_json: AsJson = False,
    output: RowsOutput = Output.table,
    max_cost: Annotated[float | None, typer.Option("--max-cost", help="Cost cap, USD.")] = None,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", help="Time cap, minutes.")] = None,
    record_video: Annotated[bool, typer.Option("--record-video", help="Record a screencast.")] = False,
    backend: Annotated[Backend | None, typer.Option("--backend", help="The compute plane.")] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", metavar="KEY=VALUE", help="A value for {KEY} in step params; repeatable."),
    ] = None,
    endpoint: Endpoint = None,
    token: Token = None,
) -> None:
    """Submit a plan; with --follow (the default) wait for it and print its rows and summary."""
    fields = plan_fields(plan, text)
    options: RunOptions = {}
    if max_cost is not None:
        options["max_cost"] = max_cost
    if max_minutes is not None:
        options["max_time_minutes"] = max_minutes
    if record_video:
        options["record_video"] = True
    if backend is not None:
        options["compute_backend"] = backend.value
    if inputs:
        options["inputs"] = parse_inputs(inputs)
    with connect(endpoint, token) as client:
        queued = client.submit(**fields, **options)
        if not follow_run:
            if as_json:
                print_json(queued.body)
            else:
                typer.echo(queued.run_id)
            return
        if as_json:
            final = client.wait(queued.run_id, poll_s=1.0)
            print_json(client.result(queued.run_id).body)
        else:
            (console if output is Output.table else progress_console).print(f"run {queued.run_id} queued")
            final = follow(client, queued.run_id)
            show_outcome(client.result(queued.run_id), output=output)
    if final.status != "succeeded":
        raise typer.Exit(1)


def status(run_id: RunId, as_json: AsJson = False, endpoint: Endpoint = None, token: Token = None) -> None:
    """Show a run's status and progress."""
    with connect(endpoint, token) as client:
        current = client.status(run_id)
    if as_json:
        print_json(current.body)
    else:
        show_status(current)


def result(
    run_id: RunId,
    as_json: AsJson = False,
    output: RowsOutput = Output.table,
    endpoint: Endpoint = None,
    token: Token = None,
) -> None:
    """Show an ended run's rows, leads and summary (--output: only the rows, as json, jsonl or csv)."""
    with connect(endpoint, token) as client:
        outcome = client.result(run_id)
    if as_json:
        print_json(outcome.body)
    else:
        show_outcome(outcome, leads=True, output=output)


def logs(
    run_id: RunId,
    follow_logs: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until the run ends.")
    ] = False,
    as_json: AsJson = False,
    endpoint: Endpoint = None,
    token: Token = None,
) -> None:
    """Print a run's log events (--json: one JSON object per line)."""
    with connect(endpoint, token) as client:
        for event in client.iter_logs(run_id, follow=follow_logs):
            if as_json:
                typer.echo(json.dumps(event.body, ensure_ascii=False))
            else:
                step = "" if event.step_index is None else f"[{event.step_index}] "
                typer.echo(f"{event.ts} {event.level:<7} {event.type:<18} {step}{event.message}")


def cancel(run_id: RunId, as_json: AsJson = False, endpoint: Endpoint = None, token: Token = None) -> None:
    """Cancel a run; it keeps the rows it extracted. An ended run is left as it was."""
    with connect(endpoint, token) as client:
        current = client.cancel(run_id)
    if as_json:
        print_json(current.body)
    else:
        show_status(current)


def download(
    run_id: RunId,
    dest: Annotated[
        Path | None, typer.Option("--dest", help="Directory to save into (default ./RUN_ID).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Only this artifact (e.g. leads.csv).")] = None,
    as_json: AsJson = False,
    endpoint: Endpoint = None,
    token: Token = None,
) -> None:
    """Save a run's artifacts (all that its result lists, or --name) and print where they went."""
    folder = dest or Path(run_id)
    with connect(endpoint, token) as client:
        if name is None:
            paths = client.download_all(run_id, folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            paths = [client.download(run_id, name, folder)]
    if as_json:
        print_json({"run_id": run_id, "files": {p.name: str(p) for p in paths}})
    else:
        for path in paths:
            typer.echo(str(path))


def list_runs(
    ctx: typer.Context,
    state: Annotated[State | None, typer.Option("--status", help="Only runs in this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many runs.")] = 20,
    as_json: AsJson = False,
    endpoint: Endpoint = None,
    token: Token = None,
) -> None:
    """List your runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    with connect(endpoint, token) as client:
        page = client.list_runs(state.value if state else None, limit)
    if as_json:
        print_json(page.body)
        return
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("run_id", no_wrap=True, min_width=max((len(r.run_id) for r in page.runs), default=6))
    table.add_column("status", no_wrap=True)
    table.add_column("created_at", no_wrap=True)
    table.add_column("summary", no_wrap=True, overflow="ellipsis")
    for item in page.runs:
        table.add_row(item.run_id, item.status, item.created_at or "", Text(item.summary))
    console.print(table)

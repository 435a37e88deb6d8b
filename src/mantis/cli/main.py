"""`mantis`: serve the API, manage tenants, run the demo, and submit and inspect runs."""

from __future__ import annotations

import typer

from mantis.cli import demo, profiles, prune, replay, runs, secrets, serve, tenants, validate, worker

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Run browser work with AI models.")
app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("demo")(demo.demo)
app.add_typer(tenants.app, name="tenants")
app.add_typer(secrets.app, name="secrets")
app.add_typer(profiles.app, name="profiles")
app.add_typer(replay.app, name="replay")
app.command("run")(runs.run)
app.command("status")(runs.status)
app.command("result")(runs.result)
app.command("logs")(runs.logs)
app.command("cancel")(runs.cancel)
app.command("download")(runs.download)
runs_app = typer.Typer(invoke_without_command=True, help="List your runs (newest first), or prune old ones.")
runs_app.callback()(runs.list_runs)
runs_app.command("prune")(prune.prune)
app.add_typer(runs_app, name="runs")
app.command("validate")(validate.validate)

if __name__ == "__main__":
    app()

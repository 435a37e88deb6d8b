"""`mantis`: serve the API, manage tenants, run the demo."""

from __future__ import annotations

import typer

from mantis.cli import demo, serve, tenants

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Run browser work with AI models.")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.add_typer(tenants.app, name="tenants")

if __name__ == "__main__":
    app()

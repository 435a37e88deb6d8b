"""The console's pages. Each is a server-rendered shell; its script asks the API for the data with the
token the browser keeps for the session, so the pages themselves carry no tenant's data and need no
login of their own (a page without a token in the session shows the sign-in form)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from mantis import __version__

HERE = Path(__file__).parent
STATIC_URL = "/console/static"
templates = Jinja2Templates(directory=HERE / "templates")

# The pages run only our own files; the token they hold is never sent to, or readable by, another site.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def page(request: Request, template: str, title: str, **context: object) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "root": request.scope.get("root_path", "").rstrip("/"),
            "static": f"{request.scope.get('root_path', '').rstrip('/')}{STATIC_URL}",
            "version": __version__,
            **context,
        },
    )
    response.headers.update(HEADERS)
    return response


def install(api: FastAPI) -> None:
    """Adds the console's pages and its static files to the app."""
    api.mount(STATIC_URL, StaticFiles(directory=HERE / "static"), name="console-static")

    @api.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def runs_page(request: Request) -> HTMLResponse:
        return page(request, "runs.html", "Runs")

    @api.get("/runs/new", include_in_schema=False, response_class=HTMLResponse)
    async def new_run_page(request: Request) -> HTMLResponse:
        return page(request, "new.html", "New run")

    @api.get("/runs/{run_id}", include_in_schema=False, response_class=HTMLResponse)
    async def run_page(request: Request, run_id: str) -> HTMLResponse:
        return page(request, "run.html", f"Run {run_id}", run_id=run_id)

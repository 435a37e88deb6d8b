"""Demo websites the Mantis server hosts itself, so example plans have real sites to run against offline.

Mount with ``app.include_router(router, prefix="/demo")``: a boat and vehicle marketplace, a tech news
site and a small CRM, all generated from fixed seeds so every start serves the same content.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mantis.demo import crm, marketplace, news
from mantis.demo.layout import esc, html_page, site_url

__all__ = ["router"]

INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f6f8;color:#1d2430;
margin:0}
.index{max-width:760px;margin:64px auto;padding:0 24px}
.index h1{font-size:28px;margin:0 0 6px}
.index__lead{color:#5d6878;margin:0 0 28px}
.sites{list-style:none;padding:0;margin:0;display:grid;gap:14px}
.site{background:#fff;border:1px solid #e2e6ec;border-radius:10px;padding:18px 20px}
.site a{font-weight:700;font-size:18px;color:#1f5fbf;text-decoration:none}
.site p{margin:4px 0 0;color:#5d6878}
"""

SITES = (
    ("marketplace/", "Harbor Trader", "Boats and vehicles for sale: filters, pages, ads, a cookie banner."),
    ("news/", "Mantis News", "A Hacker News style front page with ranked stories and comment threads."),
    ("crm/login", "Pipeline CRM", "A sales CRM behind a sign-in: search, create and edit contacts."),
)

router = APIRouter()
router.include_router(marketplace.router)
router.include_router(news.router)
router.include_router(crm.router)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """A landing page linking the three demo sites."""
    items = "".join(
        f'<li class="site"><a href="{esc(site_url(request, path))}">{esc(name)}</a><p>{esc(about)}</p></li>'
        for path, name, about in SITES
    )
    body = (
        '<main class="index"><h1>Mantis demo sites</h1>'
        '<p class="index__lead">Offline websites served by this Mantis server for example plans.</p>'
        f'<ul class="sites">{items}</ul></main>'
    )
    return html_page("Mantis demo sites", body, css=INDEX_CSS)

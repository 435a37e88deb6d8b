"""Helpers every demo site shares: the HTML document shell, prefix-aware links and form bodies.

Links are always built from the request's ``root_path`` so the sites work behind any host, port or
path prefix the server is deployed under.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

BASE_CSS = """
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0}
img,svg{display:block;max-width:100%}
button,input,select,textarea{font:inherit;color:inherit}
"""


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape(str(value), quote=True)


def site_url(request: Request, path: str, params: dict[str, str] | None = None) -> str:
    """A root-relative URL under the demo mount: ``site_url(req, "news/item", {"id": "3"})``."""
    url = f"{request.scope.get('root_path', '')}/demo/{path.lstrip('/')}"
    query = urlencode({key: value for key, value in (params or {}).items() if value != ""})
    return f"{url}?{query}" if query else url


def html_page(title: str, body: str, *, css: str, status_code: int = 200) -> HTMLResponse:
    """A complete HTML document around a page body; each site passes its own stylesheet."""
    document = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{BASE_CSS}{css}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
    return HTMLResponse(document, status_code=status_code)


async def read_form(request: Request) -> dict[str, str]:
    """Parse an ``application/x-www-form-urlencoded`` body without needing python-multipart.

    Repeated fields keep their last value, which is all these demo forms need.
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def local_target(target: str, fallback: str, allowed_prefix: str) -> str:
    """Return ``target`` only if it points inside ``allowed_prefix`` on this site (no open redirects)."""
    if target.startswith(allowed_prefix) and not target.startswith("//"):
        return target
    return fallback

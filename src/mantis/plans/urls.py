"""Whether a URL a submission names can be parsed to one host, checked before anything is stored.

Syntax only: which hosts and schemes a run may reach is the browser fence's job (mantis.fence). A URL must
parse both as Chromium reads it (the fence's parser) and as Python does, and a URL the two could read
differently (a backslash, a tab or a newline, which browsers drop or turn into `/`) is refused.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna

from mantis.plans.allowlist import parsed

WEB_SCHEMES = ("http", "https")
# RFC 1123 host labels' letters, digits and hyphens, plus `_`, in any order: real hosts such as
# `a-.example.com` and `_dmarc.example.com` exist and browsers reach them.
LABEL = re.compile(r"[a-z0-9_-]{1,63}", re.IGNORECASE)
MAX_HOST = 253  # RFC 1035 section 2.3.4, without the trailing dot
UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters (tab and newline too) and backslash


def url_fault(url: str, require_web: bool = False) -> str | None:
    """Why `url` names no host a browser would agree on, or None. Relative URLs (no scheme) are fine
    unless `require_web`, which also asks for an http or https scheme."""
    if UNSAFE.search(url):
        return "holds a control character (a tab, a newline) or a backslash"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        return str(exc)
    scheme = parts.scheme.casefold()
    if not scheme:
        return "is not an absolute http or https URL" if require_web else None
    if require_web and scheme not in WEB_SCHEMES:
        return "is not an http or https URL"
    if scheme not in WEB_SCHEMES:
        return None
    if parsed(url) is None:
        return "is not a URL a browser can open"
    host = parts.hostname
    if not host:
        return "has no host"
    return host_fault(host)


def host_fault(host: str) -> str | None:
    """IP literals, and names valid under IDNA 2008 with UTS 46 mapping (as browsers read them); an ASCII
    name with `_` in a label, which IDNA refuses but DNS and browsers take, passes as it is."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = idna.encode(host.rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError:
        ascii_host = host.rstrip(".") if host.isascii() else ""
    labels = ascii_host.split(".")
    if not ascii_host or len(ascii_host) > MAX_HOST or not all(LABEL.fullmatch(label) for label in labels):
        return f"has a host that is not a valid name: {host[:80]!r}"
    return None

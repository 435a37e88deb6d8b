"""The tenant's URL allowlist: exact hosts and `*.example.com` wildcards (which do not match the apex).

Hosts are read the way Chromium reads them (the WHATWG URL standard, through ada-url), so the name the
fence checks is the name the browser connects to: `0x7f.1`, `2130706433` and `017700000001` are all
127.0.0.1, `Exämple.COM.` is `xn--exmple-cua.com`, and `http://a.com\\@b.com/` goes to a.com."""

from __future__ import annotations

import ada_url


def parsed(url: str) -> tuple[str, str, int | None, str] | None:
    """scheme (no colon), normalised host, port (None for the scheme's default) and path of a URL;
    None when the URL does not parse."""
    try:
        parts = ada_url.parse_url(url)
    except ValueError:
        return None
    port = str(parts["port"])
    return (
        str(parts["protocol"]).rstrip(":"),
        normalise_host(str(parts["hostname"])),
        int(port) if port else None,
        str(parts["pathname"]),
    )


def normalise_host(host: str) -> str:
    """A host as one spelling: lower case, IDNA, canonical IP, no trailing dot, no brackets."""
    host = host.strip()
    if not host:
        return ""
    try:
        canonical = str(ada_url.parse_url(f"http://{host}/")["hostname"])
    except ValueError:
        canonical = host.casefold()
    return canonical.rstrip(".").strip("[]")


def host_allowed(host: str, patterns: list[str]) -> bool:
    if not patterns:
        return True
    host = normalise_host(host)
    for pattern in patterns:
        wildcard = pattern.strip().startswith("*.")
        name = normalise_host(pattern.strip()[2:] if wildcard else pattern)
        if wildcard:
            if host.endswith("." + name):
                return True
        elif host == name:
            return True
    return False

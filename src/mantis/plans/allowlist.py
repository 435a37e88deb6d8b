"""The tenant's URL allowlist: exact hosts and `*.example.com` wildcards (which do not match the apex)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def normalise_host(host: str) -> str:
    host = host.strip().rstrip(".").casefold()
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host


def host_allowed(host: str, patterns: list[str]) -> bool:
    if not patterns:
        return True
    host = normalise_host(host)
    for pattern in patterns:
        pattern = normalise_host(pattern)
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def hosts_off_list(urls: list[str], patterns: list[str], own_url: str) -> list[str]:
    """Hosts of the given URLs that the allowlist refuses; root-relative URLs are the server's own."""
    refused: list[str] = []
    for url in urls:
        host = urlsplit(url if "://" in url else own_url).hostname or ""
        if not host_allowed(host, patterns) and host not in refused:
            refused.append(host)
    return refused

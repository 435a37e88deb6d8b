"""The private-address guard: a callback may only reach a public address over http or https.

The host is resolved once and the request is sent to that address, so a DNS answer that changes
between the check and the connection (rebinding) cannot point a callback inside the network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from mantis.fence.policy import embedded_ipv4

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class CallbackRefused(Exception):
    """The callback URL may not be called; retrying will not change that."""


@dataclass(frozen=True)
class Target:
    """Where to connect (`address`) for a callback URL that names `url.host`."""

    url: httpx.URL
    address: str


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        ip = embedded_ipv4(ip) or ip
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def resolve_target(raw_url: str, allow_private: bool) -> Target:
    """Resolves a callback URL once; raises CallbackRefused, or OSError when the name does not resolve."""
    try:
        url = httpx.URL(raw_url)
    except httpx.InvalidURL as exc:
        raise CallbackRefused(f"the callback URL is not valid: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise CallbackRefused("a callback URL must be an http or https URL with a host")
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"{host} did not resolve")
    if not allow_private:
        blocked = [a for a in addresses if not is_public(ipaddress.ip_address(a))]
        if blocked:
            raise CallbackRefused(
                f"{host} resolves to a non-public address ({', '.join(blocked)}); "
                "the operator may allow it with MANTIS_ALLOW_PRIVATE_CALLBACKS=1"
            )
    return Target(url=url, address=addresses[0])

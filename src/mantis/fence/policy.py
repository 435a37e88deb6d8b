"""What a run's browser may open: http and https pages only, on the tenant's allowlist, and no private,
loopback or link-local address unless the operator allows them. The server's own /demo/ sites are
always reachable (the README's main job runs on them)."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from mantis.plans.allowlist import host_allowed, parsed

SCHEMES = frozenset({"http", "https"})
# Top-level pages that are not loads: a tab not yet loading, a new blank tab, and the error page shown
# where a load failed.
NOT_LOADS = ("", "about:blank", "chrome-error://chromewebdata/")
# IPv6 forms that carry an IPv4 address a router or translator may deliver to: NAT64's well-known prefix
# (RFC 6052) and the deprecated IPv4-compatible ::/96 (RFC 4291); 6to4 and mapped have their own properties.
EMBEDS_IPV4 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


@dataclass(frozen=True)
class Refusal:
    """Why the fence refused a URL, naming the host (or the scheme, for a page that is not http)."""

    host: str
    reason: str

    def __str__(self) -> str:
        return f"{self.host} is refused: {self.reason}"


@dataclass(frozen=True)
class FencePolicy:
    allowed_domains: tuple[str, ...] = ()
    allow_private: bool = False  # MANTIS_ALLOW_PRIVATE_BROWSING=1, for local development and tests
    own_url: str = ""  # the server's public URL: its /demo/ sites are reachable whatever the address

    def refusal(self, url: str) -> Refusal | None:
        """The verdict on a URL from its text alone; names are checked again once resolved."""
        found = parsed(url)
        if found is None:
            return Refusal(url[:80], "not a URL a browser can open")
        scheme, host = found[:2]
        if scheme not in SCHEMES:
            return Refusal(f"{scheme}:", "only http and https pages may be opened")
        if not host_allowed(host, list(self.allowed_domains)):
            return Refusal(host, "not in the tenant's allowed_domains")
        if self.own_demo(url):
            return None
        return self.address_refusal(host, host)

    def address_refusal(self, host: str, address: str) -> Refusal | None:
        """A private, loopback or link-local address (also as a name the browser resolves itself)."""
        if self.allow_private:
            return None
        if address == "localhost" or address.endswith(".localhost"):
            return Refusal(host, "a loopback name")
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address):
            ip = embedded_ipv4(ip) or ip
        if not ip.is_global or ip.is_multicast:
            return Refusal(host, f"{ip} is a private, loopback or link-local address")
        return None

    def own_tunnel(self, host: str, port: int) -> bool:
        """A tunnel (https) to the server's own address: only when the server itself is https."""
        own = parsed(self.own_url) if self.own_url else None
        return own is not None and own[0] == "https" and (own[1], own[2] or 443) == (host, port)

    def own_demo(self, url: str) -> bool:
        """A page of the server's own /demo/ sites, at the server's own address."""
        own = parsed(self.own_url) if self.own_url else None
        found = parsed(url)
        if own is None or found is None:
            return False
        prefix = own[3].rstrip("/") + "/demo/"
        return found[:3] == own[:3] and (found[3] + "/").startswith(prefix)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, judged in its place: `[64:ff9b::a9fe:a9fe]` is the
    metadata address wherever NAT64 runs."""
    if ip.ipv4_mapped is not None or ip.sixtofour is not None:
        return ip.ipv4_mapped or ip.sixtofour
    if any(ip in network for network in EMBEDS_IPV4) and not (ip.is_loopback or ip.is_unspecified):
        return ipaddress.IPv4Address(ip.packed[12:])
    return None


@dataclass
class Fence:
    """One session's fence: the policy, what it refused, and who hears of each refusal."""

    policy: FencePolicy = field(default_factory=FencePolicy)
    on_blocked: Callable[[str, Refusal, int], None] | None = None  # url, why, the host's count so far
    blocked: Counter[str] = field(default_factory=Counter)
    _resolved: dict[str, Refusal] = field(default_factory=dict)

    def page_refusal(self, url: str) -> Refusal | None:
        """The verdict on a top-level page: what the policy says, or what the proxy found resolving
        its name."""
        if url in NOT_LOADS:
            return None
        refusal = self.policy.refusal(url)
        if refusal is None and (found := parsed(url)) is not None:
            refusal = self._resolved.get(found[1])
        return refusal

    def note(self, url: str, refusal: Refusal, resolved: bool = False) -> None:
        if resolved:
            self._resolved[refusal.host] = refusal
        self.blocked[refusal.host] += 1
        if self.on_blocked is not None:
            self.on_blocked(url, refusal, self.blocked[refusal.host])



def refused_up_front(policy: FencePolicy, urls: list[str]) -> list[Refusal]:
    """What the policy refuses among the URLs a plan names at submission; a root-relative URL is the
    server's own, and one still holding a `{placeholder}` is checked when the run fills it in."""
    refused: list[Refusal] = []
    for url in urls:
        scheme = url.split(":", 1)[0] if ":" in url else ""
        if "{" in url or not (url.startswith("/") or "://" in url or scheme.isalpha()):
            continue
        absolute = policy.own_url.rstrip("/") + url if url.startswith("/") else url
        refusal = policy.refusal(absolute)
        if refusal is not None and refusal not in refused:
            refused.append(refusal)
    return refused

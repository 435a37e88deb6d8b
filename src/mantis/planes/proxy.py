"""The upstream proxy of a run: the operator's provider, geo-targeted by the run's `proxy_city` and
`proxy_state` the way residential providers take it, in the username (or the password).

Templates name `{city}` and `{state}`; a value is ASCII-folded, lower-cased and its spaces joined with
`_`, or with what follows a colon (`{city:+}` gives `new+york`). A part in brackets, such as
`[_city-{city}]`, is left out when the run does not give its value; a value the template needs and the
run does not give fails the run rather than reaching the provider as an empty targeting field."""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

_FIELD = re.compile(r"\{(city|state)(?::([^{}]*))?\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*\{(?:city|state)(?::[^{}]*)?\}[^\[\]]*)\]")


class ProxyUnavailable(Exception):
    """The run asked for a proxy this server cannot give it; the run fails instead of going direct."""

    code = "proxy_unavailable"


@dataclass(frozen=True)
class Upstream:
    """A proxy address split for the tools: Playwright and the forwarder take the credentials apart."""

    host: str
    port: int
    username: str
    password: str

    @property
    def server(self) -> str:
        return f"http://{self.host}:{self.port}"

    def authorization(self) -> str:
        """The `Proxy-Authorization` value (Basic), or "" when the proxy takes no credentials."""
        if not self.username and not self.password:
            return ""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


@dataclass(frozen=True)
class ProxyProvider:
    """MANTIS_PROXY_URL (`http://{username}:{password}@host:port`), MANTIS_PROXY_USERNAME_TEMPLATE and
    MANTIS_PROXY_PASSWORD (which may be a template too: some providers read the targeting there)."""

    url: str
    username_template: str = ""
    password_template: str = ""

    def for_geo(self, city: str | None, state: str | None) -> str:
        geo = {"city": city, "state": state}
        username = quote(_render(self.username_template, geo), safe="")
        password = quote(_render(self.password_template, geo), safe="")
        url = self.url.replace("{username}", username).replace("{password}", password)
        upstream(url)  # fails here, at the run's start, on an address no plane could use
        return url


def run_proxy(provider: ProxyProvider | None, city: str | None, state: str | None) -> str | None:
    """The proxy URL for a run; None (direct) when the run asks for no geo."""
    if not (city or state):
        return None
    if provider is None:
        raise ProxyUnavailable(
            "the run asks for a proxy (proxy_city/proxy_state) but this server has none configured"
        )
    return provider.for_geo(city, state)


def upstream(url: str) -> Upstream:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or port is None:
        raise ProxyUnavailable("the configured proxy must be an http://host:port address")
    return Upstream(parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""))


def geo_value(value: str, joiner: str = "_") -> str:
    """'São Paulo' -> 'sao_paulo': providers list their places in lower-case ASCII."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return joiner.join(folded.lower().split())


def _render(template: str, geo: dict[str, str | None]) -> str:
    def optional(match: re.Match[str]) -> str:
        wanted = (name for name, _ in _FIELD.findall(match.group(1)))
        return match.group(1) if all(geo[name] for name in wanted) else ""

    def field(match: re.Match[str]) -> str:
        name, joiner = match.group(1), match.group(2)
        value = geo[name]
        if not value:
            raise ProxyUnavailable(f"the proxy provider needs proxy_{name}, which the run does not give")
        return geo_value(value, "_" if joiner is None else joiner)

    return _FIELD.sub(field, _OPTIONAL.sub(optional, template))

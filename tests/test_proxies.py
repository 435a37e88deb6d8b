"""Geo-targeted proxies: the provider's username template, the computer plane's credential-adding
fence proxy, and runs on both planes whose page loads provably went through an authenticating proxy.

The proxy here is the test's own (asyncio, in a thread): it answers 407 without the expected Basic
credentials, counts what it forwards and marks it with a Via header that the page server records."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.conftest import Server, start_server, stop_server

from mantis.fence.policy import Fence, FencePolicy
from mantis.fence.proxy import FenceProxy
from mantis.planes.chromium import CHROMIUM
from mantis.planes.proxy import ProxyProvider, ProxyUnavailable, geo_value, run_proxy, upstream

OPEN = Fence(FencePolicy(allow_private=True))  # the test's servers are on loopback
TEMPLATE = "customer-acme_country-us[_state-{state}][_city-{city}]"
PASSWORD = "s3cret:pw"
USERNAME = "customer-acme_country-us_state-fl_city-new_york"


class AuthProxy:
    """A forward proxy that wants Basic credentials: CONNECT tunnels, and plain HTTP one request per
    connection."""

    def __init__(self, username: str, password: str) -> None:
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.forwarded: list[tuple[str, str]] = []  # (username, URL or CONNECT target) sent on
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")[:-2]
            headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines)}
            given = headers.get("proxy-authorization", "")
            if given != self.expected:
                self.refused += 1
                writer.write(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\n'
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                await writer.drain()
                return
            method, url, version = request_line.split(" ")
            username = base64.b64decode(given.removeprefix("Basic ")).decode().split(":")[0]
            self.forwarded.append((username, url))
            if method == "CONNECT":
                host, port = url.rsplit(":", 1)
                tunnel_reader, tunnel = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await asyncio.gather(_copy(reader, tunnel), _copy(tunnel_reader, writer))
                return
            target = urlsplit(url)
            origin_reader, origin = await asyncio.open_connection(target.hostname, target.port or 80)
            kept = [h for h in lines if not h.lower().startswith(("proxy-", "connection"))]
            path = target.path + (f"?{target.query}" if target.query else "")
            origin.write(
                "\r\n".join(
                    [f"{method} {path} {version}", *kept, "Via: 1.1 test-proxy", "Connection: close"]
                ).encode("latin-1")
                + b"\r\n\r\n"
            )
            await _copy(origin_reader, writer)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


class Site:
    """A page on 127.0.0.1 that notes, per path, whether the request came through the proxy."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.seen.append((self.path, "test-proxy" in self.headers.get("Via", "")))
                body = b"<!doctype html><title>Proxied</title><h1>Through the proxy</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def proxy() -> Iterator[AuthProxy]:
    running = AuthProxy(USERNAME, PASSWORD)
    yield running
    running.close()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.close()


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory, proxy: AuthProxy) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("mantis-proxied"),
        MANTIS_PROXY_URL=f"http://{{username}}:{{password}}@127.0.0.1:{proxy.port}",
        MANTIS_PROXY_USERNAME_TEMPLATE=TEMPLATE,
        MANTIS_PROXY_PASSWORD=PASSWORD,
    )
    yield running
    stop_server(running)


def test_the_username_template_takes_the_runs_geo() -> None:
    provider = ProxyProvider("http://{username}:{password}@geo.example:12321", TEMPLATE, PASSWORD)
    url = provider.for_geo("New  York", "FL")
    assert url == "http://customer-acme_country-us_state-fl_city-new_york:s3cret%3Apw@geo.example:12321"
    assert upstream(url).username == USERNAME and upstream(url).password == PASSWORD
    assert upstream(provider.for_geo(None, "FL")).username == "customer-acme_country-us_state-fl"
    plus = ProxyProvider("http://{username}:x@p.example:1", "user-city-{city:+}-st-{state:}")
    assert (
        upstream(plus.for_geo("São Paulo", "Rio de Janeiro")).username
        == "user-city-sao+paulo-st-riodejaneiro"
    )
    assert geo_value("St. Louis") == "st._louis"
    with pytest.raises(ProxyUnavailable, match="needs proxy_city"):
        ProxyProvider("http://{username}@p.example:1", "c-{city}").for_geo(None, "FL")
    with pytest.raises(ProxyUnavailable, match="http://host:port"):
        ProxyProvider("socks5://{username}@p.example:1", "c").for_geo("Miami", None)


def test_a_run_goes_direct_without_geo_and_fails_without_a_provider() -> None:
    assert run_proxy(ProxyProvider("http://p.example:1"), None, "") is None
    with pytest.raises(ProxyUnavailable) as failure:
        run_proxy(None, "Miami", None)
    assert failure.value.code == "proxy_unavailable"


async def test_the_forwarder_adds_the_credentials_and_refuses_other_requests(
    proxy: AuthProxy, site: Site
) -> None:
    forwarder = await FenceProxy.start(OPEN, upstream(f"http://user:pw@127.0.0.1:{proxy.port}"))
    credentialed = await FenceProxy.start(
        OPEN,
        upstream(
            ProxyProvider(
                f"http://{{username}}:{{password}}@127.0.0.1:{proxy.port}", TEMPLATE, PASSWORD
            ).for_geo("New York", "FL")
        )
    )
    dead = await FenceProxy.start(OPEN, upstream("http://127.0.0.1:9"))
    try:
        refused = proxy.refused
        assert (await _ask(forwarder, f"GET {site.url}/wrong HTTP/1.1")).startswith(b"HTTP/1.1 407")
        assert proxy.refused == refused + 1
        answer = await _ask(credentialed, f"GET {site.url}/fwd HTTP/1.1")
        assert answer.startswith(b"HTTP/1.0 200") and b"Through the proxy" in answer
        assert ("/fwd", True) in site.seen
        assert (await _ask(credentialed, "GET /fwd HTTP/1.1")).startswith(b"HTTP/1.1 400")
        assert (await _ask(dead, f"GET {site.url}/ HTTP/1.1")).startswith(b"HTTP/1.1 502")
        echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
        target = f"127.0.0.1:{echo.sockets[0].getsockname()[1]}"
        async with echo:
            reader, writer = await _connect(credentialed, f"CONNECT {target} HTTP/1.1")
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            hello = b"\x16\x03\x01 bytes of a TLS handshake"
            writer.write(hello)
            assert await reader.readexactly(len(hello)) == hello
            writer.close()
        assert proxy.forwarded[-1] == (USERNAME, target)
    finally:
        for running in (forwarder, credentialed, dead):
            await running.close()


async def _connect(
    forwarder: FenceProxy, request_line: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", urlsplit(forwarder.url).port)
    writer.write(f"{request_line}\r\nHost: 127.0.0.1\r\nProxy-Connection: keep-alive\r\n\r\n".encode())
    return reader, writer


async def _ask(forwarder: FenceProxy, request_line: str) -> bytes:
    reader, writer = await _connect(forwarder, request_line)
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _copy(reader, writer)


def test_a_run_asking_for_a_proxy_fails_when_none_is_configured(server: Server) -> None:
    body = {"micro": [{"type": "wait", "params": {"seconds": 0}}], "compute_backend": "browser_use_plane"}
    run_id = server.predict({**body, "proxy_city": "Miami"}).json()["run_id"]
    done = server.wait(run_id, 60)
    assert done["status"] == "failed" and done["error"]["code"] == "proxy_unavailable"


needs_display = pytest.mark.skipif(
    not (shutil.which("Xvfb") and os.access(CHROMIUM, os.X_OK)), reason="needs Xvfb and Chromium"
)


@pytest.mark.parametrize(
    "backend", ["browser_use_plane", pytest.param("computer_plane", marks=needs_display)]
)
def test_a_runs_page_loads_go_through_the_geo_targeted_proxy(
    backend: str, proxied_server: Server, proxy: AuthProxy, site: Site
) -> None:
    page = f"/{backend}"
    plan = [{"type": "navigate", "params": {"url": site.url + page}}]
    body = {"micro": plan, "compute_backend": backend, "proxy_city": "New York", "proxy_state": "FL"}
    run_id = proxied_server.predict(body).json()["run_id"]
    done = proxied_server.wait(run_id, 120)
    assert done["status"] == "succeeded", done
    assert (USERNAME, site.url + page) in proxy.forwarded
    assert (page, True) in site.seen and (page, False) not in site.seen


def test_a_run_without_geo_goes_direct(proxied_server: Server, proxy: AuthProxy, site: Site) -> None:
    plan = [{"type": "navigate", "params": {"url": f"{site.url}/direct"}}]
    run_id = proxied_server.predict({"micro": plan, "compute_backend": "browser_use_plane"}).json()["run_id"]
    assert proxied_server.wait(run_id, 60)["status"] == "succeeded"
    assert ("/direct", False) in site.seen
    assert f"{site.url}/direct" not in [url for _, url in proxy.forwarded]

"""A session's fence proxy on 127.0.0.1: every request of the session's Chromium goes through it, on
both planes, so one place decides what the browser may reach. Each request is checked on its own, so a
redirect chain is checked hop by hop, and frames, popups, images, fetches and beacons are checked like
pages. A name is resolved here and the connection made to the address that was checked, so a name that
resolves to a private address is refused too (no second lookup for a rebinding to race).

With an operator's upstream proxy the request goes on through it, with its credentials (Chromium takes
none in `--proxy-server`, and a proxy login dialog is not something the computer plane can answer);
the upstream then resolves names, and the fence checks names and literal addresses only.

It forwards CONNECT tunnels and absolute-form HTTP requests, nothing else (a page cannot use it as a web
server). A plain HTTP request is sent with `Connection: close`, so every request arrives on a connection
of its own and is checked; whatever else a client writes on a connection goes to the host checked."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from mantis.fence.policy import Fence, Refusal
from mantis.planes.proxy import Upstream
from mantis.plans.allowlist import parsed

log = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 15.0
CHUNK = 64 * 1024
# Headers meant for this hop only; the proxy sets its own.
HOP_HEADERS = frozenset({b"proxy-authorization", b"proxy-connection", b"connection", b"keep-alive"})
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class FenceProxy:
    def __init__(self, fence: Fence, upstream: Upstream | None) -> None:
        self._fence = fence
        self._upstream = upstream
        self._authorization = upstream.authorization().encode() if upstream else b""
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, fence: Fence, upstream: Upstream | None = None) -> FenceProxy:
        proxy = cls(fence, upstream)
        proxy._server = await asyncio.start_server(proxy._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        return proxy

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fence proxy is not started")
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        """Stops listening and cuts every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._forward(client_reader, client)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # the browser or the far side went away; the browser sees a failed load
        except asyncio.CancelledError:
            pass  # cut by close(): the connection ends here, not as an error in asyncio's log
        finally:
            client.close()
            if task is not None:
                self._connections.discard(task)

    async def _forward(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(client_reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
        request_line, *headers = head[:-4].split(b"\r\n")
        parts = request_line.split(b" ")
        target = _target(parts)
        if target is None:
            client.write(BAD_REQUEST)
            await client.drain()
            return
        url, host, port = target
        tunnel = parts[0] == b"CONNECT"
        own = self._fence.policy.own_tunnel(host, port) if tunnel else self._fence.policy.own_demo(url)
        refusal = None if own else self._fence.policy.refusal(url)
        address = host
        if refusal is None and not own and self._upstream is None:
            address, refusal = await self._resolve(host, port)
            if refusal is not None:
                self._fence.note(url, refusal, resolved=True)
        elif refusal is not None:
            self._fence.note(url, refusal)
        if refusal is not None:
            log.info("fence refused %s (%s)", url, refusal.reason)
            client.write(_refused(refusal))
            await client.drain()
            return
        kept = [h for h in headers if h.split(b":", 1)[0].strip().lower() not in HOP_HEADERS]
        if parts[0] != b"CONNECT":
            kept.append(b"Connection: close")
        if self._upstream is not None:
            await self._relay_through_upstream(request_line, kept, client_reader, client)
            return
        try:
            far_reader, far = await asyncio.wait_for(
                asyncio.open_connection(address, port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            client.write(BAD_GATEWAY)
            await client.drain()
            return
        try:
            if parts[0] == b"CONNECT":
                client.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                far.write(b"\r\n".join([_origin_form(parts, url), *kept]) + b"\r\n\r\n")
            await _relay(client_reader, far, far_reader, client)
        finally:
            far.close()

    async def _resolve(self, host: str, port: int) -> tuple[str, Refusal | None]:
        """The address to connect to, checked; a name with any private address among its addresses is
        refused (the one the browser would use is not ours to pick). A literal address was checked
        with the URL."""
        policy = self._fence.policy
        if policy.allow_private or _is_address(host):
            return host, None
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return host, None  # the connection fails as the browser would see it fail
        addresses = [str(info[4][0]) for info in infos]
        for address in addresses:
            if (refusal := policy.address_refusal(host, address)) is not None:
                return address, refusal
        return (addresses[0] if addresses else host), None

    async def _relay_through_upstream(
        self,
        request_line: bytes,
        kept: list[bytes],
        client_reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
    ) -> None:
        assert self._upstream is not None
        if self._authorization:
            kept = [*kept, b"Proxy-Authorization: " + self._authorization]
        try:
            upstream_reader, upstream = await asyncio.wait_for(
                asyncio.open_connection(self._upstream.host, self._upstream.port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            log.warning("the upstream proxy %s is not reachable: %s", self._upstream.server, exc)
            client.write(BAD_GATEWAY)
            await client.drain()
            return
        try:
            upstream.write(b"\r\n".join([request_line, *kept]) + b"\r\n\r\n")
            await _relay(client_reader, upstream, upstream_reader, client)
        finally:
            upstream.close()


def _target(parts: list[bytes]) -> tuple[str, str, int] | None:
    """The URL a request asks for (an https URL for a tunnel), its normalised host and its port."""
    if len(parts) != 3:
        return None
    method, target = parts[0], parts[1].decode("latin-1")
    if method == b"CONNECT":
        url = f"https://{target}/"
    elif target.startswith("http://"):
        url = target
    else:
        return None
    found = parsed(url)
    if found is None or not found[1]:
        return None
    default = 443 if url.startswith("https") else 80
    return url, found[1], found[2] or default


def _origin_form(parts: list[bytes], url: str) -> bytes:
    split = urlsplit(url)
    path = (split.path or "/") + (f"?{split.query}" if split.query else "")
    return b" ".join([parts[0], path.encode("latin-1"), parts[2]])


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _refused(refusal: Refusal) -> bytes:
    body = f"Blocked by the run's fence: {refusal}\n".encode()
    return (
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nX-Mantis-Fence: refused\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )


async def _relay(
    client_reader: asyncio.StreamReader,
    far: asyncio.StreamWriter,
    far_reader: asyncio.StreamReader,
    client: asyncio.StreamWriter,
) -> None:
    """Both directions until either side closes: Chromium closes its sockets whole, never half."""
    pipes = {
        asyncio.create_task(_pipe(client_reader, far)),
        asyncio.create_task(_pipe(far_reader, client)),
    }
    try:
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pipe in pipes:
            pipe.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()

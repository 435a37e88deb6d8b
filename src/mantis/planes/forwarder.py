"""A session's own proxy on 127.0.0.1 that adds the upstream's credentials: Chromium takes none in
`--proxy-server`, and a person's proxy login dialog is not something the computer plane can answer.

It forwards CONNECT tunnels and absolute-form HTTP requests, nothing else (a page cannot use it as a
web server to reach the upstream). A plain HTTP request is sent with `Connection: close`, so every
request arrives on a connection of its own and carries the credentials."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mantis.planes.proxy import Upstream

log = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 15.0
CHUNK = 64 * 1024
# Headers meant for this hop only; the forwarder sets its own.
HOP_HEADERS = frozenset({b"proxy-authorization", b"proxy-connection", b"connection", b"keep-alive"})


class Forwarder:
    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream
        self._authorization = upstream.authorization().encode()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, upstream: Upstream) -> Forwarder:
        forwarder = cls(upstream)
        forwarder._server = await asyncio.start_server(forwarder._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        return forwarder

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the forwarder is not started")
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
            pass  # the browser or the upstream went away; the browser sees a failed load
        finally:
            client.close()
            if task is not None:
                self._connections.discard(task)

    async def _forward(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(client_reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
        request_line, *headers = head[:-4].split(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3 or not (parts[0] == b"CONNECT" or parts[1].startswith(b"http://")):
            client.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await client.drain()
            return
        kept = [h for h in headers if h.split(b":", 1)[0].strip().lower() not in HOP_HEADERS]
        if parts[0] != b"CONNECT":
            kept.append(b"Connection: close")
        if self._authorization:
            kept.append(b"Proxy-Authorization: " + self._authorization)
        try:
            upstream_reader, upstream = await asyncio.wait_for(
                asyncio.open_connection(self._upstream.host, self._upstream.port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError) as exc:
            log.warning("the upstream proxy %s is not reachable: %s", self._upstream.server, exc)
            client.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await client.drain()
            return
        try:
            upstream.write(b"\r\n".join([request_line, *kept]) + b"\r\n\r\n")
            await _relay(client_reader, upstream, upstream_reader, client)
        finally:
            upstream.close()


async def _relay(
    client_reader: asyncio.StreamReader,
    upstream: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    client: asyncio.StreamWriter,
) -> None:
    """Both directions until either side closes: Chromium closes its sockets whole, never half."""
    pipes = {
        asyncio.create_task(_pipe(client_reader, upstream)),
        asyncio.create_task(_pipe(upstream_reader, client)),
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

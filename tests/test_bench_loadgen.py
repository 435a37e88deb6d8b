"""bench/loadgen.py, the status bench's client: a server's close of an idle keep-alive connection is not
the server's error, and what went wrong is named."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

LOADGEN = Path(__file__).resolve().parents[1] / "bench" / "loadgen.py"
RUN = "20261204_143201_ac0f1b47"


def _loadgen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_loadgen", LOADGEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@asynccontextmanager
async def server(status: str, then_close: bool) -> AsyncIterator[int]:
    """Answers each request with `status` and the run's id; with `then_close`, closes the connection
    after one answer, as uvicorn does once a keep-alive connection has been idle its 5 s."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not reader.at_eof():
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = next(
                int(v)
                for n, _, v in (h.partition(b":") for h in head.split(b"\r\n"))
                if n == b"Content-Length"
            )
            await reader.readexactly(length)
            body = f'{{"run_id":"{RUN}"}}'.encode()
            writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
            if then_close:
                break
        writer.close()

    listening = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with listening:
        yield listening.sockets[0].getsockname()[1]


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    loadgen = _loadgen()
    async with server("200 OK", then_close=True) as port:
        pool = loadgen.Pool("127.0.0.1", port, 4)
        request = loadgen.request_bytes("127.0.0.1", port, "token", RUN)
        expect = f'"run_id":"{RUN}"'.encode()
        assert await pool.ask(request, expect) is None
        assert await pool._idle[-1].reader.read() == b""  # the server's close has arrived
        assert await pool.ask(request, expect) is None
        pool.close()


async def test_an_answer_other_than_a_200_is_named() -> None:
    loadgen = _loadgen()
    async with server("429 Too Many Requests", then_close=False) as port:
        pool = loadgen.Pool("127.0.0.1", port, 4)
        request = loadgen.request_bytes("127.0.0.1", port, "token", RUN)
        assert await pool.ask(request, f'"run_id":"{RUN}"'.encode()) == "status 429"
        pool.close()

"""An open-loop load generator for `action: status`, in a process of its own (bench/status_load.py).

The load used to come from httpx in the bench's own process; with four browsers taking both cores it
offered 77 requests a second, not 200, so every server, the bare route too, looked as slow as the client.
This one is cheap enough to keep its schedule on a loaded machine: the standard library only, raw asyncio
streams over keep-alive HTTP/1.1 connections, requests written from bytes made before the window starts,
and answers checked by their status line and run id without parsing. Request i is due at t0 + i / rate
whatever happened to the ones before, and its latency counts from that time, so a client that falls
behind shows up in the figures rather than lowering the rate.

It raises its own CPU priority when it may (`RAISE_BY`; root or CAP_SYS_NICE), so that what it measures is
the server and not its own place in the run queue; it says on stderr when it may not.

Protocol, as status_load.py drives it: argv[1] is a JSON spec (host, port, token, run_ids, rate,
seconds, connections, timeout_s); it connects, answers one request, prints `ready`, waits for a line on
stdin (the caller reads the server's CPU clock meanwhile), runs the window and prints one JSON line:
{"latencies_ms": [...], "errors": {what went wrong: count}, "span_s": s}.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from typing import Any

# Nice steps the generator takes above the bench (and the servers it starts): enough that the client runs
# before the servers it measures when both are runnable, not so much that it starves the machine.
RAISE_BY = -5
# Connections opened before the window: enough for 200/s at a few ms each; more open on demand.
WARM_CONNECTIONS = 8
HEADER_END = b"\r\n\r\n"
# Idle connections older than this are closed rather than reused. uvicorn closes a keep-alive connection
# idle for 5 s (its `timeout_keep_alive` default, which `mantis serve` keeps); a request written on one
# it has just closed is lost, and all 5 errors of one 2000-request window were that: IncompleteReadError
# on a connection reused after 6-8 s idle (bench/README.md, "status_load"). A second under it, so a close
# on its way is never raced.
REUSE_IDLE_S = 4.0


def request_bytes(host: str, port: int, token: str, run_id: str) -> bytes:
    body = json.dumps({"action": "status", "run_id": run_id}).encode()
    head = (
        f"POST /v1/predict HTTP/1.1\r\nHost: {host}:{port}\r\nX-Mantis-Token: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.answered = 0  # answers read on it: 0 for a fresh connection
        self.idle_since = time.monotonic()

    async def ask(self, request: bytes, expect: bytes) -> str | None:
        """One request and its whole answer on this connection: None for a 200 naming the run, otherwise
        what came instead ("status 429", "other body")."""
        self.writer.write(request)
        head = await self.reader.readuntil(HEADER_END)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        self.answered += 1
        self.idle_since = time.monotonic()
        if not head.startswith(b"HTTP/1.1 200"):
            return f"status {head[9:12].decode(errors='replace')}"
        return None if expect in body else "other body"

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Idle keep-alive connections; a request takes one, or opens one when none is idle."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self._host, self._port = host, port
        self._idle: list[Connection] = []
        self._slots = asyncio.Semaphore(limit)

    async def _open(self) -> Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return Connection(reader, writer)

    async def warm(self, count: int) -> None:
        self._idle.extend(await asyncio.gather(*(self._open() for _ in range(count))))

    def _reusable(self) -> Connection | None:
        """The most recently used idle connection the server has not closed and will not close now."""
        while self._idle:
            conn = self._idle.pop()
            if not conn.reader.at_eof() and time.monotonic() - conn.idle_since < REUSE_IDLE_S:
                return conn
            conn.close()
        return None

    async def ask(self, request: bytes, expect: bytes) -> str | None:
        """None for a good answer, otherwise what went wrong: the answer's kind, or the exception and
        whether the connection was fresh or reused after how long idle."""
        async with self._slots:
            try:
                conn = self._reusable() or await self._open()
            except OSError as exc:
                return f"connect: {type(exc).__name__}"
            idle_s = time.monotonic() - conn.idle_since
            try:
                failed = await conn.ask(request, expect)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                conn.close()
                reused = f"reused after {idle_s:.0f} s idle" if conn.answered else "fresh"
                return f"{type(exc).__name__} on a {reused} connection"
            self._idle.append(conn)
            return failed

    def close(self) -> None:
        for conn in self._idle:
            conn.close()


async def window(spec: dict[str, Any]) -> dict[str, Any]:
    host, port, rate = spec["host"], int(spec["port"]), float(spec["rate"])
    run_ids: list[str] = spec["run_ids"]
    requests = [request_bytes(host, port, spec["token"], r) for r in run_ids]
    expects = [f'"run_id":"{r}"'.encode() for r in run_ids]  # as the server's compact JSON names it
    pool = Pool(host, port, int(spec["connections"]))
    await pool.warm(WARM_CONNECTIONS)
    if failed := await pool.ask(requests[0], expects[0]):
        raise SystemExit(f"the first status request failed ({failed}): {spec['run_ids'][0]}")
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    last = 0.0

    async def one(i: int, due: float) -> None:
        nonlocal last
        k = i % len(requests)
        if failed := await pool.ask(requests[k], expects[k]):
            errors[failed] += 1
            return
        done = loop.time()
        last = max(last, done)
        latencies.append((done - due) * 1000)

    total = int(rate * float(spec["seconds"]))
    t0 = loop.time() + 0.05
    last = t0
    tasks = []
    for i in range(total):
        due = t0 + i / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(i, due)))
    _, late = await asyncio.wait(tasks, timeout=float(spec["timeout_s"]))
    for task in late:  # unanswered in time: errors
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    if late:
        errors["unanswered in time"] += len(late)
    pool.close()
    return {"latencies_ms": latencies, "errors": dict(errors), "span_s": last - t0}


def raise_priority() -> None:
    now = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, now + RAISE_BY)
    except PermissionError:
        print(f"loadgen: may not raise its priority; runs at nice {now}", file=sys.stderr)


def main() -> None:
    raise_priority()
    spec = json.loads(sys.argv[1])
    started = time.monotonic()
    result = asyncio.run(window(spec))
    result["wall_s"] = time.monotonic() - started
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""An Xvfb display of its own for each session: a free number, a server that answers, a clean teardown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from pathlib import Path

from mantis.planes.base import PlaneError
from mantis.planes.subproc import run, stop
from mantis.processes import pid_alive

FIRST_DISPLAY = 90
LAST_DISPLAY = 999
POLL_S = 0.05


def _lock(number: int) -> Path:
    return Path(f"/tmp/.X{number}-lock")


def _socket(number: int) -> Path:
    return Path(f"/tmp/.X11-unix/X{number}")


def _lock_owner(number: int) -> int | None:
    try:
        return int(_lock(number).read_text().strip())
    except (OSError, ValueError):
        return None


def _taken(number: int) -> bool:
    """A live lock or a socket without one (a server started with -displayfd writes no lock)."""
    owner = _lock_owner(number)
    if owner is not None:
        return pid_alive(owner)
    return _socket(number).exists()


class XServer:
    def __init__(self, number: int, proc: asyncio.subprocess.Process, env: Mapping[str, str]) -> None:
        self.number = number
        self._proc = proc
        self._env = env

    @property
    def display(self) -> str:
        return f":{self.number}"

    @property
    def pid(self) -> int:
        return self._proc.pid

    @classmethod
    async def start(
        cls, width: int, height: int, env: Mapping[str, str], log: Path, timeout_s: float
    ) -> XServer:
        """Tries free numbers from :90 up. Xvfb takes the lock atomically, so losing a race to another
        server only makes ours exit, and we move on to the next number."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        number = FIRST_DISPLAY
        while loop.time() < deadline and number <= LAST_DISPLAY:
            if _taken(number):
                number += 1
                continue
            with log.open("ab") as sink:
                proc = await asyncio.create_subprocess_exec(
                    "Xvfb",
                    f":{number}",
                    "-screen",
                    "0",
                    f"{width}x{height}x24",
                    "-nolisten",
                    "tcp",
                    # Else the server resets when xdpyinfo, its only client, leaves, and refuses the
                    # clients (mss, Chromium) that connect during the reset.
                    "-noreset",
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=sink,
                    stderr=sink,
                    env=dict(env),
                    start_new_session=True,
                )
            server = cls(number, proc, env)
            try:
                if await server._ready(deadline):
                    return server
            except BaseException:
                await server.stop(0)
                raise
            await server.stop(0)
            number += 1
        tail = log.read_text(errors="replace")[-400:] if log.exists() else ""
        raise PlaneError(f"no X display could be started within {timeout_s:g} s: {tail}")

    async def _ready(self, deadline: float) -> bool:
        """Ours and answering: the lock names our pid (not a racing server's) and xdpyinfo connects."""
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            if self._proc.returncode is not None:
                return False
            if _lock_owner(self.number) == self._proc.pid:
                with contextlib.suppress(PlaneError):
                    await run(["xdpyinfo", "-display", self.display], self._env, timeout_s=2)
                    return True
            await asyncio.sleep(POLL_S)
        return False

    async def stop(self, grace_s: float) -> None:
        """Xvfb removes its lock and socket on SIGTERM; after a SIGKILL we remove them ourselves."""
        await stop(self._proc, grace_s)
        remove_display_files(self.number, {self._proc.pid})


def remove_display_files(number: int, servers: set[int]) -> None:
    """A display's lock and socket, when the lock names one of these (stopped) servers."""
    if _lock_owner(number) in servers:
        with contextlib.suppress(OSError):
            _lock(number).unlink()
        with contextlib.suppress(OSError):
            _socket(number).unlink()

"""The child processes of a computer-plane session: one clean environment, deadlines, and a sweep that
finds every process the session started, whatever its parent or process group (Chromium's crash handlers
leave both), by a tag in its environment or the session's directories on its command line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from mantis.planes.base import PlaneError

TAG_VAR = "MANTIS_PLANE_SESSION"


def session_env(
    *, tag: str, display: str, home: Path, locale: str | None = None, timezone: str | None = None
) -> dict[str, str]:
    """Only what the tools need: the server's own secrets never reach the browser or its helpers."""
    env = {
        TAG_VAR: tag,
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DISPLAY": display,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(home / ".runtime"),
        "OMP_THREAD_LIMIT": "1",  # tesseract: 4x faster on 2 cores than its default thread pool
    }
    if "TESSDATA_PREFIX" in os.environ:
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    if locale:
        env["LANGUAGE"] = locale.replace("-", "_")
    if timezone:
        env["TZ"] = timezone
    return env


async def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    timeout_s: float,
    stdin: bytes | None = None,
    *,
    capture: bool = True,
) -> bytes:
    """Runs a short-lived tool to completion and returns its stdout; fails loudly on error or deadline.
    `capture=False` is for tools that fork a daemon (xclip): it would hold our pipes open forever."""
    output = asyncio.subprocess.PIPE if capture else asyncio.subprocess.DEVNULL
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        env=dict(env),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout_s)
    except TimeoutError:
        await stop(proc, 0)
        raise PlaneError(f"{argv[0]} did not finish within {timeout_s:g} s") from None
    except BaseException:
        await stop(proc, 0)
        raise
    if proc.returncode != 0:
        message = (err or b"").decode(errors="replace").strip()[-300:]
        raise PlaneError(f"{' '.join(argv[:2])} failed ({proc.returncode}): {message}")
    return out or b""


async def stop(proc: asyncio.subprocess.Process, grace_s: float) -> None:
    """SIGTERM, then SIGKILL once the grace period is over; always reaps the child."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM if grace_s > 0 else signal.SIGKILL)
        try:
            await asyncio.wait_for(proc.wait(), grace_s if grace_s > 0 else None)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
    await proc.wait()


def session_pids(tag: str, paths: Sequence[str]) -> list[int]:
    """Live processes of a session: those carrying its tag, and those naming one of its directories on
    their command line. Chromium's helpers need the second test: Chromium rewrites its children's
    process titles over the memory /proc shows as their environment. Zombies match neither."""
    needle = f"{TAG_VAR}={tag}".encode()
    wanted = [path.encode() for path in paths]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") or any(path in cmdline for path in wanted):
            found.append(int(entry.name))
    return found


async def sweep(tag: str, paths: Sequence[str], grace_s: float) -> None:
    """Ends every process of the session still alive, whatever its process group or parent."""
    pids = await asyncio.to_thread(session_pids, tag, paths)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = asyncio.get_running_loop().time() + grace_s
        while pids and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            pids = await asyncio.to_thread(session_pids, tag, paths)
        if not pids:
            return

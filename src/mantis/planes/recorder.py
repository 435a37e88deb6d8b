"""Records a session's screen with ffmpeg's x11grab at the run's frame rate, stopped cleanly so the mp4
is always playable. H.264 `ultrafast` keeps the grab cheap while the run goes on; the runner re-encodes
after the run if another format was asked."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from pathlib import Path

from mantis.planes.subproc import stop

STOP_GRACE_S = 10.0


class Recorder:
    def __init__(self, proc: asyncio.subprocess.Process, path: Path, started: float) -> None:
        self._proc = proc
        self.path = path
        self.started = started  # time.monotonic() when ffmpeg began to grab

    @classmethod
    async def start(
        cls, display: str, size: tuple[int, int], fps: int, path: Path, env: Mapping[str, str], log: Path
    ) -> Recorder:
        """`size` must be even in both directions: libx264 with yuv420p refuses odd sizes."""
        started = time.monotonic()
        with log.open("ab") as sink:
            proc = await asyncio.create_subprocess_exec(
                "ffmpeg",
                "-hide_banner",
                "-nostats",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "x11grab",
                "-video_size",
                f"{size[0]}x{size[1]}",
                "-framerate",
                str(fps),
                "-i",
                f"{display}+0,0",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                str(path),
                stdin=asyncio.subprocess.PIPE,
                stdout=sink,
                stderr=sink,
                env=dict(env),
                start_new_session=True,
            )
        return cls(proc, path, started)

    @property
    def pid(self) -> int:
        return self._proc.pid

    async def stop(self) -> Path | None:
        """'q' makes ffmpeg finish the file; only a hung ffmpeg is killed (and its file may be cut)."""
        stdin = self._proc.stdin
        if stdin is not None and self._proc.returncode is None:
            with contextlib.suppress(OSError):
                stdin.write(b"q")
                await stdin.drain()
                stdin.close()
        try:
            await asyncio.wait_for(self._proc.wait(), STOP_GRACE_S)
        except TimeoutError:
            await stop(self._proc, 0)
        if self.path.exists() and self.path.stat().st_size > 0:
            return self.path
        return None

"""Records a session's screen with ffmpeg's x11grab, stopped cleanly so the mp4 is always playable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from pathlib import Path

from mantis.planes.subproc import stop

FRAMERATE = 10
STOP_GRACE_S = 10.0


class Recorder:
    def __init__(self, proc: asyncio.subprocess.Process, path: Path) -> None:
        self._proc = proc
        self.path = path

    @classmethod
    async def start(
        cls, display: str, size: tuple[int, int], path: Path, env: Mapping[str, str], log: Path
    ) -> Recorder:
        """`size` must be even in both directions: libx264 with yuv420p refuses odd sizes."""
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
                str(FRAMERATE),
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
        return cls(proc, path)

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

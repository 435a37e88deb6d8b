"""The polished recording: the raw one, re-encoded at the asked frame rate, with each step captioned on
screen while it runs, so a reviewer sees what the run meant to do at every moment."""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("mantis.runner")

POLISH_TIMEOUT_S = 180.0
MIN_CAPTION_S = 1.0
CAPTION_STYLE = "x=24:y=h-th-32:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=12"


@dataclass(frozen=True)
class Caption:
    start_s: float
    end_s: float
    text: str


def _filter_path(path: Path) -> str:
    """A path as ffmpeg's filter syntax reads it: backslash, colon and quote escaped."""
    return str(path).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")


def video_filter(captions: list[Caption], caption_dir: Path, fps: int) -> str:
    """Caption texts go through files (`textfile=`), so no step intent needs escaping for ffmpeg."""
    parts = [f"fps={fps}"]
    for number, caption in enumerate(captions):
        text_file = caption_dir / f"{number}.txt"
        text_file.write_text(caption.text, encoding="utf-8")
        end = max(caption.end_s, caption.start_s + MIN_CAPTION_S)
        parts.append(
            f"drawtext=textfile='{_filter_path(text_file)}':"
            f"enable='between(t,{caption.start_s:.2f},{end:.2f})':{CAPTION_STYLE}"
        )
    parts.append("format=yuv420p")
    return ",".join(parts)


async def polish(raw: Path, captions: list[Caption], out: Path, fps: int) -> Path | None:
    """Writes `out` (mp4 or webm by its suffix); None, logged, when ffmpeg cannot."""
    if shutil.which("ffmpeg") is None:
        log.warning("no ffmpeg: the polished recording is skipped")
        return None
    caption_dir = out.parent / ".captions"
    caption_dir.mkdir(exist_ok=True)
    codec = (
        ["-c:v", "libx264", "-preset", "veryfast"]
        if out.suffix == ".mp4"
        else ["-c:v", "libvpx", "-b:v", "1M"]
    )
    argv = [
        "ffmpeg",
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(raw),
        "-vf",
        video_filter(captions, caption_dir, fps),
        *codec,
        "-an",
        str(out),
    ]
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), POLISH_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        err = b"timed out"
    finally:
        shutil.rmtree(caption_dir, ignore_errors=True)
    if process.returncode != 0 or not out.exists():
        log.warning("the polished recording failed: %s", err.decode(errors="replace").strip()[:500])
        out.unlink(missing_ok=True)
        return None
    return out

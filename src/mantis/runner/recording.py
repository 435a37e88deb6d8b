"""A run's recordings, made after the run has ended: the raw one at the asked frame rate and format, and
the polished one with its overlays, drawn from the run's trace.

They are made in the background: the run's status, result and webhook never wait for them (and never
fail because of them); meanwhile `.recording.json` says `pending`, and the `recording` action says so.
One ffmpeg process decodes the plane's screencast once and writes both files (raw: `fps`; polished:
`setpts` for the timeline, `fps`, a padded caption bar, one `ass` filter for every overlay), at low
priority and one run at a time per process, so live runs keep the CPU. Its cost (ffmpeg's own CPU
seconds, from `-benchmark`) is reported per minute of polished video."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mantis.planes.base import Recording
from mantis.runner.context import RunContext, StepResult
from mantis.runner.files import write_json
from mantis.runner.overlays import BAR_PX, Frame, script
from mantis.runner.timeline import Span, Timeline

log = logging.getLogger("mantis.runner")

STATE_FILE = ".recording.json"
WORK_DIR = ".polish"
# Only a hung ffmpeg should reach this: bench/recordings.py measures a polish at a fraction of its
# video's length in CPU, but at low priority on a machine busy with runs its wall time can be many times
# that (seen: 20 times, with a load of 24 on 2 cores).
POLISH_BASE_S = 300.0
POLISH_PER_VIDEO_S = 10.0
NICENESS = 5  # below the runs' browsers and OCR, not so far below that a busy machine starves it
GIF_MAX_WIDTH = 800  # a gif is a short preview: smaller, and its 256 colours go further
BENCH_LINE = re.compile(r"bench: utime=([\d.]+)s stime=([\d.]+)s")
CODECS: dict[str, list[str]] = {
    "mp4": [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "26",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
    ],
    "webm": ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M", "-crf", "10"],
    "gif": ["-c:v", "gif", "-loop", "0"],
}

_running: set[asyncio.Task[None]] = set()  # held so the loop does not drop them
_one_at_a_time: dict[int, asyncio.Semaphore] = {}  # per event loop


@dataclass(frozen=True)
class Made:
    polished: Path
    raw: Path
    cpu_s: float
    video_s: float
    steps: list[dict[str, Any]]  # each step's place in the polished video

    @property
    def cost(self) -> dict[str, float]:
        return {
            "cpu_seconds": round(self.cpu_s, 2),
            "video_seconds": round(self.video_s, 2),
            "cpu_seconds_per_video_minute": round(self.cpu_s / max(self.video_s, 0.01) * 60, 2),
        }


class RecordingFailed(Exception):
    pass


def caption(result: StepResult) -> str:
    """`3. click: Accept cookies (loop 2/4) — done`: number, type, intent, loop pass, outcome."""
    loop = f" (loop {result.marks.loop})" if result.marks.loop else ""
    outcome = {"succeeded": "done", "skipped": "skipped"}.get(
        result.status, f"{result.status}: {result.message}"
    )
    return f"{result.index}. {result.type}: {result.intent or result.message}{loop} \u2014 {outcome}"


def spans(ctx: RunContext, recording: Recording) -> list[Span]:
    """Each step's place in the raw recording; branch records take no time and are not shown."""
    offset = ctx.started - recording.started
    return [
        Span(r.index, offset + r.started_s, offset + r.started_s + r.duration_ms / 1000, caption(r), r.marks)
        for r in ctx.trace
        if r.status != "branch"
    ]


def begin(ctx: RunContext, recording: Recording, video_format: str, fps: int) -> None:
    """Says `pending`, then makes the recordings in the background; whatever happens there, the run's
    outcome stands."""
    timeline = Timeline.of(spans(ctx, recording))
    budget = POLISH_BASE_S + POLISH_PER_VIDEO_S * sum(p.shown + p.length for p in timeline.pieces)
    try:
        write_json(ctx.run_dir / STATE_FILE, {"state": "pending", "until": time.time() + budget})
    except OSError as exc:
        log.warning("run %s: no recordings: %s", ctx.run_id, exc)
        return
    task = asyncio.create_task(_finish(ctx, recording, timeline, video_format, fps, budget))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def _finish(
    ctx: RunContext, recording: Recording, timeline: Timeline, video_format: str, fps: int, budget: float
) -> None:
    lock = _one_at_a_time.setdefault(id(asyncio.get_running_loop()), asyncio.Semaphore(1))
    try:
        async with lock:  # the deadline counts from here: waiting behind another run's is not failing
            write_json(ctx.run_dir / STATE_FILE, {"state": "pending", "until": time.time() + budget})
            made = await asyncio.wait_for(make(recording, timeline, video_format, fps, ctx.run_dir), budget)
    except Exception as exc:  # whatever goes wrong here, the run's outcome stands
        if isinstance(exc, RecordingFailed | OSError | TimeoutError):
            message = str(exc) or "timed out"
            log.warning("run %s: the recordings failed: %s", ctx.run_id, message)
        else:
            message = f"an internal error ({type(exc).__name__})"
            log.exception("run %s: the recordings failed", ctx.run_id)
        _keep_source_as_raw(recording, ctx.run_dir)
        write_json(ctx.run_dir / STATE_FILE, {"state": "failed", "message": message[:500]})
        ctx.emit("recording.failed", f"the polished recording failed: {message[:200]}", level="warning")
    else:
        write_json(ctx.run_dir / STATE_FILE, {"state": "ready", "polish": made.cost, "steps": made.steps})
        ctx.emit("recording.saved", f"saved {made.raw.name}", file=made.raw.name)
        ctx.emit(
            "recording.saved",
            f"saved {made.polished.name}: {made.cost['cpu_seconds_per_video_minute']:g} s of CPU "
            f"per minute of video",
            file=made.polished.name,
            polish=made.cost,
        )
    finally:
        shutil.rmtree(ctx.run_dir / WORK_DIR, ignore_errors=True)
        recording.path.unlink(missing_ok=True)
        _list_artifacts(ctx.run_dir)


async def make(recording: Recording, timeline: Timeline, video_format: str, fps: int, out_dir: Path) -> Made:
    """Writes `recording_raw.<format>` and `recording.<format>`; raises RecordingFailed with ffmpeg's word."""
    if shutil.which("ffmpeg") is None:
        raise RecordingFailed("no ffmpeg on this machine")
    work = out_dir / WORK_DIR
    work.mkdir(exist_ok=True)
    width, height = await _size(recording.path)
    (work / "overlays.ass").write_text(
        script(timeline, Frame(width, height, recording.origin)), encoding="utf-8"
    )
    polished, raw = out_dir / f"recording.{video_format}", out_dir / f"recording_raw.{video_format}"
    # The computer plane grabs the screen at the asked rate into an mp4: that is the raw one already.
    reuse = video_format == "mp4" and recording.path.suffix == ".mp4"
    graph = _graph(timeline, work / "overlays.ass", video_format, fps, with_raw=not reuse)
    (work / "graph.txt").write_text(graph, encoding="utf-8")
    outputs = ["-map", "[polished]", *CODECS[video_format], str(polished)]
    if not reuse:
        outputs += ["-map", "[raw]", *CODECS[video_format], str(raw)]
    cpu_s = await _ffmpeg(
        ["-i", str(recording.path), "-filter_complex_script", str(work / "graph.txt"), *outputs]
    )
    if reuse:
        shutil.copyfile(recording.path, raw)
    shown = timeline.shown()
    steps = [
        {"step_index": piece.span.step_index, "start_s": round(start, 2), "end_s": round(end, 2)}
        for start, end, piece in shown
        if piece.span is not None
    ]
    return Made(polished, raw, cpu_s, shown[-1][1] if shown else 0.0, steps)


def _graph(timeline: Timeline, overlays: Path, video_format: str, fps: int, with_raw: bool) -> str:
    even = "pad=ceil(iw/2)*2:ceil(ih/2)*2"
    clock = "".join(f"setpts='{expression}'," for expression in timeline.setpts())
    polished = f"{clock}fps={fps},{even},pad=iw:ih+{BAR_PX}:0:0:black,ass=filename='{_filter_path(overlays)}'"
    if not with_raw:
        return f"[0:v]{polished}{_finish_for(video_format, 'polished')}\n"
    return (
        f"[0:v]split=2[p][r];\n[p]{polished}{_finish_for(video_format, 'polished')};\n"
        f"[r]fps={fps},{even}{_finish_for(video_format, 'raw')}\n"
    )


def _finish_for(video_format: str, name: str) -> str:
    """The chain's end for the format: yuv420p for the video codecs; a palette of its own for a gif."""
    if video_format != "gif":
        return f",format=yuv420p[{name}]"
    return (
        f",scale='min({GIF_MAX_WIDTH},iw)':-2:flags=lanczos,split[{name}a][{name}b];"
        f"[{name}a]palettegen=stats_mode=diff[{name}pal];[{name}b][{name}pal]paletteuse=dither=bayer[{name}]"
    )


def _filter_path(path: Path) -> str:
    """A path as ffmpeg's filter syntax reads it: backslash, colon and quote escaped."""
    return str(path).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")


async def _size(path: Path) -> tuple[int, int]:
    process = await asyncio.create_subprocess_exec(
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=width,height",
        "-of",
        "json",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    try:
        stream = json.loads(out)["streams"][0]
        return int(stream["width"]), int(stream["height"])
    except (ValueError, KeyError, IndexError) as exc:
        raise RecordingFailed(f"the raw recording {path.name} cannot be read") from exc


async def _ffmpeg(args: list[str]) -> float:
    """Runs ffmpeg at low priority; returns its CPU seconds (user and system), as `-benchmark` prints them."""
    process = await asyncio.create_subprocess_exec(
        "ffmpeg",
        "-hide_banner",
        "-nostats",
        "-benchmark",
        "-v",
        "info",  # -benchmark reports at this level
        "-y",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=lambda: os.nice(NICENESS),
    )
    try:
        out, err = await process.communicate()
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    text = (out + err).decode(errors="replace")
    if process.returncode != 0:
        raise RecordingFailed(text.strip()[-500:] or f"ffmpeg exited with {process.returncode}")
    return sum(float(u) + float(s) for u, s in BENCH_LINE.findall(text))


def _keep_source_as_raw(recording: Recording, run_dir: Path) -> None:
    """When nothing could be made, the plane's own file is kept as the raw recording, as it is."""
    target = run_dir / f"recording_raw{recording.path.suffix}"
    if recording.path.exists() and not target.exists():
        recording.path.replace(target)


def _list_artifacts(run_dir: Path) -> None:
    """result.json, written when the run ended, learns of the recordings made since."""
    path = run_dir / "result.json"
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    body["result"]["artifacts"] = artifact_names(run_dir)
    write_json(path, body)


def artifact_names(run_dir: Path) -> list[str]:
    return sorted(
        {p.name for p in run_dir.iterdir() if p.is_file() and not p.name.startswith(".")}
        | {"result.json", "status.json"}
    )


def recording_state(run_dir: Path) -> dict[str, Any]:
    """What `.recording.json` says, with a pending state past its deadline read as failed (a worker that
    died while making it)."""
    try:
        state: dict[str, Any] = json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"state": "none"}
    if state.get("state") == "pending" and time.time() > float(state.get("until", 0)):
        return {"state": "failed", "message": "the recordings were not finished in time"}
    return state

"""What polishing a long run's recording costs: a 200-step run's trace (clicks, typing, scrolls, loops,
extractions, some long waits) over a screencast as a plane leaves it (`--source computer`, the default:
H.264 at the run's 5 frames a second, 1280x888, as the computer plane's x11grab writes it; `--source dom`:
VP8 at 25 frames a second, 1280x800, as Playwright writes it), polished by
`mantis.runner.recording.make` exactly as after a run. Measured in the same run beside two others on the
same source: a plain re-encode at the same rate (the floor: what any output costs), and the previous
approach, one `drawtext` filter per step caption chained by hand.
Run: .venv/bin/python bench/recordings.py [--steps 200] [--source dom]"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from mantis.planes.base import Recording
from mantis.runner.marks import MASK, Marks
from mantis.runner.recording import CODECS, _ffmpeg, _filter_path, make
from mantis.runner.timeline import Span, Timeline

FPS = 5
SIZE = (1280, 800)  # the page; the computer plane's picture has its 88 px of toolbar above
SOURCES = {  # how each plane leaves its screencast: size, frame rate, codec
    "computer": (
        (1280, 888),
        FPS,
        ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
        ".mp4",
    ),
    "dom": ((1280, 800), 25, CODECS["webm"], ".webm"),
}
STEP_S = (0.2, 0.9)  # most steps of an offline run take under a second (see a run's result.json)
WAIT_EVERY = 25  # one long wait in so many steps
WAIT_S = 12.0


def trace(steps: int, seed: int = 7) -> tuple[list[Span], float]:
    """A plausible trace: what each step type marks, at random places; its spans and the raw length."""
    rng = random.Random(seed)
    spans, at = [], 1.0
    for index in range(steps):
        kind = ["click", "fill", "scroll", "extract_data", "click"][index % 5]
        length = WAIT_S if index % WAIT_EVERY == WAIT_EVERY - 1 else rng.uniform(*STEP_S)
        point = (rng.randrange(40, SIZE[0] - 40), rng.randrange(40, SIZE[1] - 40))
        marks = Marks(loop=f"{index % 4 + 1}/4" if index % 10 < 4 else None)
        if length == WAIT_S:
            kind = "wait"
        elif kind in ("click", "fill"):
            marks.point, marks.box = point, (point[0] - 60, point[1] - 16, 120, 32)
            marks.typed = (MASK if index % 3 == 0 else "Ada Lovelace") if kind == "fill" else None
        elif kind == "scroll":
            marks.scroll = rng.choice((1, 2, -1))
        else:
            marks.records = [(40 + 300 * (i % 4), 120 + 160 * (i // 4), 280, 140) for i in range(10)]
            marks.record_count = 10
        caption = f"{index}. {kind}: step number {index} of the long run \u2014 done"
        spans.append(Span(index, at, at + length, caption, marks))
        at += length + 0.05
    return spans, at + 1.0


async def source(kind: str, work: Path, seconds: float) -> Path:
    """A moving test picture, encoded as the plane would have."""
    (width, height), rate, codec, suffix = SOURCES[kind]
    path = work / f".recording_source{suffix}"
    picture = f"testsrc2=size={width}x{height}:rate={rate}"
    await _ffmpeg(["-f", "lavfi", "-i", picture, "-t", f"{seconds:.1f}", *codec, str(path)])
    return path


async def drawtext_chain(raw: Path, spans: list[Span], out: Path, work: Path) -> float:
    """The approach this replaced: a `drawtext` per caption, each enabled for its step's time."""
    parts = [f"fps={FPS}"]
    for span in spans:
        text = work / f"{span.step_index}.txt"
        text.write_text(span.caption, encoding="utf-8")
        parts.append(
            f"drawtext=textfile='{_filter_path(text)}':enable='between(t,{span.start:.2f},{span.end:.2f})':"
            "x=24:y=h-th-32:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.65"
        )
    graph = work / "drawtext.txt"
    graph.write_text(",".join([*parts, "format=yuv420p"]), encoding="utf-8")
    return await _ffmpeg(["-i", str(raw), "-filter_script:v", str(graph), *CODECS["mp4"], str(out)])


async def timed(job: Coroutine[Any, Any, float]) -> tuple[float, float]:
    """Wall seconds and ffmpeg's CPU seconds."""
    began = time.monotonic()
    cpu = await job
    return time.monotonic() - began, cpu


def row(name: str, wall: float, cpu: float, length: float) -> None:
    print(f"{name:<34}{wall:>8.1f}{cpu:>8.1f}{cpu / length * 60:>17.1f}{wall / length:>15.2f}", flush=True)


async def main(steps: int, kind: str) -> None:
    if shutil.which("ffmpeg") is None:
        raise SystemExit("needs ffmpeg")
    spans, raw_s = trace(steps)
    timeline = Timeline.of(spans)
    shown_s = sum(piece.shown for piece in timeline.pieces)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = await source(kind, work, raw_s)
        print(
            f"{steps} steps, {kind} plane: raw {raw_s:.0f} s of screencast, "
            f"polished {shown_s:.0f} s at {FPS} fps"
        )
        print(f"{'job':<34}{'wall s':>8}{'cpu s':>8}{'cpu s/video min':>17}{'wall / length':>15}")
        floor_wall, floor_cpu = await timed(
            _ffmpeg(["-i", str(raw), "-vf", f"fps={FPS},format=yuv420p", *CODECS["mp4"], str(work / "f.mp4")])
        )
        row("floor: re-encode at fps (raw only)", floor_wall, floor_cpu, raw_s)
        chain_wall, chain_cpu = await timed(drawtext_chain(raw, spans, work / "chain.mp4", work))
        row("drawtext per step (captions only)", chain_wall, chain_cpu, raw_s)
        began = time.monotonic()
        origin = (0, SOURCES[kind][0][1] - SIZE[1])
        made = await make(Recording(raw, 0.0, origin), timeline, "mp4", FPS, work)
        polish_wall = time.monotonic() - began
        row("polished + raw (ass, setpts)", polish_wall, made.cpu_s, shown_s)
    print(
        f"polish cpu / floor cpu: {made.cpu_s / floor_cpu:.1f}; "
        f"drawtext chain cpu / floor cpu: {chain_cpu / floor_cpu:.1f}"
    )
    print(f"the recording's own report: {made.cost}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--source", choices=sorted(SOURCES), default="computer")
    args = parser.parse_args()
    asyncio.run(main(args.steps, args.source))

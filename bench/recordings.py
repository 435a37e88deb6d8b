"""What polishing a long run's recording costs: a 200-step run's trace (clicks, typing, scrolls, loops,
extractions, some long waits) over a screencast as the DOM plane leaves it (VP8, 25 frames a second,
1280x800), polished by `mantis.runner.recording.make` exactly as after a run. Measured in the same run
beside two others on the same source: a plain re-encode at the same rate (the floor: what any output
costs), and the previous approach, one `drawtext` filter per step caption chained by hand.
Run: .venv/bin/python bench/recordings.py [--steps 200]"""

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
SIZE = (1280, 800)
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


async def source(path: Path, seconds: float) -> None:
    """A moving test picture, VP8 at 25 frames a second: what Playwright's screencast gives."""
    await _ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=25",
            "-t",
            f"{seconds:.1f}",
            *CODECS["webm"],
            str(path),
        ]
    )


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


async def main(steps: int) -> None:
    if shutil.which("ffmpeg") is None:
        raise SystemExit("needs ffmpeg")
    spans, raw_s = trace(steps)
    timeline = Timeline.of(spans)
    shown_s = sum(piece.shown for piece in timeline.pieces)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = work / ".recording_source.webm"
        await source(raw, raw_s)
        print(f"{steps} steps: raw {raw_s:.0f} s of screencast, polished {shown_s:.0f} s at {FPS} fps")
        print(f"{'job':<34}{'wall s':>8}{'cpu s':>8}{'cpu s/video min':>17}{'wall / length':>15}")
        floor_wall, floor_cpu = await timed(
            _ffmpeg(["-i", str(raw), "-vf", f"fps={FPS},format=yuv420p", *CODECS["mp4"], str(work / "f.mp4")])
        )
        row("floor: re-encode at fps (raw only)", floor_wall, floor_cpu, raw_s)
        chain_wall, chain_cpu = await timed(drawtext_chain(raw, spans, work / "chain.mp4", work))
        row("drawtext per step (captions only)", chain_wall, chain_cpu, raw_s)
        began = time.monotonic()
        made = await make(Recording(raw, 0.0), timeline, "mp4", FPS, work)
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
    asyncio.run(main(parser.parse_args().steps))

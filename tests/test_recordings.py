"""Polished recordings, checked in their pixels: a run with typing, a loop of clicks and an extraction on
each plane, then frames of the polished video read back with ffmpeg at the times the recording says each
step is shown. The caption bar must show that step and only that step (read by OCR), and the marks must
sit where the trace says the step acted."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import subprocess
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from tests.conftest import Server

from mantis.planes.chromium import CHROMIUM
from mantis.planes.ocr import read_text
from mantis.runner.marks import Marks
from mantis.runner.overlays import BAR_PX, Frame, script
from mantis.runner.timeline import Span, Timeline

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK) or shutil.which("tesseract") is None or shutil.which("ffmpeg") is None,
    reason="needs Debian's Chromium, ffmpeg and tesseract",
)

PLANES = ["browser_use_plane", "computer_plane"]
VIEWPORT = (1280, 800)
RIPPLE_RGB = (255, 46, 166)
RECORD_RGB = (60, 200, 60)


def plan(site: str) -> list[dict[str, Any]]:
    return [
        {"type": "navigate", "intent": "Open the ledger", "params": {"url": site + "/ledger"}},
        {"type": "fill", "intent": "Type the handle", "params": {"label": "Handle", "text": "ada"}},
        {
            "type": "fill",
            "intent": "Type the passphrase",
            "params": {"label": "Passphrase", "text": "hunter2"},
        },
        {"type": "click", "intent": "Reveal another card", "params": {"label": "More cards"}},
        {"type": "loop", "loop_target": 3, "loop_count": 1},
        {
            "type": "extract_data",
            "intent": "Read the cards",
            "extract": {"fields": [{"name": "title"}, {"name": "seller"}], "max_items": 10},
        },
    ]


def finished_recording(server: Server, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 600  # made at low priority: slow on a busy machine
    while time.monotonic() < deadline:
        body = dict(server.predict({"action": "recording", "run_id": run_id}).json())
        if body["state"] != "pending":
            return body
        time.sleep(0.5)
    raise AssertionError("the recordings stayed pending")


def frame_at(video: Path, seconds: float) -> Image.Image:
    png = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-ss",
            f"{seconds:.2f}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-f",
            "image2",
            "-c:v",
            "png",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def probe(video: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,r_frame_rate,width,height",
            "-of",
            "json",
            str(video),
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return dict(json.loads(out)["streams"][0])


def near(pixel: tuple[int, ...], rgb: tuple[int, int, int], tolerance: int = 60) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb, strict=False))


def share_near(image: Image.Image, box: tuple[int, int, int, int], rgb: tuple[int, int, int]) -> float:
    data = image.crop(box).tobytes()
    pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
    return sum(near(p, rgb) for p in pixels) / max(len(pixels), 1)


def ocr(image: Image.Image, box: tuple[int, int, int, int]) -> str:
    return asyncio.run(read_text(image.crop(box), dict(os.environ))).text


def caption_text(image: Image.Image) -> str:
    return ocr(image, (0, image.height - BAR_PX, image.width, image.height))


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.casefold()))


@pytest.mark.parametrize("plane", PLANES)
def test_polished_recording_shows_each_step_where_it_acted(server: Server, site: str, plane: str) -> None:
    body = server.predict(
        {
            "micro": plan(site),
            "compute_backend": plane,
            "detached": False,
            "record_video": True,
            "video_fps": 5,
        }
    ).json()
    assert body["status"] == "succeeded", body["summary"]
    steps = [s for s in body["result"]["steps"] if s["status"] != "branch"]
    recording = finished_recording(server, body["run_id"])
    assert recording["state"] == "ready", recording
    assert recording["polish"]["cpu_seconds"] > 0 and recording["polish"]["video_seconds"] > 0

    run_dir = server.home / "runs" / body["run_id"]
    polished, raw = run_dir / "recording.mp4", run_dir / "recording_raw.mp4"
    raw_info, polished_info = probe(raw), probe(polished)
    assert raw_info["r_frame_rate"] == polished_info["r_frame_rate"] == "5/1"
    assert raw_info["codec_name"] == polished_info["codec_name"] == "h264"
    assert polished_info["height"] == raw_info["height"] + BAR_PX
    origin_y = raw_info["height"] - VIEWPORT[1]  # the computer plane's picture has the toolbar above the page

    shown = recording["polished"]["steps"]
    assert [s["step_index"] for s in shown] == [s["index"] for s in steps]
    clicks = [s for s in steps if s["type"] == "click"]
    assert [c["marks"]["loop"] for c in clicks] == ["1/2", "2/2"]
    intents = {s["index"]: words(s["intent"]) for s in steps}
    for step, place in zip(steps, shown, strict=True):
        assert place["end_s"] - place["start_s"] >= 1.5  # long enough to read, however quick the step
        for moment in (place["start_s"] + 0.25, (place["start_s"] + place["end_s"]) / 2):
            image = frame_at(polished, moment)
            text = caption_text(image)
            assert f"{step['index']}. {step['type']}".replace("_", " ") in text.replace("_", " "), text
            own = intents[step["index"]]
            others = set().union(*(w for i, w in intents.items() if i != step["index"])) - own
            assert own <= words(text), text
            assert not words(text) & others, f"another step's caption is on screen: {text}"
        marks = step["marks"]
        if marks["point"] is not None:
            x, y = marks["point"][0], marks["point"][1] + origin_y
            ring = share_near(image, (x - 28, y - 28, x + 28, y + 28), RIPPLE_RGB)
            elsewhere = share_near(image, (x + 80, y - 28, x + 136, y + 28), RIPPLE_RGB)
            assert ring > 0.08 and elsewhere < 0.01, (step["intent"], ring, elsewhere)
        if step["type"] == "fill":
            typed = "\u2022" * 8 if "passphrase" in step["intent"] else "ada"
            assert marks["typed"] == typed
    extraction = next(s for s in steps if s["type"] == "extract_data")
    rows = body["result"]["rows"]
    assert extraction["marks"]["record_count"] == len(rows) >= 1  # how many OCR lets it read varies
    assert "hunter2" not in json.dumps(body) and "hunter2" not in (run_dir / "events.log").read_text()
    place = shown[steps.index(extraction)]
    image = frame_at(polished, (place["start_s"] + place["end_s"]) / 2)
    chip = ocr(image, (image.width - 320, origin_y, image.width, origin_y + 60))  # the count, top right
    assert f"{len(rows)} record" in chip and "read" in chip, chip
    for box in extraction["marks"]["records"]:
        x, y, w, _ = (round(v) for v in box)
        top_edge = (x, y + origin_y - 4, x + w, y + origin_y + 2)  # the outline sits just outside the box
        assert share_near(image, top_edge, RECORD_RGB) > 0.25, (x, y)

    video = httpx.get(recording["polished"]["url"], headers=server.headers())
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


@pytest.mark.parametrize("video_format", ["webm", "gif"])
def test_a_long_wait_is_shortened_and_labelled(server: Server, site: str, video_format: str) -> None:
    body = server.predict(
        {
            "micro": [
                {"type": "navigate", "intent": "Open the ledger", "params": {"url": site + "/ledger"}},
                {"type": "wait", "intent": "Let the ink dry", "params": {"seconds": 7}},
            ],
            "compute_backend": "browser_use_plane",
            "detached": False,
            "record_video": True,
            "video_format": video_format,
            "video_fps": 4,
        }
    ).json()
    assert body["status"] == "succeeded", body["summary"]
    recording = finished_recording(server, body["run_id"])
    assert recording["state"] == "ready"
    assert recording["polished"]["format"] == recording["raw"]["format"] == video_format
    run_dir = server.home / "runs" / body["run_id"]
    polished, raw = run_dir / f"recording.{video_format}", run_dir / f"recording_raw.{video_format}"
    assert probe(polished)["r_frame_rate"] == probe(raw)["r_frame_rate"] == "4/1"
    magic = {"webm": b"\x1a\x45\xdf\xa3", "gif": b"GIF89a"}[video_format]
    assert polished.read_bytes()[:6].startswith(magic) and raw.read_bytes()[:6].startswith(magic)
    wait = recording["polished"]["steps"][1]
    assert wait["end_s"] - wait["start_s"] < 6  # seven seconds of waiting, shown in fewer
    if video_format == "webm":  # the gif is a smaller preview, too small to read back reliably
        text = caption_text(frame_at(polished, (wait["start_s"] + wait["end_s"]) / 2))
        assert "1. wait: Let the ink dry" in text and "shown" in text and "faster" in text, text


def test_two_hundred_steps_make_one_script_whose_captions_never_overlap() -> None:
    """Steps that overlap in the trace (a step's end measured after the next began) still get one caption
    each, one after another; quick ones are held, long ones shortened and labelled."""
    spans = [
        Span(
            i,
            i * 0.3,
            i * 0.3 + (9.0 if i % 50 == 49 else 0.35),
            f"{i}. click: press {i}",
            Marks(point=(9, 9)),
        )
        for i in range(200)
    ]
    timeline = Timeline.of(spans)
    text = script(timeline, Frame(1280, 800))
    captions = [line.split(",", 9) for line in text.splitlines() if line.startswith("Dialogue: 0,")]
    assert len(captions) == 200
    clock = [(_seconds(c[1]), _seconds(c[2]), c[9]) for c in captions]
    assert all(end <= following[0] for (_, end, _), following in pairwise(clock))
    assert all(end - start >= 1.5 for start, end, _ in clock)
    long = [c for c in clock if "shown" in c[2]]
    assert len(long) == 4 and all("faster" in c[2] and c[1] - c[0] < 9 for c in long)
    expressions = timeline.setpts()  # a few expressions, each short enough for ffmpeg's parser
    assert 1 < len(expressions) <= len(timeline.pieces) // 40
    assert sum(e.count("clip(") for e in expressions) == sum(p.shown != p.length for p in timeline.pieces)
    # ffmpeg takes them in a chain, and the video it makes lasts what the captions were timed against
    raw_s = timeline.pieces[-1].start + timeline.pieces[-1].length
    clock = ",".join(f"setpts='{e}'" for e in expressions)
    picture = f"testsrc2=size=64x48:rate=5:duration={raw_s:.2f}"
    argv = ["ffmpeg", "-nostdin", "-f", "lavfi", "-i", picture, "-vf", f"{clock},fps=5", "-f", "null", "-"]
    log = subprocess.run(argv, capture_output=True, text=True, check=True).stderr
    frames = int(re.findall(r"frame=\s*(\d+)", log)[-1])
    assert abs(frames / 5 - sum(p.shown for p in timeline.pieces)) < 1.0


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)

"""Replay: a 10-step plan's first run (every step grounded by a model) against its replayed run (every step
acted from what the first one learned), wall time and model calls, on each plane, as ratios in one run.

The model is the tests' provider stand-in on 127.0.0.1 (tests/brains_standin.py, the OpenAI wire): it
answers a DOM-plane grounding by the number of the element named as the target, and a computer-plane
grounding (Holo3) with the middle of the control on this page's fixed layout, after `--latency` seconds,
so the figures show the runner's own cost at 0 and what a model's latency adds otherwise. Each pair runs
through `mantis serve` (`detached: false`, one tenant): the first run with `replay: "refresh"` (asks the
model for every step and rewrites the records), then the same plan with `replay: "auto"`; pairs are
interleaved, medians printed.

Run: .venv/bin/python bench/replay.py [-n 3] [--latency 0,1] [--planes dom,computer]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]  # the tests' stand-in, page server and `mantis serve`

from tests.conftest import Server, start_server, stop_server  # noqa: E402
from tests.pages_server import QuietHandler, serve  # noqa: E402

from brains_standin import Reply, StandIn, completion  # noqa: E402

SCREEN = (1280, 800)  # the computer plane's default viewport: the screenshot the model is sent, at 1:1
FIELDS = ("First name", "Last name", "Email", "City", "Company")
TOGGLES = ("Newsletter", "Terms", "Priority")
FIELD_TOP, FIELD_STEP = 100, 100  # each field 100 px below the last, its label 36 px above it
BUTTON_LEFT = 640


def layout() -> dict[str, tuple[int, int]]:
    """The middle of each control on the page, in page pixels."""
    points = {name: (250, FIELD_TOP + i * FIELD_STEP + 20) for i, name in enumerate(FIELDS)}
    points |= {name: (BUTTON_LEFT + 80, FIELD_TOP + i * FIELD_STEP + 24) for i, name in enumerate(TOGGLES)}
    points["Send"] = (BUTTON_LEFT + 80, FIELD_TOP + len(TOGGLES) * FIELD_STEP + 24)
    return points


def page() -> str:
    fields = "".join(
        f'<label for="f{i}" style="top:{FIELD_TOP + i * FIELD_STEP - 36}px">{name}</label>'
        f'<input id="f{i}" name="f{i}" style="top:{FIELD_TOP + i * FIELD_STEP}px">'
        for i, name in enumerate(FIELDS)
    )
    buttons = "".join(
        f'<button type="button" style="top:{FIELD_TOP + i * FIELD_STEP}px" '
        f"onclick=\"this.classList.toggle('on')\">{name}</button>"
        for i, name in enumerate(TOGGLES)
    )
    send = f'<button style="top:{FIELD_TOP + len(TOGGLES) * FIELD_STEP}px">Send</button>'
    return (
        "<!doctype html><html><head><title>Bench form</title><style>"
        "body{margin:0;font-family:sans-serif;font-size:18px} label,input,button{position:absolute}"
        "label,input{left:100px} input{width:300px;height:40px;font-size:20px;box-sizing:border-box}"
        f"button{{left:{BUTTON_LEFT}px;width:160px;height:48px;font-size:20px;background:#2a6df4;"
        "color:#fff;border:0;border-radius:4px} button.on{background:#1e8e3e}"
        f'</style></head><body><form action="/done">{fields}{buttons}{send}</form></body></html>'
    )


def plan(site: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"type": "navigate", "params": {"url": f"{site}/form"}}]
    steps += [{"type": "fill", "params": {"label": name, "text": f"x{i}"}} for i, name in enumerate(FIELDS)]
    steps += [{"type": "click", "params": {"label": name}} for name in (*TOGGLES, "Send")]
    return steps


class Model:
    """What a model that always finds the target would answer, through the tests' provider stand-in
    (tests/brains_standin.py), each answer `latency_s` late."""

    def __init__(self) -> None:
        self.standin = StandIn()
        self.latency_s = 0.0
        self.points = layout()

    def expect(self, calls: int) -> None:
        """Answers for up to `calls` requests, from now on."""
        self.standin.reset()
        self.standin.script(*(Reply(self.answer, delay_s=self.latency_s) for _ in range(calls)))

    @property
    def calls(self) -> int:
        return len(self.standin.requests)

    def answer(self, body: dict[str, Any]) -> Any:
        content = body["messages"][-1]["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        text = "".join(p.get("text", "") for p in parts)
        target = re.search(r'target "([^"]+)"', text)
        name = target.group(1) if target else ""
        if any(p.get("type") == "image_url" for p in parts):
            x, y = self.points.get(name, (0, 0))
            said = json.dumps({"x": x * 1000 / SCREEN[0], "y": y * 1000 / SCREEN[1]})  # Holo3's 0-1000
        else:
            listed = re.findall(r'^(\d+)\. (\S+) "([^"]*)"', text, re.MULTILINE)
            controls = [int(n) for n, role, said in listed if said == name and role != "generic"]  # no label
            said = json.dumps({"choice": controls[0] if controls else 0})
        return completion(said).body


class Form(QuietHandler):
    def do_GET(self) -> None:
        self.reply(page() if self.path.startswith("/form") else "<h1>Sent</h1>")


@contextmanager
def api(model: Model) -> Iterator[Server]:
    """`mantis serve` on a free port, its models pointed at the stand-in."""
    with tempfile.TemporaryDirectory(prefix="mantis-bench-replay-") as home:
        server = start_server(
            Path(home),
            MANTIS_OPENAI_BASE_URL=f"{model.standin.url}/v1",
            MANTIS_OPENAI_MODEL="bench-chooser",
            MANTIS_HOLO3_BASE_URL=f"{model.standin.url}/v1",
            MANTIS_PRICE_INPUT_PER_MTOK="2.0",
            MANTIS_PRICE_OUTPUT_PER_MTOK="10.0",
        )
        try:
            yield server
        finally:
            stop_server(server)


@dataclass
class Sample:
    plane: str
    latency_s: float
    first_s: float
    first_calls: int
    replayed_s: float
    replayed_calls: int
    replayed_steps: int


PLANES = {"dom": ("browser_use_plane", "openai"), "computer": ("computer_plane", "holo3")}


def pair(server: Server, site: str, model: Model, plane: str, latency_s: float) -> Sample:
    backend, cua_model = PLANES[plane]
    model.latency_s = latency_s
    timed = []
    for mode in ("refresh", "auto"):
        body = {
            "micro": plan(site),
            "compute_backend": backend,
            "cua_model": cua_model,
            "replay": mode,
            "detached": False,
        }
        model.expect(len(body["micro"]))
        began = time.perf_counter()
        answer = httpx.post(
            f"{server.url}/v1/predict", json=body, headers=server.headers(), timeout=600
        ).json()
        spent = time.perf_counter() - began
        if answer.get("status") != "succeeded":
            raise SystemExit(f"{plane} {mode} run {answer.get('run_id')}: {answer.get('summary')}")
        usage = (answer.get("result") or {}).get("usage") or {}
        timed.append((spent, model.calls, int(usage.get("replayed_steps") or 0)))
    (first_s, first_calls, _), (replayed_s, replayed_calls, replayed_steps) = timed
    return Sample(plane, latency_s, first_s, first_calls, replayed_s, replayed_calls, replayed_steps)


def table(samples: list[Sample]) -> str:
    lines = [
        "| plane | model latency | first run: s, calls | replayed run: s, calls, replayed steps | "
        "replayed / first (time) |",
        "| --- | --- | --- | --- | --- |",
    ]
    keys = sorted({(s.plane, s.latency_s) for s in samples}, key=lambda k: (k[0] != "dom", k[1]))
    for plane, latency in keys:
        group = [s for s in samples if (s.plane, s.latency_s) == (plane, latency)]
        first = statistics.median(s.first_s for s in group)
        replayed = statistics.median(s.replayed_s for s in group)
        ratios = [s.replayed_s / s.first_s for s in group]
        ratio, spread = statistics.median(ratios), f"{min(ratios):.2f}-{max(ratios):.2f}"
        lines.append(
            f"| {plane} | {latency:g} s | {first:.2f}, {max(s.first_calls for s in group)} | "
            f"{replayed:.2f}, {max(s.replayed_calls for s in group)}, "
            f"{min(s.replayed_steps for s in group)} | **{ratio:.2f}** ({spread}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3, help="pairs of runs per plane and latency")
    parser.add_argument("--latency", default="0,1", help="the stand-in's seconds per answer, comma-separated")
    parser.add_argument("--planes", default="dom,computer")
    args = parser.parse_args()
    latencies = [float(v) for v in args.latency.split(",")]
    planes = [p for p in args.planes.split(",") if p]
    model = Model()
    samples: list[Sample] = []
    with serve(Form) as site, api(model) as server:
        pair(server, site, model, planes[0], 0.0)  # warm-up: the browser, the SDKs, the first records
        for _ in range(args.n):
            for plane in planes:
                for latency in latencies:
                    samples.append(pair(server, site, model, plane, latency))
    model.standin.close()
    print(f"{len(plan(''))}-step plan, {args.n} pairs each, medians (min-max of the ratio):")
    print(table(samples))


if __name__ == "__main__":
    main()

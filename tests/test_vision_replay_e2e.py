"""Replay on the computer plane through the real server: a grounding model (Holo3 on the OpenAI wire, Claude
with its computer tool, each a stand-in on 127.0.0.1) points at a field and a button on pixels; the next
run acts from what was learned with no call; a button that moved and changed its markup, its label the
same, is asked of the model once and learned again; the run after that makes no call. What the page
received is read back from the test server, never through the browser."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import Server, start_server, stop_server
from tests.pages_server import QuietHandler, serve

from brains_standin import Reply, StandIn, completion, computer, message
from mantis.planes.chromium import CHROMIUM

MISSING = [
    name
    for name, present in (("Xvfb", shutil.which("Xvfb")), ("chromium", os.access(CHROMIUM, os.X_OK)))
    if not present
]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"the computer plane needs {' and '.join(MISSING)}")

SCREEN = (1280, 800)  # the computer plane's default viewport, which the screenshot sent to the model shows
FIELD = (250, 140)  # the middle of the name field, in both layouts
BUTTON = (180, 244)  # the middle of the first layout's button
MOVED = (640, 444)  # the middle of the second layout's

FORM = """<!doctype html><html><head><title>Sign up</title><style>
body{{margin:0;font-family:sans-serif;font-size:18px}} label{{position:absolute;left:100px;top:84px}}
input[name=name]{{position:absolute;left:100px;top:120px;width:300px;height:40px;font-size:20px;
box-sizing:border-box}} {style}</style></head><body><form action="/welcome">
<label for="name">Your name</label><input id="name" name="name">{button}</form></body></html>"""
FIRST = FORM.format(
    style="button{position:absolute;left:100px;top:220px;width:160px;height:48px;font-size:20px;"
    "background:#2a6df4;color:#fff;border:0;border-radius:4px}",
    button="<button>Sign up</button>",
)
# The same label, another element and class, another place and look.
SECOND = FORM.format(
    style=".cta-9f{position:absolute;left:560px;top:414px;width:160px;height:60px;font-size:22px;"
    "background:#1e8e3e;color:#fff;border:2px solid #0b5;border-radius:16px}",
    button='<input type="submit" class="cta-9f" value="Sign up">',
)
PLAN = [
    {"type": "fill", "params": {"label": "Your name", "text": "Ada"}},
    {"type": "click", "params": {"label": "Sign up"}},
]


class Site(QuietHandler):
    def do_GET(self) -> None:
        server: Any = self.server
        server.paths.append(self.path)
        if self.path.startswith("/welcome"):
            self.reply("<html><body><h1>Welcome</h1></body></html>")
        else:
            self.reply(SECOND if server.layout["moved"] else FIRST)


@pytest.fixture(scope="module")
def signup() -> Iterator[tuple[str, list[str], dict[str, bool]]]:
    paths: list[str] = []
    layout = {"moved": False}
    with serve(Site, paths=paths, layout=layout) as url:
        yield url, paths, layout


@pytest.fixture(scope="module")
def modelled(standin: StandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("vision-replay"),
        MANTIS_HOLO3_BASE_URL=f"{standin.url}/v1",
        MANTIS_HOLO3_MODEL="Hcompany/Holo3-35B-A3B",
        ANTHROPIC_API_KEY="sk-ant-test",
        MANTIS_ANTHROPIC_BASE_URL=standin.url,
        MANTIS_CLAUDE_MODEL="claude-vision-test",
        MANTIS_PRICE_INPUT_PER_MTOK="2.0",
        MANTIS_PRICE_OUTPUT_PER_MTOK="10.0",
    )
    yield running
    stop_server(running)


def pointing(model: str, point: tuple[int, int]) -> Reply:
    """A grounding answer at `point` on the screen: Holo3 in its default 0-1000 space, Claude's computer
    tool in the screenshot's pixels (the screenshot is sent at 1:1)."""
    if model == "holo3":
        x, y = point[0] * 1000 / SCREEN[0], point[1] * 1000 / SCREEN[1]
        return completion(json.dumps({"x": x, "y": y}))
    return message(computer("left_click", coordinate=list(point)))


def run(server: Server, token: str, url: str, model: str) -> dict[str, Any]:
    steps = [{"type": "navigate", "params": {"url": f"{url}/sign-up"}}, *PLAN]
    body = {"micro": steps, "compute_backend": "computer_plane", "cua_model": model, "detached": False}
    answer = server.predict(body, token=token).json()
    assert answer["status"] == "succeeded", answer
    result = server.predict({"action": "result", "run_id": answer["run_id"]}, token=token).json()["result"]
    return dict(result)


def marks(result: dict[str, Any]) -> list[str | None]:
    return [step["marks"].get("replay") for step in result["steps"] if step["type"] in ("fill", "click")]


@pytest.mark.parametrize("model", ["holo3", "claude"])
def test_a_grounded_run_replays_and_heals_on_pixels(
    modelled: Server, standin: StandIn, signup: tuple[str, list[str], dict[str, bool]], model: str
) -> None:
    url, paths, layout = signup
    token = modelled.tenant(f"vision-{model}")  # a tenant each: records never cross tenants
    wire = "/v1/chat/completions" if model == "holo3" else "/v1/messages"

    def once(*replies: Reply) -> dict[str, Any]:
        standin.reset()
        standin.script(*replies)
        paths.clear()
        result = run(modelled, token, url, model)
        assert [r.path for r in standin.requests] == [wire] * len(replies)
        assert "/welcome?name=Ada" in paths  # the field was filled and the button pressed
        assert result["usage"]["model_calls"] == len(replies)
        return result

    layout["moved"] = False
    first = once(pointing(model, FIELD), pointing(model, BUTTON))
    assert marks(first) == ["model", "model"] and first["usage"]["replayed_steps"] == 0

    second = once()
    assert marks(second) == ["replayed", "replayed"] and second["usage"]["replayed_steps"] == 2
    assert second["cost"]["usd"] == 0

    layout["moved"] = True
    healed = once(pointing(model, MOVED))
    assert marks(healed) == ["replayed", "healed"]

    after = once()
    assert marks(after) == ["replayed", "replayed"]

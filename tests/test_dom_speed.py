"""What the DOM plane keeps while it takes work off a run's critical path: every step's screenshot is
written and shows the page as that step left it, even though it is taken while the next step reads the
page, and a step that changed nothing keeps the previous step's picture (a page that moves, or that the
step changed, gets a new one); and a `detached: false` request hears its run's end from the executor
instead of the next poll."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from tests.conftest import Server
from tests.pages_server import QuietHandler, serve

from mantis.workers import ends

BANNER_RGB = (200, 30, 30)
# A red banner over the bottom of the page until Accept is pressed; the list stays.
PAGE = """<!doctype html><html><head><title>Lamps</title><style>
#consent {position: fixed; left: 0; right: 0; bottom: 0; height: 200px; background: rgb(200, 30, 30)}
</style></head><body><div id="consent" role="dialog" aria-label="Cookies">
<button onclick="this.parentElement.remove()">Accept</button></div>
<ul><li class="lamp"><h2>Brass desk lamp</h2><span>$20.00</span></li>
<li class="lamp"><h2>Opal pendant</h2><span>$35.00</span></li></ul></body></html>"""
SPEC = {"entity_name": "lamp", "max_items": 5, "fields": [{"name": "title"}, {"name": "price"}]}


# The same lamps, and something on the page that changes on its own, without any step acting.
TICK = "setInterval(() => { clock.textContent = Number(clock.textContent) + 1; }, 5)"
TICKING = PAGE.replace("</ul>", f"</ul><p id='clock'>0</p><script>{TICK}</script>")
SPINNING = PAGE.replace("</style>", "@keyframes turn {to {transform: rotate(1turn)}} "
                        "h2 {animation: turn 2s linear infinite}</style>")
PAGES = {"/": PAGE, "/ticking": TICKING, "/spinning": SPINNING}


class Lamps(QuietHandler):
    def do_GET(self) -> None:
        self.reply(PAGES[self.path])


@pytest.fixture(scope="module")
def lamps() -> Iterator[str]:
    with serve(Lamps) as url:
        yield url + "/"


def run(server: Server, plan: list[dict[str, object]]) -> tuple[list[Path], dict[str, object]]:
    """Runs the plan on the DOM plane; returns each step's screenshot file, in order, and the result."""
    body = {"micro": plan, "compute_backend": "browser_use_plane", "detached": False}
    answer = server.predict(body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "succeeded", result["summary"]
    folder = server.home / "runs" / result["run_id"]
    return [folder / step["screenshot"] for step in result["result"]["steps"]], result


def same_picture(a: Path, b: Path) -> bool:
    """One file under two names: the later step kept the earlier one's picture."""
    return a.read_bytes() == b.read_bytes() and a.stat().st_ino == b.stat().st_ino


def banner_shown(png: bytes) -> bool:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1280, 800)
    return image.getpixel((640, 760)) == BANNER_RGB


def test_each_step_screenshot_shows_the_page_that_step_left(server: Server, lamps: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": lamps}},
        {"type": "click", "params": {"label": "Accept"}},
        {"type": "extract_data", "intent": "Extract the lamps", "extract": SPEC},
    ]
    body = {"micro": plan, "compute_backend": "browser_use_plane", "detached": False}
    answer = server.predict(body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "succeeded", result["summary"]
    steps = result["result"]["steps"]
    links = result["result"]["artifacts"]
    shots = []
    for step in steps:
        assert step["screenshot"] in links, step
        shots.append(httpx.get(links[step["screenshot"]], timeout=30).content)
    # the navigate's screenshot was taken while the click step read the page, before it clicked
    assert [banner_shown(png) for png in shots] == [True, False, False]
    assert [row["title"] for row in result["result"]["rows"]] == ["Brass desk lamp", "Opal pendant"]


EXTRACT = {"type": "extract_data", "intent": "Extract the lamps", "extract": SPEC}


def test_a_step_that_changed_nothing_keeps_the_last_picture_and_one_that_did_gets_a_new_one(
    server: Server, lamps: str
) -> None:
    plan = [
        {"type": "navigate", "params": {"url": lamps}},
        EXTRACT,
        {"type": "click", "params": {"label": "Accept"}},
        EXTRACT,
        EXTRACT,
    ]
    shots, _ = run(server, plan)
    assert [banner_shown(shot.read_bytes()) for shot in shots] == [True, True, False, False, False]
    assert same_picture(shots[0], shots[1])
    assert not same_picture(shots[1], shots[2])  # the click after the extraction changed the page
    assert same_picture(shots[2], shots[3]) and same_picture(shots[2], shots[4])


@pytest.mark.parametrize("page", ["ticking", "spinning"])
def test_a_page_that_moves_on_its_own_gets_a_new_picture_each_step(
    server: Server, lamps: str, page: str
) -> None:
    shots, result = run(server, [{"type": "navigate", "params": {"url": lamps + page}}, EXTRACT, EXTRACT])
    assert len(result["result"]["rows"]) == 4  # type: ignore[index]
    assert not same_picture(shots[0], shots[1]) and not same_picture(shots[1], shots[2])


async def test_a_waiter_hears_the_end_of_a_run_at_once() -> None:
    waiting = asyncio.create_task(ends.wait("run-a", poll_s=3600))
    await asyncio.sleep(0)
    assert not waiting.done()
    ends.ended("run-a")
    await asyncio.wait_for(waiting, 30)  # far below its poll: woken by the end, not by the clock


async def test_a_waiter_of_a_run_executed_here_still_reads_the_store_now_and_then() -> None:
    ends.started("run-b")
    try:
        await asyncio.wait_for(ends.wait("run-b", poll_s=3600), 30)  # HELD_POLL_S, not the hour asked
    finally:
        ends.ended("run-b")

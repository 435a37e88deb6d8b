"""The computer plane end to end on a local page (Xvfb + Chromium + xdotool + tesseract), plus the pure
parts: OCR grounding, key names, URL typing. What the page received is read back from the test server,
never through the browser: the plane itself only ever sees pixels."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mantis.brains.base import GroundingError
from mantis.brains.offline.ocr_ground import ground_on_screen, normalise
from mantis.fence.policy import Fence, FencePolicy
from mantis.planes.base import Action, Element, Observation, PlaneError, SessionConfig
from mantis.planes.chromium import CHROMIUM
from mantis.planes.computer import ComputerPlane, ascii_url
from mantis.planes.ocr import parse_tsv, phrases, rows_of
from mantis.planes.xinput import keysyms

MISSING = [
    name
    for name, present in (("Xvfb", shutil.which("Xvfb")), ("chromium", os.access(CHROMIUM, os.X_OK)))
    if not present
]
needs_display = pytest.mark.skipif(
    bool(MISSING), reason=f"the computer plane needs {' and '.join(MISSING)} installed"
)

MAIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vision test</title>
<style>body{font-family:sans-serif;font-size:18px;margin:24px} #deep{margin:1800px 0 1000px}</style>
</head><body><h1>Mantis vision test</h1>
<p><button onclick="document.getElementById('msg').textContent='The secret word is pineapple'">
Show message</button></p>
<p id="msg"></p>
<p><label for="name">Your name</label> <input id="name" size="30"></p>
<p><label for="colour">Colour</label> <select id="colour"><option>Red</option><option>Green</option>
<option>Blue</option></select></p>
<p><a href="/second">Go to second page</a></p>
<p id="deep">Deep section reached</p>
<script>
let seq = 0;
const post = (kind, body) =>
  fetch('/report/' + kind, {method: 'POST', body: JSON.stringify({seq: ++seq, ...body})});
// A font is there when text set in it, falling back to a generic family, measures unlike the generic.
const width = font => { const c = document.createElement('canvas').getContext('2d');
  c.font = '72px ' + font; return c.measureText('mmmmmmmmmmlli WQ@').width; };
const fonts = ['Arial', 'Times New Roman', 'Courier New', 'Helvetica', 'Comic Sans MS'].filter(
  f => ['monospace', 'serif', 'sans-serif'].some(base => width(`"${f}", ${base}`) !== width(base)));
post('env', {webdriver: navigator.webdriver, language: navigator.language, languages: navigator.languages,
             timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
             offset: new Date(2026, 0, 15).getTimezoneOffset(), fonts,
             agent: navigator.userAgent, platform: navigator.userAgentData.platform,
             brands: navigator.userAgentData.brands.map(b => b.brand + '/' + b.version)});
const input = document.getElementById('name');
input.addEventListener('input', () => post('typed', {value: input.value}));
input.addEventListener('keydown', e => { if (e.key === 'Enter') post('enter', {value: input.value}); });
const colour = document.getElementById('colour');
colour.addEventListener('change', () => post('colour', {value: colour.value}));
addEventListener('scroll', () => post('scroll', {y: scrollY}));
</script></body></html>"""

SECOND_PAGE = """<!doctype html><html><head><title>Second</title></head>
<body style="font-family:sans-serif;font-size:18px;margin:24px"><h1>Second page here</h1></body></html>"""
SLOW_PAGE = SECOND_PAGE.replace("Second page here", "Slow page here")
SLOW_SERVER_S = 2.5  # longer than the address bar's suggestions take to close and the screen to go quiet


class _Site:
    """The test pages, the paths the browser asked for, and the latest report of each kind."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.languages: list[str] = []  # Accept-Language of each page load
        self.reports: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    if self.path != "/favicon.ico":
                        site.paths.append(self.path)
                        site.languages.append(self.headers.get("Accept-Language", ""))
                page = SECOND_PAGE if self.path.startswith("/second") else MAIN_PAGE
                if self.path.startswith("/slow"):
                    time.sleep(SLOW_SERVER_S)
                    page = SLOW_PAGE
                self._send(200, page.encode(), "text/html; charset=utf-8")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                kind = self.path.rsplit("/", 1)[-1]
                with site.lock:  # requests race each other: keep the latest the page sent
                    if body["seq"] >= site.reports.get(kind, {}).get("seq", 0):
                        site.reports[kind] = body
                self._send(204, b"", "text/plain")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    async def report(self, kind: str, ready: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for _ in range(100):
            with self.lock:
                found = self.reports.get(kind)
            if found is not None and ready(found):
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"the page never reported {kind} as expected; last: {self.reports.get(kind)}")


@pytest.fixture
def site() -> Iterator[_Site]:
    served = _Site()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def _leftovers(display: str, run_dir: Path) -> list[str]:
    """Processes whose command line mentions the session's display or anything inside its run dir, or
    whose environment points at its display (xclip, xdotool)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            any(arg == display or arg.startswith(f"{display}+") or str(run_dir) in arg for arg in args)
            or f"DISPLAY={display}".encode() in environ
        ):
            found.append(" ".join(args))
    return found


@needs_display
async def test_a_session_sees_and_drives_a_page_through_pixels_only(site: _Site, tmp_path: Path) -> None:
    plane = ComputerPlane()
    session = await plane.open(
        SessionConfig(
            run_dir=tmp_path,
            record_video=True,
            locale="de-DE",
            timezone="Asia/Tokyo",
            fence=Fence(FencePolicy(allow_private=True)),  # the test's page is on loopback
        )
    )
    display = session.display
    try:
        await session.navigate(site.url + "/", 15)
        env = await site.report("env", lambda r: True)
        major = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.split()[1]
        major = major.split(".")[0]
        assert {k: env[k] for k in ("webdriver", "language", "timezone", "offset", "fonts", "platform")} == {
            "webdriver": False,
            "language": "de-DE",
            "timezone": "Asia/Tokyo",
            "offset": -540,
            "fonts": ["Arial", "Times New Roman", "Courier New", "Helvetica"],  # Liberation's, by fontconfig
            "platform": "Linux",
        }
        assert env["languages"] == ["de-DE", "de"] and site.languages[0] == "de-DE,de;q=0.9"
        assert "Headless" not in env["agent"] and "X11; Linux x86_64" in env["agent"]
        assert f"Chrome/{major}." in env["agent"] and f"Chromium/{major}" in env["brands"]

        seen = await session.observe(screenshot=True)
        assert seen.url == site.url + "/" and seen.html is None
        assert seen.screenshot is not None
        assert Image.open(io.BytesIO(seen.screenshot)).size == (1280, 800)
        assert "Mantis vision test" in (seen.text or "")
        assert all(e.role == "text" and e.ref == "" and e.box for e in seen.elements)
        assert "pineapple" not in (seen.text or "")

        button = ground_on_screen("Show message", seen, "click")
        await session.act(Action("click", point=button.point), 10)
        revealed = await session.observe()
        assert "The secret word is pineapple" in (revealed.text or "")

        label = ground_on_screen("Your name", revealed, "fill")  # the message moved it down
        await session.act(Action("fill", point=label.point, text="Ada Lovelace"), 10)
        await site.report("typed", lambda r: r["value"] == "Ada Lovelace")
        await session.act(Action("fill", point=label.point, text="Zoë Ünïcode"), 10)
        await site.report("typed", lambda r: r["value"] == "Zoë Ünïcode")
        await session.act(Action("press", key="Enter"), 10)
        await site.report("enter", lambda r: r["value"] == "Zoë Ünïcode")

        menu = ground_on_screen("Colour", await session.observe(), "select")  # its label focuses the list
        await session.act(Action("select", point=menu.point, text="Blue"), 10)
        await site.report("colour", lambda r: r["value"] == "Blue")

        with pytest.raises(PlaneError, match="needs a point"):
            await session.act(Action("click"), 5)

        await session.act(Action("scroll", amount=3), 10)
        await site.report("scroll", lambda r: r["y"] >= 1700)  # 3 steps of 600 px
        assert "Deep section reached" in ((await session.observe()).text or "")
        await session.act(Action("scroll", amount=-1), 10)  # up, as an agent model may ask
        await site.report("scroll", lambda r: 1000 <= r["y"] <= 1300)

        await session.navigate(site.url + "/?top", 15)  # not "/": a reload would keep the scroll position
        link = ground_on_screen("Go to second page", await session.observe(), "click")
        await session.act(Action("click", point=link.point), 10)
        assert "Second page here" in ((await session.observe()).text or "")
        assert await session.current_url() == site.url + "/second"  # the real URL, after a click too

        await session.go_back(10)
        back = await session.observe()
        assert "Show message" in (back.text or "") and back.url == site.url + "/?top"

        # Typed before, so the address bar would complete "/second" to it; Enter must open "/second".
        await session.navigate(site.url + "/second?from=typing", 15)
        await session.navigate(site.url + "/second", 15)
        assert site.paths[-1] == "/second"

        await session.screenshot(tmp_path / "shot.png")  # written in the background: whole by close()
        frame = Image.open(io.BytesIO(await session.frame()))  # the live viewer's: address bar included
        assert frame.format == "JPEG" and frame.width == 1280 and frame.height > 800
    finally:
        recordings = await session.close()
        await plane.shutdown()

    assert Image.open(tmp_path / "shot.png").size == (1280, 800)
    assert [r.path for r in recordings] == [tmp_path / ".recording_source.mp4"]
    assert recordings[0].origin[0] == 0 and recordings[0].origin[1] > 0  # the toolbar is above the page
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,r_frame_rate:format=duration",
            "-of",
            "json",
            str(recordings[0].path),
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    info = json.loads(probe.stdout)
    assert info["streams"][0]["codec_name"] == "h264" and float(info["format"]["duration"]) > 1
    assert info["streams"][0]["r_frame_rate"] == "5/1"  # SessionConfig's video_fps
    assert _leftovers(display, tmp_path) == []
    assert not Path(f"/tmp/.X{display[1:]}-lock").exists()
    assert await session.close() == recordings  # closing twice is harmless


@needs_display
async def test_a_navigation_ends_on_the_new_page_when_its_server_is_slow(site: _Site, tmp_path: Path) -> None:
    """The old page stays on screen until the new one commits; a navigation that settled on it would let
    the next step read the page before."""
    fence = Fence(FencePolicy(allow_private=True))  # the test's page is on loopback
    session = await ComputerPlane().open(SessionConfig(run_dir=tmp_path, fence=fence))
    try:
        await session.navigate(site.url + "/", 15)
        await session.navigate(site.url + "/slow", 30)
        seen = await session.observe()
        assert seen.url == site.url + "/slow" and "Slow page here" in (seen.text or "")
        await session.go_back(30)
        back = await session.observe()
        assert back.url == site.url + "/" and "Mantis vision test" in (back.text or "")
        await session.navigate(site.url + "/#deep", 30)  # within the document: it commits no new one
        assert "Deep section reached" in ((await session.observe()).text or "")
    finally:
        await session.close()


def _observation(*phrases: tuple[str, tuple[float, float, float, float]]) -> Observation:
    return Observation(url="", elements=[Element(ref="", role="text", name=n, box=b) for n, b in phrases])


def test_grounding_prefers_exact_then_containment_then_fuzzy() -> None:
    seen = _observation(
        ("Add to cart now", (0, 0, 150, 12)),
        ("Add to cart", (0, 100, 110, 12)),
        ("Subsoribe to newsletter", (0, 200, 230, 12)),
    )
    assert ground_on_screen("add to CART", seen, "click").point == (55, 106)
    assert ground_on_screen("Subscribe to newsletter", seen, "click").point == (115, 206)
    partial = ground_on_screen("cart now", seen, "click")
    assert partial.point is not None and 90 < partial.point[0] < 150 and partial.point[1] == 6


def test_grounding_joins_labels_that_ocr_split_or_wrapped() -> None:
    split = _observation(("Customer", (100, 10, 80, 12)), ("service", (190, 10, 60, 12)))
    assert ground_on_screen("Customer service", split, "click").point == (140, 16)
    wrapped = _observation(("Noise cancelling, 30 h battery", (20, 50, 210, 14)), ("life.", (20, 68, 30, 14)))
    point = ground_on_screen("noise cancelling 30 h battery life", wrapped, "click").point
    assert point is not None and point[1] == 57
    squashed = _observation(("Customerservice Signin", (0, 0, 220, 12)))
    signin = ground_on_screen("Sign in", squashed, "click").point
    assert signin is not None and signin[0] > 150


def test_grounding_ignores_accents_and_refuses_part_words() -> None:
    seen = _observation(("Zoé Unicode", (0, 0, 100, 12)), ("Email address", (0, 50, 120, 12)))
    assert ground_on_screen("Zoë Ünïcode", seen, "click").point == (50, 6)
    with pytest.raises(GroundingError, match=r"'Add'.*nearest are 'Email address'"):
        ground_on_screen("Add", seen, "click")
    with pytest.raises(GroundingError, match="no text was read"):
        ground_on_screen("Anything", _observation(), "fill")
    assert normalise("  Sign-in   NOW! ") == "sign in now"


def test_tesseract_words_become_phrases_in_reading_order() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t10\t10\t40\t20\t95\tDeals",
        "5\t1\t1\t1\t1\t2\t56\t10\t20\t20\t95\tof",
        "5\t1\t1\t1\t1\t3\t200\t10\t60\t20\t95\tCustomer",
        "5\t1\t1\t1\t1\t4\t270\t10\t30\t20\t20\tnoise",
        "5\t1\t1\t1\t1\t5\t310\t10\t8\t20\t70\t|",
        "5\t1\t2\t1\t1\t1\t10\t60\t50\t20\t92\t[Apply",
    ]
    words = parse_tsv("\n".join([header, *rows]), 0)
    assert [w.text for w in words] == ["Deals", "of", "Customer", "Apply"]
    ordered = rows_of(phrases(words))
    assert [[" ".join(w.text for w in p) for p in row] for row in ordered] == [
        ["Deals of", "Customer"],
        ["Apply"],
    ]


def test_key_names_and_urls_become_what_xdotool_types() -> None:
    assert keysyms("Enter") == "Return"
    assert keysyms("Control+Shift+Tab") == "ctrl+shift+Tab"
    assert keysyms("ctrl++") == "ctrl+plus"
    assert keysyms("ArrowDown") == "Down"
    assert keysyms("alt+Left") == "alt+Left"
    with pytest.raises(PlaneError):
        keysyms("hyper+x")
    assert ascii_url("https://bücher.de/straße?q=a b") == "https://xn--bcher-kva.de/stra%C3%9Fe?q=a%20b"

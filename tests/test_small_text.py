"""Small text on both planes: a 13-px "Accept" on a dark cookie banner is found and clicked, and a 12-px
light-on-dark "Got it" on a light page is seen, by the accessibility tree on the DOM plane and by OCR of
the pixels on the computer plane."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw
from tests.conftest import Server

from mantis.brains.base import GroundingError
from mantis.brains.offline.ocr_ground import ground_on_screen
from mantis.planes.base import Element, Observation
from mantis.planes.ocr import SCALE, Word, without_icons


@pytest.mark.parametrize("plane", ["browser_use_plane", "computer_plane"])
def test_a_small_accept_button_on_a_dark_banner_is_clicked(server: Server, site: str, plane: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": f"{site}/pages/dark_banner.html"}},
        {"type": "detect_visible", "intent": "Accept", "out_var": "banner"},
        {"type": "detect_visible", "intent": "Got it", "out_var": "pill"},
        {"type": "click", "params": {"label": "Accept"}},
        {"type": "detect_visible", "intent": "We keep one cookie", "out_var": "still"},
    ]
    body = server.predict({"micro": plan, "compute_backend": plane, "detached": False}).json()
    assert body["status"] == "succeeded", body["summary"]
    assert body["result"]["state_vars"] == {"banner": True, "pill": True, "still": False}


@pytest.mark.parametrize("plane", ["browser_use_plane", "computer_plane"])
def test_a_small_got_it_on_a_dark_cookie_banner_is_dismissed_by_a_branch(
    server: Server, site: str, plane: str
) -> None:
    # 12-px light grey on a dark button with a border, inside a dark banner: what tesseract's one global
    # threshold loses, and the plan only clicks it when it is seen.
    plan = [
        {"type": "navigate", "params": {"url": f"{site}/pages/cookie_got_it.html"}},
        {"type": "detect_visible", "intent": "Got it", "out_var": "banner"},
        {"type": "if_else", "condition_var": "banner", "then_target": 3, "else_target": 4},
        {"type": "click", "params": {"label": "Got it"}},
        {"type": "detect_visible", "intent": "uses one cookie", "out_var": "still"},
    ]
    body = server.predict({"micro": plan, "compute_backend": plane, "detached": False}).json()
    assert body["status"] == "succeeded", body["summary"]
    assert body["result"]["state_vars"] == {"banner": True, "still": False}
    assert [s["message"] for s in body["result"]["steps"] if s["status"] == "branch"] == ["banner=True→3"]


@pytest.mark.parametrize(
    ("phrases", "target"),
    [
        (["Boatsfor salenearyou"], "Boats for sale near you"),  # PP-OCR and small text join words
        (["Ac", "cept"], "Accept"),  # a word split into two phrases
        (["Gotit"], "Got it"),
        (["Sign in"], "Signin"),
        (["Boatsfor salenearyou"], "near you"),  # a target that starts inside a joined word
        (["Allow all cookiesGot it"], "Got it"),
        (["Acc ept"], "Accept"),  # a word split inside one phrase
    ],
)
def test_grounding_tolerates_joined_and_split_words(phrases: list[str], target: str) -> None:
    boxes = [(100.0 + 40 * i, 50.0, 35.0, 12.0) for i in range(len(phrases))]
    elements = [Element(ref="", role="text", name=p, box=b) for p, b in zip(phrases, boxes, strict=True)]
    found = ground_on_screen(target, Observation(url="http://127.0.0.1/", elements=elements), "click")
    assert found.point is not None
    x, y = found.point
    assert boxes[0][0] <= x <= boxes[-1][0] + boxes[-1][2] and 50 <= y <= 62


@pytest.mark.parametrize(("phrase", "target"), [("Customer address", "add"), ("Boatsforsale", "sale")])
def test_a_one_word_target_is_never_found_inside_another_word(phrase: str, target: str) -> None:
    elements = [Element(ref="", role="text", name=phrase, box=(100.0, 50.0, 120.0, 12.0))]
    with pytest.raises(GroundingError):
        ground_on_screen(target, Observation(url="http://127.0.0.1/", elements=elements), "click")


def _line(*glyphs: tuple[int, int, int]) -> Image.Image:
    """A white strip with glyphs drawn as filled boxes: (left, right, shade)."""
    image = Image.new("L", (200, 20), 255)
    draw = ImageDraw.Draw(image)
    for left, right, shade in glyphs:
        draw.rectangle((left, 5, right - 1, 14), fill=shade)
    return image


def _word(text: str, left: int, right: int, line: int = 1) -> Word:
    return Word(text, left * SCALE, 5 * SCALE, (right - left) * SCALE, 10 * SCALE, (0, 0, 1, 1, line))


def test_an_icon_in_another_shade_is_not_read_into_the_text_beside_it() -> None:
    # A grey arrow (10 px) before black letters, as a ranked list's vote arrow sits before each title.
    strip = _line((10, 20, 154), (23, 28, 0), (30, 35, 0), (37, 42, 0), (60, 65, 0), (67, 72, 0))
    words = [
        _word("«The", 10, 42),
        _word("Reverse", 10, 42, 2),
        _word("a", 10, 20, 3),
        _word("Show", 23, 42, 3),
    ]
    kept = without_icons(words, strip)
    assert [w.text for w in kept] == [
        "The",
        "Reverse",
        "Show",
    ]  # the glyph OCR wrote down goes, the rest stays
    assert all(w.left == 23 * SCALE for w in kept)  # each box starts at its first letter
    # Letters of one ink stay whole, thin ones too (the anti-aliased stroke of an "i" is lighter).
    same = _line((10, 15, 0), (17, 22, 0), (30, 31, 110), (33, 38, 0))
    words = [_word("Tab", 10, 22), _word("in", 30, 38)]
    assert without_icons(words, same) == words

"""Small text on both planes: a 13-px "Accept" on a dark cookie banner is found and clicked, and a 12-px
light-on-dark "Got it" on a light page is seen, by the accessibility tree on the DOM plane and by OCR of
the pixels on the computer plane."""

from __future__ import annotations

import pytest
from tests.conftest import Server

from mantis.brains.offline.ocr_ground import ground_on_screen
from mantis.planes.base import Element, Observation


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


@pytest.mark.parametrize(
    ("phrases", "target"),
    [
        (["Boatsfor salenearyou"], "Boats for sale near you"),  # PP-OCR and small text join words
        (["Ac", "cept"], "Accept"),  # a word split into two phrases
        (["Gotit"], "Got it"),
        (["Sign in"], "Signin"),
    ],
)
def test_grounding_tolerates_joined_and_split_words(phrases: list[str], target: str) -> None:
    boxes = [(100.0 + 40 * i, 50.0, 35.0, 12.0) for i in range(len(phrases))]
    elements = [Element(ref="", role="text", name=p, box=b) for p, b in zip(phrases, boxes, strict=True)]
    found = ground_on_screen(target, Observation(url="http://127.0.0.1/", elements=elements), "click")
    assert found.point is not None
    x, y = found.point
    assert boxes[0][0] <= x <= boxes[-1][0] + boxes[-1][2] and 50 <= y <= 62

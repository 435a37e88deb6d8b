"""Small text on both planes: a 13-px "Accept" on a dark cookie banner is found and clicked, and a 12-px
light-on-dark "Got it" on a light page is seen, by the accessibility tree on the DOM plane and by OCR of
the pixels on the computer plane."""

from __future__ import annotations

import pytest
from tests.conftest import Server


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

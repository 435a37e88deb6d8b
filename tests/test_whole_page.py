"""The computer plane reads the whole page for an extraction, not only the screen it shows: a list that
runs three screens down under a sticky header, and an article whose headline is below a screen-high
picture, come back as the DOM plane reads them. Also the pixel registration that tells how far a scroll
moved the page, on images made here."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw
from tests.conftest import Server

from mantis.planes.pageread import distance

MOORINGS = [
    "Kestrel",
    "Marram",
    "Old Tom",
    "Seaholly",
    "Whimbrel",
    "Driftwood",
    "Samphire",
    "Curlew",
    "Lugworm",
    "Bladderwrack",
    "Oystercatcher",
    "Sandpiper",
    "Turnstone",
    "Dunlin",
    "Sanderling",
    "Shearwater",
    "Guillemot",
    "Razorbill",
    "Fulmar",
    "Kittiwake",
    "Cormorant",
    "Gannet",
]


def _extract(server: Server, url: str, spec: dict[str, object], plane: str) -> list[dict[str, object]]:
    plan = [
        {"type": "navigate", "params": {"url": url}},
        # Reading a page of screens costs OCR seconds a screen: time for all of them on a loaded machine.
        {"type": "extract_data", "intent": "Extract them", "extract": spec, "timeout_s": 600},
    ]
    body = server.predict({"micro": plan, "compute_backend": plane, "detached": False}).json()
    assert body["status"] == "succeeded", body["summary"]
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in body["result"]["rows"]]


@pytest.mark.parametrize("plane", ["browser_use_plane", "computer_plane"])
def test_a_list_three_screens_long_is_read_to_its_end(server: Server, site: str, plane: str) -> None:
    spec = {
        "entity_name": "mooring",
        "max_items": 50,
        "fields": [
            {"name": "name"},
            {"name": "berth", "required": False},
            {"name": "price", "type": "int", "required": False},
        ],
    }
    rows = _extract(server, f"{site}/pages/moorings.html", spec, plane)
    assert [r["name"] for r in rows] == MOORINGS  # none twice (screens overlap), none lost, in order
    berths = [f"{'ABCD'[i % 4]}-{10 + i}" for i in range(len(MOORINGS))]
    assert [str(r["berth"]).removeprefix("Berth ") for r in rows] == berths  # each with its own record
    assert [r["price"] for r in rows] == [180 + 35 * ((i * 5) % 13) for i in range(len(MOORINGS))]


@pytest.mark.parametrize("plane", ["browser_use_plane", "computer_plane"])
def test_an_article_below_the_first_screen_is_read(server: Server, site: str, plane: str) -> None:
    spec = {
        "entity_name": "article",
        "fields": [
            {"name": "headline"},
            {"name": "author", "required": False},
            {"name": "published_date", "type": "date", "required": False},
        ],
    }
    [row] = _extract(server, f"{site}/pages/long_article.html", spec, plane)
    assert row["headline"] == "Night ferry returns to the island after nine winters"
    assert str(row["author"]).removeprefix("By ") == "Ana Ruiz"  # with its label or without
    assert row["published_date"] == "2025-03-12"


def _screen(top: int, fixed: bool = False) -> Image.Image:
    """An 800-px window onto a page of uneven stripes, scrolled down by `top`; with a fixed header."""
    image = Image.new("L", (400, 800), 255)
    draw = ImageDraw.Draw(image)
    for y in range(0, 3000, 37):
        if top <= y < top + 800:
            draw.rectangle((20 + y % 90, y - top, 200 + y % 150, y - top + 9), fill=(y * 7) % 200)
    if fixed:
        draw.rectangle((0, 0, 400, 60), fill=30)
        draw.rectangle((30, 20, 180, 40), fill=220)
    return image


@pytest.mark.parametrize("fixed", [False, True])
def test_how_far_a_scroll_moved_the_page_is_read_from_its_pixels(fixed: bool) -> None:
    assert distance(_screen(0, fixed), _screen(600, fixed)) == 600
    assert distance(_screen(600, fixed), _screen(913, fixed)) == 313  # the last, shorter scroll
    assert distance(_screen(913, fixed), _screen(913, fixed)) == 0  # the page's end: nothing moved
    assert distance(_screen(0, fixed), Image.new("L", (400, 800), 255)) == 0  # nothing lines up

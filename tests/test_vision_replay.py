"""Learned actions on the computer plane (mantis.replay.vision) on real screens: pages rendered by Chromium,
read by tesseract, each spot learned on one render and recalled on another. What the page changed says
whether the spot may still be acted on from its record."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from mantis.brains.base import Grounding
from mantis.planes.base import Observation
from mantis.planes.chromium import BASE_FLAGS, CHROMIUM
from mantis.planes.ocr import read_text
from mantis.replay import vision
from mantis.replay.vision import SCREEN, Spot

VIEWPORT = {"width": 800, "height": 500}
BUTTON = (
    '<button style="padding:6px 14px;background:{ground};color:white;border:0;border-radius:4px;'
    'font-size:16px">{label}</button>'
)
SAVE = BUTTON.format(ground="#2a6df4", label="Save order")
CANCEL = '<button style="padding:6px 14px;font-size:16px">Cancel</button>'
GEAR = (
    '<svg width="28" height="28" viewBox="0 0 28 28"><circle cx="14" cy="14" r="11" fill="none" '
    'stroke="#333" stroke-width="4"/><rect x="12" y="0" width="4" height="28" fill="#333"/></svg>'
)
BELL = (
    '<svg width="28" height="28" viewBox="0 0 28 28"><path d="M4 22 L24 22 L20 16 L20 9 Q14 2 8 9 L8 16 Z"'
    ' fill="#333"/></svg>'
)


def orders(buttons: str, banner: int = 0, left: float = 24) -> str:
    notice = f'<div style="height:{banner}px;background:#eee">Notice</div>' if banner else ""
    return (
        '<!doctype html><html><body style="margin:0;font-family:sans-serif;font-size:16px">'
        f'{notice}<div style="padding:24px;padding-left:{left}px"><h1>Orders</h1>'
        f"<p>Pick what to do with the order.</p>{buttons}</div></body></html>"
    )


def settings(icon: str, top: int = 200, left: int = 300) -> str:
    return (
        '<!doctype html><html><body style="margin:0;font-family:sans-serif"><h1 style="margin:24px">'
        f'Settings</h1><div style="position:absolute;top:{top}px;left:{left}px">{icon}</div></body></html>'
    )


def field(top: int = 120, label: str = "") -> str:
    """An empty field at a known place, with its label just above it if one is given."""
    above = f'<div style="position:absolute;left:100px;top:{top - 36}px">{label}</div>' if label else ""
    return (
        '<!doctype html><html><body style="margin:0;font-family:sans-serif;font-size:18px">'
        f'{above}<input style="position:absolute;left:100px;top:{top}px;width:300px;height:40px;'
        'font-size:20px"></body></html>'
    )


PAGES = {
    "learned": orders(f"{SAVE} {CANCEL}"),
    "banner": orders(f"{SAVE} {CANCEL}", banner=40),  # everything 40 px lower
    "half pixel": orders(f"{SAVE} {CANCEL}", left=24.5),  # the text drawn at a fraction of a pixel
    "moved": orders(f"{CANCEL} {SAVE}"),  # the same button, now after Cancel
    "new look": orders(
        '<a style="display:inline-block;padding:8px 18px;background:#1e8e3e;color:white;'
        f'text-decoration:none;font-size:16px">Save order</a> {CANCEL}'
    ),
    "darker": orders(f"{BUTTON.format(ground='#2460d8', label='Save order')} {CANCEL}"),
    "relabelled": orders(f"{BUTTON.format(ground='#2a6df4', label='Save draft')} {CANCEL}"),
    "gear": settings(GEAR),
    "gear shifted": settings(GEAR, top=220, left=310),
    "bell": settings(BELL),
    "gear far": settings(GEAR, top=300),
    "field": field(),
    "field gone": field(top=300),
    "labelled field": field(label="Your name"),
    "labelled field lower": field(top=150, label="Your name"),
    "labelled field gone": field(top=300, label="Your name"),
}


@pytest.fixture(scope="module")
def screens() -> Iterator[dict[str, Observation]]:
    """Every page rendered once and read by OCR, as the computer plane observes a page."""
    shots: dict[str, bytes] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(BASE_FLAGS))
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        for name, html in PAGES.items():
            page.set_content(html)
            shots[name] = page.screenshot()
        browser.close()
    yield {name: asyncio.run(_observed(png)) for name, png in shots.items()}


async def _observed(png: bytes) -> Observation:
    found = await read_text(Image.open(io.BytesIO(png)).convert("RGB"), dict(os.environ))
    return Observation(url="http://127.0.0.1/", elements=found.elements, text=found.text, screenshot=png)


def centre_of(observation: Observation, text: str) -> tuple[int, int]:
    [box] = [e.box for e in observation.elements if e.name == text and e.box is not None]
    return round(box[0] + box[2] / 2), round(box[1] + box[3] / 2)


@pytest.fixture(scope="module")
def save(screens: dict[str, Observation]) -> Spot:
    spot = vision.learn(screens["learned"], centre_of(screens["learned"], "Save order"))
    assert spot is not None and spot.text == "Save order"
    return spot


def test_the_same_screen_gives_back_the_learned_point(screens: dict[str, Observation], save: Spot) -> None:
    assert (
        vision.recall(save, screens["learned"]) == save.point == centre_of(screens["learned"], "Save order")
    )


@pytest.mark.parametrize(("page", "shift"), [("banner", (0, 40)), ("half pixel", (0, 0))])
def test_a_small_shift_is_followed(
    screens: dict[str, Observation], save: Spot, page: str, shift: tuple[int, int]
) -> None:
    found = vision.recall(save, screens[page])
    assert found is not None
    assert abs(found[0] - save.point[0] - shift[0]) <= 1 and found[1] - save.point[1] == shift[1]
    assert found == pytest.approx(centre_of(screens[page], "Save order"), abs=1)


@pytest.mark.parametrize("page", ["moved", "new look", "darker", "relabelled"])
def test_a_changed_target_goes_back_to_the_model(
    screens: dict[str, Observation], save: Spot, page: str
) -> None:
    """Moved past a line or two, restyled (even a shade), or relabelled: not the spot that was learned."""
    assert vision.recall(save, screens[page]) is None


def test_a_textless_target_is_checked_where_it_was(screens: dict[str, Observation]) -> None:
    spot = vision.learn(screens["gear"], (314, 214))
    assert spot is not None and spot.text == ""
    assert vision.recall(spot, screens["gear"]) == (314, 214)
    assert vision.recall(spot, screens["gear shifted"]) is None  # moved: the model finds it again
    assert vision.recall(spot, screens["bell"]) is None


def test_an_empty_field_is_learned_by_its_borders(screens: dict[str, Observation]) -> None:
    """Its middle is plain white, like the page around it: the patch grows until the field's edges show,
    so the spot is not found on a page where the field is gone."""
    spot = vision.learn(screens["field"], (252, 142))
    assert spot is not None and spot.text == "" and spot.anchor[2] > vision.PATCH_SIDES_PX[0]
    assert vision.recall(spot, screens["field"]) == (252, 142)
    assert vision.recall(spot, screens["field gone"]) is None


def test_a_field_moves_with_its_label(screens: dict[str, Observation]) -> None:
    spot = vision.learn(screens["labelled field"], (252, 142))
    assert spot is not None and spot.text == "Your name"
    assert vision.recall(spot, screens["labelled field lower"]) == (252, 172)
    assert vision.recall(spot, screens["labelled field gone"]) is None


def test_a_plain_stretch_of_page_is_not_learned(screens: dict[str, Observation]) -> None:
    assert vision.learn(screens["field"], (600, 420)) is None


def test_a_point_beside_its_label_is_anchored_to_it(screens: dict[str, Observation]) -> None:
    """Inside the button's padding, off the label's glyphs: the label still anchors the spot."""
    x, y = centre_of(screens["learned"], "Save order")
    spot = vision.learn(screens["learned"], (x, y + 9))
    assert spot is not None and spot.text == "Save order"
    assert vision.recall(spot, screens["banner"]) == (x, y + 49)


def test_a_spot_survives_its_record(screens: dict[str, Observation], save: Spot) -> None:
    again = Spot.from_json(save.to_json())
    assert again == save
    assert vision.recall(again, screens["banner"]) == (save.point[0], save.point[1] + 40)


@pytest.mark.parametrize(
    "broken",
    [
        None,
        {},
        {"text": "", "anchor": [0, 0, 1, 1], "offset": [0, 0], "looks": [], "screen": [800, 500]},
        {"looks": [{"region": [0, 0, 2, 2], "width": 2, "height": 2, "rgb": "00"}]},
        "a string",
    ],
)
def test_a_record_of_another_shape_is_never_acted_on(broken: object) -> None:
    assert Spot.from_json(broken) is None


def test_another_screen_size_or_no_screenshot_is_no_recall(
    screens: dict[str, Observation], save: Spot
) -> None:
    learned = screens["learned"]
    out = io.BytesIO()
    Image.open(io.BytesIO(learned.screenshot or b"")).crop((0, 0, 700, 500)).save(out, "PNG")
    smaller = Observation(url=learned.url, elements=learned.elements, screenshot=out.getvalue())
    assert vision.recall(save, smaller) is None
    bare = Observation(url=learned.url, elements=learned.elements)
    assert vision.recall(save, bare) is None and vision.learn(bare, save.point) is None


async def test_the_learner_recalls_only_its_own_steps_record(screens: dict[str, Observation]) -> None:
    learned = screens["learned"]
    point = centre_of(learned, "Save order")
    record = await SCREEN.learn("Save order", "click", Grounding(point=point), learned)
    assert record is not None
    assert await SCREEN.recall(record, "Save order", "click", screens["banner"]) == Grounding(
        point=(point[0], point[1] + 40)
    )
    assert await SCREEN.recall(record, "Cancel", "click", learned) is None  # the inputs changed the target
    assert await SCREEN.recall(record, "Save order", "hover", learned) is None
    assert await SCREEN.recall({**record, "format": 0}, "Save order", "click", learned) is None
    assert await SCREEN.learn("Save order", "click", Grounding(), learned) is None  # no point to learn

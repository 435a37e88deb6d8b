"""The offline decomposer: each sentence of the controlled English becomes exactly the expected steps, and
anything else is refused with the sentence quoted and the accepted forms listed."""

from __future__ import annotations

from typing import Any

import pytest

from mantis.brains.offline.decompose import DecomposeError, decompose
from mantis.plans.models import ExtractField, ExtractSpec, FieldType, Step
from mantis.steps import make_step

MARKETPLACE = (
    "Go to a marketplace listings site, filter to private sellers above $35,000 in Florida, "
    "extract listing details for the first 3 listings."
)


def dumped(steps: list[Step]) -> list[dict[str, Any]]:
    return [step.model_dump() for step in steps]


def assert_plan(text: str, *expected: Step) -> None:
    assert dumped(decompose(text)) == dumped(list(expected))


@pytest.mark.parametrize(
    ("text", "step"),
    [
        (
            "go to https://example.com/a?b=1",
            make_step(type="navigate", params={"url": "https://example.com/a?b=1"}),
        ),
        ("Open /demo/news/", make_step(type="navigate", params={"url": "/demo/news/"})),
        (
            "navigate to 'http://localhost:8000/x'",
            make_step(type="navigate", params={"url": "http://localhost:8000/x"}),
        ),
        ("Visit example.org/jobs", make_step(type="navigate", params={"url": "https://example.org/jobs"})),
        ("Click Accept", make_step(type="click", params={"label": "Accept"})),
        ("click on the 'Apply filters' button", make_step(type="click", params={"label": "Apply filters"})),
        ("Tap the Show phone link", make_step(type="click", params={"label": "Show phone"})),
        ("Press the Sign in button", make_step(type="click", params={"label": "Sign in"})),
        ("Submit the search form", make_step(type="submit", params={"label": "search"})),
        ("submit 'Send message'", make_step(type="submit", params={"label": "Send message"})),
        ("Type 'boats' into Search", make_step(type="fill", params={"label": "Search", "text": "boats"})),
        (
            'fill Email with "ada@x.org"',
            make_step(type="fill", params={"label": "Email", "text": "ada@x.org"}),
        ),
        ("Enter {city} in the City box", make_step(type="fill", params={"label": "City", "text": "{city}"})),
        ("type 'sign in' into Notes", make_step(type="fill", params={"label": "Notes", "text": "sign in"})),
        (
            "Select FL in the State dropdown",
            make_step(type="select", params={"label": "State", "option": "FL"}),
        ),
        ("choose 'Low: 1' from Sort", make_step(type="select", params={"label": "Sort", "option": "Low: 1"})),
        ("press Enter", make_step(type="press", params={"key": "Enter"})),
        ("Press the Escape key", make_step(type="press", params={"key": "Escape"})),
        ("press ctrl+a", make_step(type="press", params={"key": "Control+a"})),
        ("press arrow down", make_step(type="press", params={"key": "ArrowDown"})),
        ("scroll down", make_step(type="scroll", budget=1)),
        ("Scroll down 3 times", make_step(type="scroll", budget=3)),
        ("scroll down twice", make_step(type="scroll", budget=2)),
        ("wait 2 seconds", make_step(type="wait", params={"seconds": 2})),
        ("Wait 1.5 s", make_step(type="wait", params={"seconds": 1.5})),
        ("wait 250 ms", make_step(type="wait", params={"seconds": 0.25})),
        ("Go back", make_step(type="go_back")),
    ],
)
def test_each_form(text: str, step: Step) -> None:
    assert_plan(text, step.model_copy(update={"intent": text}))


Fields = list[tuple[str, FieldType]]


def extract_step(intent: str, fields: Fields, max_items: int | None, entity: str = "items") -> Step:
    spec = ExtractSpec(
        schema_name=entity,
        entity_name=entity[:-3] + "y" if entity.endswith("ies") else entity[:-1],
        fields=[ExtractField(name=n, type=t, required=i == 0) for i, (n, t) in enumerate(fields)],
        max_items=max_items,
    )
    return make_step(type="extract_data", intent=intent, extract=spec)


@pytest.mark.parametrize(
    ("text", "fields", "max_items", "entity"),
    [
        (
            "extract title, story URL and comment count of the first 5 items",
            [("title", "str"), ("story_url", "str"), ("comment_count", "int")],
            5,
            "items",
        ),
        (
            "Extract rank, title, points, age from each of the first 3 stories",
            [("rank", "int"), ("title", "str"), ("points", "int"), ("age", "str")],
            3,
            "stories",
        ),
        (
            "extract the title, price and phone number",
            [("title", "str"), ("price", "int"), ("phone_number", "str")],
            None,
            "items",
        ),
        (
            "Extract the top 2 job listings from the board including title, number of applicants, and year",
            [("title", "str"), ("number_of_applicants", "int"), ("year", "int")],
            2,
            "job_listings",
        ),
        ("extract name and email from the page", [("name", "str"), ("email", "str")], None, "items"),
    ],
)
def test_extract_forms(text: str, fields: Fields, max_items: int | None, entity: str) -> None:
    assert_plan(text, extract_step(text, fields, max_items, entity))


def test_multi_sentence_text_splits_on_every_separator_but_not_inside_quotes() -> None:
    text = (
        "Go to https://shop.example.com/. Click Accept; type 'a. b; c' into Search, then press Enter\n"
        "scroll down 2 times and then wait 1 second. Then go back."
    )
    assert_plan(
        text,
        make_step(
            type="navigate",
            intent="Go to https://shop.example.com/",
            params={"url": "https://shop.example.com/"},
        ),
        make_step(type="click", intent="Click Accept", params={"label": "Accept"}),
        make_step(
            type="fill", intent="type 'a. b; c' into Search", params={"label": "Search", "text": "a. b; c"}
        ),
        make_step(type="press", intent="press Enter", params={"key": "Enter"}),
        make_step(type="scroll", intent="scroll down 2 times", budget=2),
        make_step(type="wait", intent="wait 1 second", params={"seconds": 1}),
        make_step(type="go_back", intent="go back"),
    )


def test_conditional_click_jumps_past_the_action() -> None:
    text = "Open /demo/market/. If the cookie banner is visible, click 'Accept all'. Extract title and price"
    assert_plan(
        text,
        make_step(type="navigate", intent="Open /demo/market/", params={"url": "/demo/market/"}),
        make_step(type="detect_visible", intent="cookie banner visible?", out_var="cookie_banner_visible"),
        make_step(
            type="if_else",
            intent="If cookie banner is visible",
            condition_var="cookie_banner_visible",
            then_target=3,
            else_target=4,
        ),
        make_step(type="click", intent="click 'Accept all'", params={"label": "Accept all"}),
        extract_step("Extract title and price", [("title", "str"), ("price", "int")], None),
    )


def test_conditional_at_the_end_lands_on_a_no_op_and_vars_stay_unique() -> None:
    text = (
        "if Show phone button is visible then press the Show phone button; "
        "if Show phone button is shown, go back"
    )
    steps = decompose(text)
    assert [s.type for s in steps] == [
        "detect_visible",
        "if_else",
        "click",
        "detect_visible",
        "if_else",
        "go_back",
        "wait",
    ]
    assert (steps[0].intent, steps[0].out_var) == ("Show phone button visible?", "show_phone_button_visible")
    assert steps[3].out_var == "show_phone_button_visible_2" == steps[4].condition_var
    assert (steps[1].then_target, steps[1].else_target) == (2, 3)
    assert (steps[4].then_target, steps[4].else_target) == (5, 6)
    assert steps[6].params.model_dump() == {"seconds": 0}
    for step in steps:
        if step.type == "if_else":
            assert 0 <= step.else_target < len(steps)


@pytest.mark.parametrize(
    ("text", "quoted", "reason"),
    [
        (
            "Find me the cheapest flight to Paris next week",
            "Find me the cheapest flight to Paris next week",
            "not one of the accepted forms",
        ),
        (MARKETPLACE, "Go to a marketplace listings site", "needs a URL"),
        ("Open https://x.example/. Do not click titles.", "Do not click titles", "not one of the accepted"),
        ("scroll up", "scroll up", "not one of the accepted forms"),
        ("If the banner is visible, if the modal is visible, click OK", "If the banner", "not another 'if'"),
        ("extract title and title", "extract title and title", "duplicate field names: title"),
        ("click ''", "click ''", "does not name what to act on"),
        ("   ", "", "empty"),
    ],
)
def test_refusals_quote_the_sentence_and_list_the_forms(text: str, quoted: str, reason: str) -> None:
    with pytest.raises(DecomposeError) as raised:
        decompose(text)
    message = str(raised.value)
    assert reason in message
    assert quoted in message
    assert "Accepted sentences" in message and "go to URL" in message


def test_the_seed_marketplace_sentence_is_refused_for_its_missing_url() -> None:
    with pytest.raises(DecomposeError, match=r"'Go to' needs a URL.*cannot find a site from a description"):
        decompose(MARKETPLACE)

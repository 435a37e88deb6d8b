"""Offline grounding on real accessibility snapshots: Playwright renders local HTML in Chromium, the
snapshot is parsed, a target is grounded, and the grounded ref is acted on to prove it is the right one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from mantis.brains.base import GroundingError
from mantis.brains.offline.aria import parse_aria_snapshot, parse_aria_tree
from mantis.brains.offline.ground import detect_visible, ground, target_from_intent
from mantis.planes.base import Element, Observation

CHROMIUM = "/usr/lib/chromium/chromium"
pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="needs Debian's Chromium")

# Every click writes what was clicked into #out, so a test can tell which element a ref hit.
RECORD_CLICKS = """<p id="out">nothing</p><script>
for (const el of document.querySelectorAll('[data-id]')) el.addEventListener('click', e => {
  e.preventDefault(); document.getElementById('out').textContent = 'clicked ' + el.dataset.id;
});</script>"""

LOGIN = f"""<main>
<h1>Welcome back</h1>
<button data-id="google">Sign in with Google</button>
<form aria-label="Login"><label>Email <input type="email" data-id="email"></label>
<label>Password <input type="password"></label>
<button data-id="signin">Sign in</button></form>
<button disabled data-id="next-disabled">Next</button>
<a href="/next" data-id="next-link">Next page</a>
<h2>Subscribe</h2><button data-id="subscribe">Subscribe now</button>
<button data-id="quote">Say "hi" \\ now</button>
<a href="/x?a=1" data-id="phone-link">Show phone</a>
<button data-id="phone-button">Show phone</button>
</main>{RECORD_CLICKS}"""

FILTERS = f"""<h1>Filters</h1>
<label>State <select id="state"><option>FL</option><option selected>GA</option><option>TX</option>
</select></label>
<label>Minimum price <input type="number" id="price" value="100"></label>
<input type="search" aria-label="Search listings" id="search">
<label><input type="checkbox" checked data-id="private"> Private only</label>
<label><input type="radio" name="sort" checked> Newest</label>
<label><input type="radio" name="sort"> Cheapest</label>
<ul><li>First item</li><li data-id="second">Second item</li></ul>
<table><tr><th>Name</th><th>Price</th></tr><tr><td>Boat</td><td>$35,000</td></tr></table>
<div role="tablist"><button role="tab" aria-selected="true" data-id="tab1">Details</button>
<button role="tab" data-id="tab2">Seller</button></div>
<button data-id="apply">Apply filters</button>{RECORD_CLICKS}"""

COOKIE_DIALOG = """<header><nav><a href="/">Home</a><a href="/privacy">Privacy</a></nav></header>
<div role="dialog" aria-label="Cookie consent"><p>We use cookies to measure traffic.</p>
<button>Manage preferences</button><button>Accept all</button></div><h1>Listings</h1>"""

COOKIE_DIV = """<h1>News</h1><div class="banner"><div class="copy"><p>This site uses cookies.</p></div>
<div class="actions"><button>OK</button></div></div><p>Story text.</p>"""

NO_COOKIES = """<header><nav><a href="/">Home</a><a href="/privacy">Privacy policy</a></nav></header>
<h1>Listings</h1><p>Nothing to consent to.</p>
<footer><a href="/cookies">Cookie policy</a><button>Cookie settings</button><button>Subscribe</button>
</footer>"""

HAND_WRITTEN = """- generic [active] [ref=e1]:
  - dialog "Cookies" [ref=e2]:
    - paragraph [ref=e3]: We use cookies
    - button "Accept all" [ref=e4]
  - generic [ref=e6]:
      - text: Email
      - textbox "Email" [ref=e7]
    - combobox "State" [ref=e8]:
      - option "FL" [selected]
      - option "GA"
    - checkbox "Private only" [ref=e9]
    - button "Go" [disabled] [ref=e10]
    - link "Show phone" [ref=e11] [cursor=pointer]:
      - /url: /x?a=1"""


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """One tab for the module: each test loads its own HTML into it, which is far cheaper than a new tab."""
    opened = await browser.new_page()
    yield opened
    await opened.close()


async def load(page: Page, html: str) -> tuple[str, list[Element]]:
    await page.set_content(f"<!doctype html><html><body>{html}</body></html>")
    text = await page.aria_snapshot(mode="ai")
    return text, parse_aria_snapshot(text)


async def click_grounded(page: Page, elements: list[Element], target: str) -> str:
    """Grounds a click target, clicks its ref in the browser and returns what the page recorded."""
    grounding = ground(target, elements, "click")
    assert grounding.element is not None
    await page.locator(f"aria-ref={grounding.element.ref}").click()
    return await page.locator("#out").inner_text()


def by_name(elements: list[Element], name: str) -> Element:
    return next(e for e in elements if e.name == name)


# --- parsing ------------------------------------------------------------------------------------


async def test_parse_reads_roles_names_states_urls_and_options(page: Page) -> None:
    _, elements = await load(page, LOGIN + FILTERS)
    assert by_name(elements, "Sign in").role == "button"
    assert by_name(elements, 'Say "hi" \\ now').role == "button"
    assert by_name(elements, "Next").disabled is True
    assert by_name(elements, "Next page").url == "/next"
    assert [e.url for e in elements if e.name == "Show phone"] == ["/x?a=1", None]
    assert by_name(elements, "Welcome back").role == "heading"
    state = by_name(elements, "State")
    assert (state.role, state.options) == ("combobox", ("FL", "GA", "TX"))
    assert by_name(elements, "Private only").checked is True
    assert (by_name(elements, "Newest").checked, by_name(elements, "Cheapest").checked) == (True, False)
    assert by_name(elements, "Search listings").role == "searchbox"
    # A value typed into a field is not its name; a list item's text is.
    price = by_name(elements, "Minimum price")
    assert price.role == "spinbutton"
    assert not any(e.name == "100" for e in elements)
    assert by_name(elements, "Second item").role == "listitem"
    assert by_name(elements, "$35,000").role == "cell"
    assert all(e.ref for e in elements) and len({e.ref for e in elements}) == len(elements)


def test_parse_tolerates_quoting_escapes_and_unknown_lines() -> None:
    text = "\n".join(
        [
            "- generic [ref=e1]:",
            "  - 'link \"Price: low to high\" [ref=e2] [cursor=pointer]':",
            '    - /url: "/sort?by=price"',
            "  - paragraph [ref=e3]: \"Note: it's 'quoted' #1\"",
            '  - button "Tab\\there" [pressed] [ref=e4] [weird=thing]',
            '  - checkbox "Mixed" [checked=mixed] [ref=e5]',
            "  - 'heading \"Q&A: Owner''s #1\" [level=2] [ref=e6]'",
            "  not a list item",
            "  - button [ref=e7]:",
            "    - text: Save",
            '  - img "Boxed" [box=10,20,30,0] [ref=e8]',
        ]
    )
    elements = {e.ref: e for e in parse_aria_snapshot(text)}
    assert (elements["e2"].name, elements["e2"].url) == ("Price: low to high", "/sort?by=price")
    assert elements["e3"].name == "Note: it's 'quoted' #1"
    assert (elements["e4"].name, elements["e4"].checked) == ("Tab here", True)
    assert elements["e5"].checked is None
    assert (elements["e6"].role, elements["e6"].name) == ("heading", "Q&A: Owner's #1")
    assert elements["e7"].name == "Save"
    assert elements["e8"].box == (10.0, 20.0, 30.0, 0.0)


def test_parse_hand_written_sample_with_uneven_indentation() -> None:
    elements = parse_aria_snapshot(HAND_WRITTEN)
    assert [(e.ref, e.role, e.name) for e in elements] == [
        ("e1", "generic", ""),
        ("e2", "dialog", "Cookies"),
        ("e3", "paragraph", "We use cookies"),
        ("e4", "button", "Accept all"),
        ("e6", "generic", ""),
        ("e7", "textbox", "Email"),
        ("e8", "combobox", "State"),
        ("e9", "checkbox", "Private only"),
        ("e10", "button", "Go"),
        ("e11", "link", "Show phone"),
    ]
    assert by_name(elements, "State").options == ("FL", "GA")
    assert by_name(elements, "Go").disabled and by_name(elements, "Show phone").url == "/x?a=1"
    assert by_name(elements, "Private only").checked is False
    tree = parse_aria_tree(HAND_WRITTEN)
    assert [child.ref for child in tree[0].children] == ["e2", "e6"]


# --- grounding ----------------------------------------------------------------------------------


async def test_exact_beats_partial_and_clicks_the_right_element(page: Page) -> None:
    _, elements = await load(page, LOGIN)
    assert await click_grounded(page, elements, "Sign in") == "clicked signin"
    assert await click_grounded(page, elements, "sign-in with google") == "clicked google"
    assert await click_grounded(page, elements, "Sign in with Google button") == "clicked google"


async def test_disabled_elements_never_match(page: Page) -> None:
    _, elements = await load(page, LOGIN)
    assert await click_grounded(page, elements, "Next") == "clicked next-link"


async def test_role_hints_pick_between_equal_names(page: Page) -> None:
    _, elements = await load(page, LOGIN)
    assert await click_grounded(page, elements, "Show phone link") == "clicked phone-link"
    assert await click_grounded(page, elements, "Show phone button") == "clicked phone-button"
    assert await click_grounded(page, elements, "Show phone") == "clicked phone-link"  # document order


async def test_controls_beat_text_with_the_same_words(page: Page) -> None:
    _, elements = await load(page, LOGIN)
    assert await click_grounded(page, elements, "Subscribe") == "clicked subscribe"
    assert await click_grounded(page, elements, 'Say "hi" \\ now') == "clicked quote"


async def test_fill_picks_a_field_by_its_label(page: Page) -> None:
    _, elements = await load(page, LOGIN + FILTERS)
    email = ground("Email", elements, "fill").element
    assert email is not None and email.role == "textbox"
    await page.locator(f"aria-ref={email.ref}").fill("a@example.com")
    assert await page.locator("input[type=email]").input_value() == "a@example.com"
    price = ground("Minimum price field", elements, "fill").element
    assert price is not None and price.role == "spinbutton"
    search = ground("search", elements, "fill").element
    assert search is not None and search.role == "searchbox"
    # "Email" is also a word of no button, and a <select> is never typed into.
    with pytest.raises(GroundingError):
        ground("State", elements, "fill")


async def test_select_picks_a_combobox(page: Page) -> None:
    _, elements = await load(page, FILTERS)
    state = ground("the state dropdown", elements, "select").element
    assert state is not None and state.role == "combobox" and "FL" in state.options
    await page.locator(f"aria-ref={state.ref}").select_option("TX")
    assert await page.locator("#state").input_value() == "TX"


async def test_fuzzy_matches_and_fallback_to_plain_text(page: Page) -> None:
    _, elements = await load(page, FILTERS)
    assert await click_grounded(page, elements, "Apply filter") == "clicked apply"
    assert await click_grounded(page, elements, "Private only checkbox") == "clicked private"
    assert await click_grounded(page, elements, "Seller tab") == "clicked tab2"
    assert await click_grounded(page, elements, "Second item") == "clicked second"
    grounding = ground("Aply filtres", elements, "click")
    assert grounding.element is not None and grounding.element.name == "Apply filters"
    assert grounding.score < ground("Apply filters", elements, "click").score == 1.0


async def test_no_match_names_target_action_and_nearest(page: Page) -> None:
    _, elements = await load(page, LOGIN)
    with pytest.raises(GroundingError) as raised:
        ground("Log out", elements, "click")
    message = str(raised.value)
    assert "'Log out'" in message and "click" in message and "nearest:" in message
    assert message.count(";") == 3  # the target part, then three candidates
    with pytest.raises(GroundingError, match=r"button 'Next' \(disabled\)"):
        ground("Next", [by_name(elements, "Next")], "click")
    with pytest.raises(GroundingError, match="no named elements"):
        ground("Anything", [], "click")


def test_sign_in_never_matches_sign_up() -> None:
    elements = [Element("e1", "button", "Sign up"), Element("e2", "link", "Log out")]
    for target in ("Sign in", "Log in"):
        with pytest.raises(GroundingError):
            ground(target, elements, "click")


def test_invisible_boxes_are_skipped() -> None:
    elements = [
        Element("e1", "button", "Go", box=(0, 0, 0, 0)),
        Element("e2", "button", "Go", box=(5, 5, 9, 9)),
    ]
    assert ground("Go", elements, "click").element == elements[1]


@pytest.mark.parametrize(
    ("intent", "target"),
    [
        ("Click Accept", "Accept"),
        ("Click the 'Apply filters' button", "Apply filters"),
        ("Type into the Email field", "Email"),
        ("Press the Sign in button", "Sign in"),
        ("Type 'hello' into the Email field", "Email"),
        ('Fill the "First name" field with Ada', "First name"),
        ("Select GA from the State dropdown", "State"),
        ("Click on the Show phone link.", "Show phone"),
        ("Tap Next", "Next"),
        ("Accept all", "Accept all"),
    ],
)
def test_target_from_intent(intent: str, target: str) -> None:
    assert target_from_intent(intent) == target


# --- detect_visible -----------------------------------------------------------------------------


async def observe(page: Page, html: str) -> Observation:
    text, elements = await load(page, html)
    return Observation(url="about:blank", elements=elements, text=text)


async def test_cookie_banner_detection(page: Page) -> None:
    assert detect_visible("Cookie banner visible?", await observe(page, COOKIE_DIALOG))
    assert detect_visible("Is the consent popup shown", await observe(page, COOKIE_DIALOG))
    assert detect_visible("Cookie banner visible?", await observe(page, COOKIE_DIV))
    no_cookies = await observe(page, NO_COOKIES)
    assert not detect_visible("Cookie banner visible?", no_cookies)
    assert not detect_visible("Is a dialog visible?", no_cookies)
    hidden = await observe(page, COOKIE_DIALOG.replace('role="dialog"', 'role="dialog" hidden'))
    assert not detect_visible("Cookie banner visible?", hidden)


async def test_forms_buttons_and_text(page: Page) -> None:
    login = await observe(page, LOGIN)
    assert detect_visible("Is the login form shown", login)
    assert detect_visible("Show phone button visible?", login)
    assert detect_visible("Is 'Welcome back' displayed?", login)
    assert not detect_visible("Is the checkout button visible?", login)
    filters = await observe(page, FILTERS)
    assert not detect_visible("Is the login form shown", filters)
    assert not detect_visible("Show phone button visible?", filters)
    assert detect_visible("Is the Private only checkbox visible", filters)
    assert not detect_visible("Is it visible?", filters)


async def test_detection_from_elements_alone(page: Page) -> None:
    observation = await observe(page, LOGIN)
    observation.text = None
    assert detect_visible("Sign in button visible?", observation)
    assert not detect_visible("Cookie banner visible?", observation)


async def test_unnamed_login_form_is_found_by_its_fields(page: Page) -> None:
    html = "<div><h2>Log in</h2><input placeholder='Username'><button>Continue</button></div><p>Footer</p>"
    assert detect_visible("Is the login form visible?", await observe(page, html))
    assert not detect_visible("Is the signup form visible?", await observe(page, html))

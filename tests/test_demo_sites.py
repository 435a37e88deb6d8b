"""Behaviour of the demo sites served under /demo: marketplace, news and CRM."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mantis.demo import router
from mantis.demo.contacts import SessionStore
from mantis.demo.listings import all_listings
from mantis.demo.stories import all_stories

PRICE = re.compile(r"^\$(\d{1,3}(?:,\d{3})*)$")
PHONE = re.compile(r"^\(\d{3}\) 555-01\d{2}$")
ATTRIBUTE = re.compile(r"\[([\w-]+)(\^?=)?['\"]?(.*?)['\"]?\]")


class Reply(Protocol):
    """What the tests read from a test client response (httpx or httpx2, whichever Starlette uses)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


def make_app() -> FastAPI:
    app = FastAPI()
    app.include_router(router, prefix="/demo")
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


def parse(response: Reply) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def css(element: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    """Elements under ``element`` matching a simple CSS selector (tags, classes, ids, attributes, ``>``).

    lxml's own ``cssselect`` needs the cssselect package, which Mantis does not depend on.
    """
    xpath, axis = ".", "//"
    for token in selector.replace(">", " > ").split():
        if token == ">":
            axis = "/"
            continue
        tag = re.split(r"(?=[.#\[])", token, maxsplit=1)[0] or "*"
        predicates = []
        for part in re.findall(r"[.#][\w-]+|\[[^\]]+\]", token):
            if part[0] == ".":
                predicates.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {part[1:]} ')")
            elif part[0] == "#":
                predicates.append(f"@id='{part[1:]}'")
            else:
                name, op, value = ATTRIBUTE.findall(part)[0]
                if not op:
                    predicates.append(f"@{name}")
                elif op == "=":
                    predicates.append(f"@{name}='{value}'")
                else:
                    predicates.append(f"starts-with(@{name}, '{value}')")
        xpath += axis + tag + "".join(f"[{predicate}]" for predicate in predicates)
        axis = "//"
    return list(element.xpath(xpath))


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def price_of(card: lxml.html.HtmlElement) -> int:
    match = PRICE.match(text(css(card, ".listing-card__price")[0]))
    assert match is not None
    return int(match.group(1).replace(",", ""))


def cards(page: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return css(page, "article.listing-card")


def crawl(client: TestClient, url: str) -> list[lxml.html.HtmlElement]:
    """Every listing card reachable from ``url`` by following "Next"."""
    found: list[lxml.html.HtmlElement] = []
    next_url: str | None = url
    while next_url:
        page = parse(client.get(next_url))
        found.extend(cards(page))
        nxt = page.xpath('//nav[@class="pagination"]//a[normalize-space()="Next"]')
        next_url = nxt[0].get("href") if nxt else None
    return found


def count_line(page: lxml.html.HtmlElement) -> str:
    return text(css(page, ".results__count")[0])


# --- marketplace -------------------------------------------------------------------------------


def test_listings_paginate_twelve_per_page(client: TestClient) -> None:
    page = parse(client.get("/demo/marketplace/"))
    assert len(cards(page)) == 12
    assert count_line(page) == "Showing 1–12 of 84 listings"
    numbers = [text(a) for a in css(page, "nav.pagination a.pagination__link")]
    assert numbers == ["2", "3", "4", "5", "6", "7", "Next"]
    assert text(css(page, 'nav.pagination [aria-current="page"]')[0]) == "1"

    every = crawl(client, "/demo/marketplace/")
    ids = [card.get("data-listing-id") for card in every]
    assert len(ids) == len(set(ids)) == 84 >= 72

    last = parse(client.get("/demo/marketplace/?page=7"))
    assert count_line(last) == "Showing 73–84 of 84 listings"
    assert last.xpath('//nav[@class="pagination"]//a[normalize-space()="Previous"]')
    assert not last.xpath('//nav[@class="pagination"]//a[normalize-space()="Next"]')


def test_listing_cards_show_title_price_location_specs_and_seller(client: TestClient) -> None:
    page = parse(client.get("/demo/marketplace/"))
    for card in cards(page):
        link = css(card, "h2.listing-card__title a")[0]
        assert re.match(r"^(19|20)\d\d \S", text(link))
        assert link.get("href") == f"/demo/marketplace/listing/{card.get('data-listing-id')}"
        assert price_of(card) > 0
        assert re.match(r"^[A-Z][A-Za-z. ]+, [A-Z]{2}$", text(css(card, ".listing-card__location")[0]))
        terms = [text(dt) for dt in css(card, ".listing-card__specs dt")]
        assert terms[0] == "Year" and terms[1] in {"Length", "Mileage"}
        badge = text(css(card, ".seller-badge")[0])
        assert badge == "Private seller" or badge.startswith("Dealer · ")


def test_filter_form_has_labelled_controls(client: TestClient) -> None:
    page = parse(client.get("/demo/marketplace/"))
    form = css(page, "form.filters__form")[0]
    assert form.get("method") == "get"
    radios = {text(label): css(label, "input")[0].get("value") for label in css(form, "label.radio")}
    assert radios == {"Any seller": "any", "Private seller": "private", "Dealer": "dealer"}
    labels = {text(label): label.get("for") for label in css(form, "label[for]")}
    assert css(form, f"#{labels['State']}")[0].tag == "select"
    assert css(form, f"#{labels['Min price']}")[0].get("name") == "min_price"
    assert css(form, f"#{labels['Max price']}")[0].get("name") == "max_price"
    options = {text(option): option.get("value") for option in css(form, "select[name=state] option")}
    assert options["Any state"] == "" and options["Florida (FL)"] == "FL"
    assert [text(button) for button in css(form, "button")] == ["Apply filters"]


@pytest.mark.parametrize(("seller", "badge"), [("private", "Private seller"), ("dealer", "Dealer · ")])
def test_seller_filter_keeps_only_that_seller_type(client: TestClient, seller: str, badge: str) -> None:
    found = crawl(client, f"/demo/marketplace/?seller={seller}")
    assert 0 < len(found) < 84
    assert all(text(css(card, ".seller-badge")[0]).startswith(badge) for card in found)
    expected = sum(1 for listing in all_listings() if listing.seller_type == seller)
    assert len(found) == expected


def test_state_filter_and_price_bounds(client: TestClient) -> None:
    florida = crawl(client, "/demo/marketplace/?state=FL")
    assert 12 < len(florida) < 84
    assert all(text(css(card, ".listing-card__location")[0]).endswith(", FL") for card in florida)
    page = parse(client.get("/demo/marketplace/?state=FL"))
    assert css(page, "select[name=state] option[selected]")[0].get("value") == "FL"

    bounded = crawl(client, "/demo/marketplace/?min_price=30000&max_price=60000")
    assert bounded
    assert all(30_000 <= price_of(card) <= 60_000 for card in bounded)
    assert len(crawl(client, "/demo/marketplace/?min_price=30000")) > len(bounded)


def test_combined_filters_paginate_and_keep_their_query(client: TestClient) -> None:
    query = "seller=private&state=FL&min_price=35000"
    expected = [
        listing
        for listing in all_listings()
        if listing.seller_type == "private" and listing.state == "FL" and listing.price >= 35_000
    ]
    found = crawl(client, f"/demo/marketplace/?{query}")
    assert [int(card.get("data-listing-id")) for card in found] == [listing.id for listing in expected]

    first = parse(client.get("/demo/marketplace/?seller=private"))
    total = sum(1 for listing in all_listings() if listing.seller_type == "private")
    assert count_line(first) == f"Showing 1–12 of {total} listings"
    next_href = first.xpath('//nav[@class="pagination"]//a[normalize-space()="Next"]')[0].get("href")
    assert parse_qs(urlsplit(next_href).query) == {"seller": ["private"], "page": ["2"]}
    second = parse(client.get(next_href))
    assert count_line(second) == f"Showing 13–24 of {total} listings"


def test_sorting_by_price(client: TestClient) -> None:
    prices = [price_of(card) for card in crawl(client, "/demo/marketplace/?sort=price_asc&type=boat")]
    assert len(prices) == sum(1 for listing in all_listings() if listing.kind == "boat")
    assert prices == sorted(prices)


def test_empty_results_say_so(client: TestClient) -> None:
    page = parse(client.get("/demo/marketplace/?min_price=900000"))
    assert cards(page) == []
    assert "No listings match your filters." in text(page)


def test_sponsored_and_financing_cards_sit_among_listings(client: TestClient) -> None:
    page = parse(client.get("/demo/marketplace/"))
    grid = css(page, ".results-grid")[0]
    kinds = [child.tag for child in grid]
    assert kinds.count("article") == 12 and kinds.count("aside") == 2
    sponsored = css(grid, "aside.promo-card--sponsored")[0]
    assert text(css(sponsored, ".promo-card__tag")[0]) == "Sponsored"
    finance = css(grid, "aside.promo-card--finance")[0]
    assert "Get pre-approved for boat financing — rates from 6.9% APR" in text(finance)
    assert [text(button) for button in css(finance, "button")] == ["Check your rate"]
    assert not css(sponsored, ".listing-card__title")


def test_cookie_banner_until_accepted(client: TestClient) -> None:
    page = parse(client.get("/demo/marketplace/?state=FL"))
    banner = css(page, '[role="dialog"]')[0]
    assert banner.get("aria-label") == "Cookie consent"
    assert "cookies" in text(banner)
    buttons = [text(button) for button in css(banner, "button")]
    assert "Accept all" in buttons and "Manage preferences" in buttons
    form = css(banner, "form")[0]
    fields = {field.get("name"): field.get("value") for field in css(form, "input[type=hidden]")}
    assert fields["next"] == "/demo/marketplace/?state=FL"

    response = client.post(
        form.get("action"), data={"next": fields["next"], "choice": "all"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/demo/marketplace/?state=FL"
    assert client.cookies.get("consent") == "all"
    assert not css(parse(client.get("/demo/marketplace/")), '[role="dialog"]')
    listing_id = all_listings()[0].id
    assert not css(parse(client.get(f"/demo/marketplace/listing/{listing_id}")), '[role="dialog"]')


def test_consent_never_redirects_off_site(client: TestClient) -> None:
    form = {"next": "https://evil.example/", "choice": "all"}
    response = client.post("/demo/marketplace/consent", data=form, follow_redirects=False)
    assert response.headers["location"] == "/demo/marketplace/"


def test_detail_page_hides_phone_until_the_api_is_called(client: TestClient) -> None:
    listing = next(listing for listing in all_listings() if listing.kind == "boat")
    response = client.get(f"/demo/marketplace/listing/{listing.id}")
    assert response.status_code == 200
    page = parse(response)
    assert text(css(page, "h1")[0]) == listing.title
    assert text(css(page, ".detail__price")[0]) == f"${listing.price:,}"
    specs = {text(css(div, "dt")[0]): text(css(div, "dd")[0]) for div in css(page, "dl.spec-table div")}
    assert specs == {
        "Year": str(listing.year),
        "Make": listing.make,
        "Model": listing.model,
        "Length": f"{listing.length_ft} ft",
        "Location": listing.location,
        "Seller type": "Dealer" if listing.seller_type == "dealer" else "Private seller",
    }
    box = css(page, "#seller-box")[0]
    assert listing.seller_name in text(box)
    digits = listing.tel[2:]
    assert listing.phone not in response.text and digits not in response.text
    button = box.xpath('.//button[normalize-space()="Show phone"]')[0]

    api = client.get(button.get("data-phone-url"))
    assert api.status_code == 200
    assert api.json() == {"id": listing.id, "phone": listing.phone, "tel": listing.tel}
    assert PHONE.match(api.json()["phone"])


def test_vehicle_detail_shows_mileage(client: TestClient) -> None:
    listing = next(listing for listing in all_listings() if listing.kind == "vehicle")
    page = parse(client.get(f"/demo/marketplace/listing/{listing.id}"))
    terms = [text(dt) for dt in css(page, "dl.spec-table dt")]
    assert terms == ["Year", "Make", "Model", "Mileage", "Location", "Seller type"]


@pytest.mark.parametrize("listing_id", ["1", "abc"])
def test_unknown_listing_is_404(client: TestClient, listing_id: str) -> None:
    assert client.get(f"/demo/marketplace/listing/{listing_id}").status_code == 404
    assert client.get(f"/demo/marketplace/api/listings/{listing_id}/phone").status_code == 404


def test_links_follow_the_root_path() -> None:
    with TestClient(make_app(), root_path="/mantis") as prefixed:
        page = parse(prefixed.get("/demo/marketplace/"))
    hrefs = [a.get("href") for a in css(page, "a[href^='/']")]
    assert hrefs and all(href.startswith("/mantis/demo/") for href in hrefs)
    assert css(page, "form.filters__form")[0].get("action") == "/mantis/demo/marketplace/"


def test_content_is_generated_deterministically() -> None:
    assert all_listings.__wrapped__() == all_listings()
    assert all_stories.__wrapped__() == all_stories()


# --- news --------------------------------------------------------------------------------------


def story_rows(page: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return css(page, "tr.athing")


def check_subtext(row: lxml.html.HtmlElement) -> None:
    """The row after a story holds score, user, age, hide and the comments link."""
    subtext = css(row.getnext(), "td.subtext")[0]
    item_id = row.get("id")
    assert re.match(r"^\d+ points?$", text(css(subtext, "span.score")[0]))
    assert text(css(subtext, "a.hnuser")[0])
    assert re.match(r"^\d+ (minute|hour|day)s? ago$", text(css(subtext, "span.age > a")[0]))
    links = css(subtext, ".subline > a")
    assert "hide" in [text(link) for link in links]
    comments = links[-1]
    assert re.match(r"^(\d+ comments?|discuss)$", text(comments))
    assert comments.get("href") == f"/demo/news/item?id={item_id}"
    assert "spacer" in row.getnext().getnext().get("class")


def test_front_page_has_thirty_ranked_stories(client: TestClient) -> None:
    page = parse(client.get("/demo/news/"))
    rows = story_rows(page)
    assert len(rows) == 30
    assert [text(css(row, "span.rank")[0]) for row in rows] == [f"{n}." for n in range(1, 31)]
    for row in rows:
        link = css(row, "td.title > span.titleline > a")[0]
        assert text(link)
        sitebit = css(row, "span.sitebit.comhead")
        if sitebit:
            domain = text(sitebit[0]).strip("()")
            assert urlsplit(link.get("href")).netloc == domain.split("/")[0]
        else:
            assert text(link).startswith("Ask HN:")
        check_subtext(row)
    more = css(page, "a.morelink")[0]
    assert text(more) == "More" and more.get("href") == "/demo/news/?p=2"


def test_later_pages_continue_the_ranking(client: TestClient) -> None:
    first = {row.get("id") for row in story_rows(parse(client.get("/demo/news/")))}
    second_page = parse(client.get("/demo/news/?p=2"))
    second = story_rows(second_page)
    assert [text(css(row, "span.rank")[0]) for row in second] == [f"{n}." for n in range(31, 61)]
    assert first.isdisjoint(row.get("id") for row in second)
    assert css(second_page, "a.morelink")[0].get("href") == "/demo/news/?p=3"
    third = story_rows(parse(client.get("/demo/news/?p=3")))
    assert len(third) == 30 and text(css(third[0], "span.rank")[0]) == "61."


def test_titles_have_realistic_shapes() -> None:
    titles = [story.title for story in all_stories()]
    assert any(title.startswith("Show HN: ") for title in titles)
    assert any(title.startswith("Ask HN: ") for title in titles)
    assert any(title.endswith(" [pdf]") for title in titles)
    assert any(re.search(r" \((19|20)\d\d\)$", title) for title in titles)


def test_item_page_shows_story_and_its_comments(client: TestClient) -> None:
    story = max(all_stories(), key=lambda story: story.comment_count)
    page = parse(client.get(f"/demo/news/item?id={story.id}"))
    header = css(page, "table.fatitem tr.athing")[0]
    assert header.get("id") == str(story.id)
    assert text(css(header, "span.titleline > a")[0]) == story.title
    comments = css(page, "tr.athing.comtr")
    assert len(comments) == story.comment_count > 0
    for comment in comments[:5]:
        assert text(css(comment, "a.hnuser")[0])
        assert text(css(comment, "div.commtext")[0])


@pytest.mark.parametrize("item_id", ["1", "nope", ""])
def test_unknown_item_is_404(client: TestClient, item_id: str) -> None:
    response = client.get(f"/demo/news/item?id={item_id}")
    assert response.status_code == 404
    assert "No such item." in response.text


def test_user_pages_and_section_lists(client: TestClient) -> None:
    story = all_stories()[0]
    profile = parse(client.get(f"/demo/news/user?id={story.user}"))
    assert text(css(profile, "a.hnuser")[0]) == story.user
    submitted = story_rows(parse(client.get(f"/demo/news/submitted?id={story.user}")))
    assert str(story.id) in {row.get("id") for row in submitted}
    asks = story_rows(parse(client.get("/demo/news/ask")))
    assert asks and all(text(css(row, ".titleline > a")[0]).startswith("Ask HN:") for row in asks)
    assert client.get("/demo/news/user?id=nobody-here").status_code == 404


# --- CRM ---------------------------------------------------------------------------------------


def login(client: TestClient, password: str = "demo1234") -> Reply:
    return client.post(
        "/demo/crm/login", data={"email": "demo@mantis.test", "password": password}, follow_redirects=False
    )


def contact_rows(page: lxml.html.HtmlElement) -> list[dict[str, str]]:
    headers = [text(th) for th in css(page, "table.table thead th")]
    return [
        dict(zip(headers, (text(td) for td in css(row, "td")), strict=True))
        for row in css(page, "table.table tbody tr")
    ]


@pytest.mark.parametrize(
    "path",
    ["/demo/crm/contacts", "/demo/crm/contacts/new", "/demo/crm/contacts/1", "/demo/crm/contacts/1/edit"],
)
def test_crm_pages_require_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/demo/crm/login"


def test_login_page_and_wrong_password(client: TestClient) -> None:
    page = parse(client.get("/demo/crm/login"))
    assert "demo@mantis.test" in text(page) and "demo1234" in text(page)
    labels = {text(label): label.get("for") for label in css(page, "label")}
    assert css(page, f"#{labels['Email']}")[0].get("name") == "email"
    assert css(page, f"#{labels['Password']}")[0].get("type") == "password"
    assert [text(button) for button in css(page, "form button")] == ["Sign in"]

    rejected = login(client, password="wrong")
    assert rejected.status_code == 401
    assert "Incorrect email or password." in text(parse(rejected))
    assert css(parse(rejected), "form input[name=password]")
    assert "crm_session" not in client.cookies


def test_login_lists_seeded_contacts_and_search_filters_them(client: TestClient) -> None:
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/demo/crm/contacts"
    page = parse(client.get("/demo/crm/contacts"))
    rows = contact_rows(page)
    assert len(rows) == 25
    assert set(rows[0]) == {"Name", "Email", "Phone", "Company", "Status"}
    assert page.xpath('//a[normalize-space()="New contact"]')
    search_label = page.xpath('//label[normalize-space()="Search contacts"]')[0]
    assert css(page, f"#{search_label.get('for')}")[0].get("name") == "q"

    company = rows[0]["Company"]
    matches = contact_rows(parse(client.get("/demo/crm/contacts", params={"q": company.upper()})))
    expected = [row for row in rows if company.lower() in " ".join(row.values()).lower()]
    assert matches and len(matches) == len(expected) < 25
    by_name = contact_rows(parse(client.get("/demo/crm/contacts", params={"q": rows[3]["Name"].lower()})))
    assert rows[3] in by_name


def test_create_validates_then_saves(client: TestClient) -> None:
    login(client)
    invalid = client.post("/demo/crm/contacts/new", data={"first_name": "", "email": "not-an-email"})
    assert invalid.status_code == 422
    page = parse(invalid)
    assert text(css(page, "#first_name-error")[0]) == "First name is required."
    assert "valid email" in text(css(page, "#email-error")[0])
    assert css(page, "#email")[0].get("value") == "not-an-email"

    form = css(page, "form.form")[0]
    assert form.get("method") == "post"
    assert [option.get("value") for option in css(form, "select[name=status] option")] == [
        "Lead",
        "Qualified",
        "Customer",
        "Churned",
    ]
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@analytical.example",
        "phone": "(415) 555-0100",
        "company": "Analytical Engines",
        "status": "Qualified",
    }
    created = client.post("/demo/crm/contacts/new", data=data, follow_redirects=False)
    assert created.status_code == 303
    detail = parse(client.get(created.headers["location"]))
    assert text(css(detail, ".flash")[0]) == "Contact created"
    values = dict(
        zip((text(dt) for dt in css(detail, "dl dt")), (text(dd) for dd in css(detail, "dl dd")), strict=True)
    )
    assert values["Email"] == "ada@analytical.example" and values["Status"] == "Qualified"
    assert detail.xpath('//a[normalize-space()="Edit"]')
    again = parse(client.get(created.headers["location"]))
    assert not css(again, ".flash")
    assert [row["Name"] for row in contact_rows(parse(client.get("/demo/crm/contacts?q=lovelace")))] == [
        "Ada Lovelace"
    ]


def test_edit_prefills_and_updates(client: TestClient) -> None:
    login(client)
    form = parse(client.get("/demo/crm/contacts/1/edit"))
    values = {field.get("name"): field.get("value") for field in css(form, "form.form input")}
    assert values["first_name"] and "@" in values["email"]
    assert [text(button) for button in css(form, "form.form button")] == ["Save changes"]
    values.update(company="Mantis Marine", status="Customer")
    saved = client.post("/demo/crm/contacts/1/edit", data=values, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/demo/crm/contacts/1"
    detail = parse(client.get("/demo/crm/contacts/1"))
    assert text(css(detail, ".flash")[0]) == "Contact updated"
    assert "Mantis Marine" in text(css(detail, "dl")[0])
    assert client.get("/demo/crm/contacts/999").status_code == 404


def test_sessions_are_isolated_and_sign_out_ends_them() -> None:
    app = make_app()
    with TestClient(app) as alice, TestClient(app) as bob:
        login(alice)
        login(bob)
        created = {"first_name": "Only", "email": "only@alice.example", "status": "Lead"}
        alice.post("/demo/crm/contacts/new", data=created)
        original = contact_rows(parse(bob.get("/demo/crm/contacts")))
        edited = {"first_name": "Changed", "email": "changed@alice.example", "status": "Churned"}
        alice.post("/demo/crm/contacts/1/edit", data=edited)
        assert len(contact_rows(parse(alice.get("/demo/crm/contacts")))) == 26
        assert contact_rows(parse(bob.get("/demo/crm/contacts"))) == original
        assert len(original) == 25
        assert "Changed" not in text(parse(bob.get("/demo/crm/contacts/1")))

        signed_out = alice.get("/demo/crm/logout", follow_redirects=False)
        assert signed_out.headers["location"] == "/demo/crm/login?signed_out=1"
        assert alice.get("/demo/crm/contacts", follow_redirects=False).status_code == 303
        login(alice)
        assert len(contact_rows(parse(alice.get("/demo/crm/contacts")))) == 25


def test_session_store_drops_the_oldest_past_its_limit() -> None:
    store = SessionStore(limit=3)
    ids = [store.create("demo@mantis.test") for _ in range(5)]
    assert len(store) == 3
    assert store.get(ids[0]) is None and store.get(ids[1]) is None
    assert store.get(ids[4]) is not None

"""The offline extractor on pages of many shapes, none of them written for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mantis.brains.offline.extract import coerce, extract_rows
from mantis.plans.models import ExtractSpec

PAGES = Path(__file__).parent / "pages"


def _page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def _spec(
    *fields: str | tuple[str, str] | tuple[str, str, bool], max_items: int | None = None, entity: str = "item"
) -> ExtractSpec:
    """Fields as "name", (name, type) or (name, type, required)."""
    out: list[dict[str, Any]] = []
    for f in fields:
        if isinstance(f, str):
            out.append({"name": f})
        else:
            out.append({"name": f[0], "type": f[1], "required": f[2] if len(f) > 2 else True})
    return ExtractSpec.model_validate({"entity_name": entity, "fields": out, "max_items": max_items})


# --- coercion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "type_", "want"),
    [
        ("$89,500", "int", 89500),
        ("1.", "int", 1),
        ("123 points", "int", 123),
        ("45\u00a0comments", "int", 45),
        ("discuss", "int", None),
        ("$1,179.99", "int", None),  # a price with cents is no int: empty, not truncated
        ("4,5", "int", 4),
        ("1.234.567 units", "int", 1234567),
        ("1.2k points", "int", 1200),
        ("3M views", "int", 3000000),
        ("5 min read", "int", 5),
        ("-12 °C", "int", -12),
        ("2019-2020", "int", 2019),
        ("No. 7", "int", 7),
        ("", "int", None),
        ("Yes", "bool", True),
        ("no", "bool", False),
        ("✓", "bool", True),
        ("✗", "bool", False),
        ("In stock", "bool", True),
        ("Sold out", "bool", False),
        ("yes, included", "bool", True),
        ("maybe", "bool", None),
        ("  Austin,\n   TX  ", "str", "Austin, TX"),
        ("   ", "str", None),
    ],
)
def test_coerce(raw: str, type_: str, want: object) -> None:
    assert coerce(raw, type_) == want


# --- Hacker News: a record spread over three table rows ------------------------------------------

HN_SPEC = _spec(
    ("rank", "int"),
    "title",
    ("story_url", "str", False),
    ("points", "int", False),
    ("author", "str", False),
    ("age", "str", False),
    ("comments_count", "int", False),
    max_items=5,
    entity="hn_story",
)


def test_hacker_news_top_five() -> None:
    rows = extract_rows(
        _page("hn_front.html"), HN_SPEC, "https://news.ycombinator.com/", "Extract the top 5 stories"
    )
    assert rows == [
        {
            "rank": 1,
            "title": "Show HN: A tiny SQLite-backed job queue",
            "story_url": "https://github.com/acme/liteq",
            "points": 412,
            "author": "mkern",
            "age": "3 hours ago",
            "comments_count": 128,
        },
        {
            "rank": 2,
            "title": "The hidden cost of retries in distributed systems",
            "story_url": "https://blog.example.org/posts/retries",
            "points": 287,
            "author": "tfeld",
            "age": "5 hours ago",
            "comments_count": 96,
        },
        {
            "rank": 3,
            "title": "Ask HN: How do you keep on-call sane?",
            "story_url": "https://news.ycombinator.com/item?id=43210003",
            "points": 154,
            "author": "quietops",
            "age": "2 hours ago",
            "comments_count": 211,
        },
        {
            "rank": 4,
            "title": "Reverse-engineering a 1987 pocket calculator",
            "story_url": "https://www.righto.com/2025/03/calculator.html",
            "points": 98,
            "author": "kens_fan",
            "age": "1 hour ago",
            "comments_count": None,
        },
        {
            "rank": 5,
            "title": "Why we moved our build cache off S3",
            "story_url": "https://engineering.shopkeep.io/build-cache",
            "points": 1024,
            "author": "r_alvarez",
            "age": "7 hours ago",
            "comments_count": 342,
        },
    ]


def test_hacker_news_whole_page_and_job_rows() -> None:
    spec = HN_SPEC.model_copy(update={"max_items": 50})
    rows = extract_rows(_page("hn_front.html"), spec, "https://news.ycombinator.com/news")
    assert [r["rank"] for r in rows] == list(range(1, 31))
    job = rows[6]  # a job ad: no points, no author, no comments link
    assert job == {
        "rank": 7,
        "title": "Lattice (YC W24) Is Hiring a Founding Platform Engineer",
        "story_url": "https://www.ycombinator.com/companies/lattice-labs/jobs/9xQ2",
        "points": None,
        "author": None,
        "age": "6 hours ago",
        "comments_count": None,
    }
    assert rows[8]["comments_count"] is None  # "discuss"
    assert all(r["title"] and str(r["story_url"]).startswith("https://") for r in rows)


def test_max_items_caps_rows() -> None:
    spec = HN_SPEC.model_copy(update={"max_items": 2})
    rows = extract_rows(_page("hn_front.html"), spec, "https://news.ycombinator.com/")
    assert [r["rank"] for r in rows] == [1, 2]


# --- a product grid with schema.org microdata, a promo tile and a hidden card --------------------


def test_product_grid_with_microdata() -> None:
    spec = _spec(
        "name",
        "product_url",
        ("price", "decimal"),
        ("price_text", "str", False),
        ("rating", "str", False),
        ("review_count", "int", False),
        ("in_stock", "bool", False),
        ("brand", "str", False),
        ("image_url", "str", False),
        max_items=20,
        entity="product",
    )
    rows = extract_rows(_page("product_grid.html"), spec, "https://shop.trailhead.example/c/hiking?page=1")
    assert [r["name"] for r in rows] == [
        "Trail Runner 2 Shoe",
        "Summit Down Jacket",
        "Ridge 45L Backpack",
        "Enamel Camp Mug",
        "Headlamp 400 Lumen",
        "Merino Wool Socks (3-Pack)",
        "Carbon Trekking Poles",
        "Stormline Rain Shell",
    ]  # no hidden "Ghost Item", no sponsored promo tile
    assert rows[0] == {
        "name": "Trail Runner 2 Shoe",
        "product_url": "https://shop.trailhead.example/products/trail-runner-2?ref=grid",
        "price": "$89.50",  # the row contract makes it 89.50 USD
        "price_text": "$89.50",
        "rating": "4.6",
        "review_count": 212,
        "in_stock": True,
        "brand": "Alpine Co",
        "image_url": "https://shop.trailhead.example/cdn/img/trail-runner-2-400.jpg",
    }
    assert rows[1]["price"] == "$249.00"  # the sale price, not the struck-through one
    assert rows[2]["price"] == "$1,179.99" and rows[2]["review_count"] == 87
    assert rows[5]["review_count"] == 2291
    assert [r["in_stock"] for r in rows] == [True, True, False, True, True, True, False, True]


def test_product_grid_cap() -> None:
    spec = _spec("name", ("price", "decimal"), max_items=3, entity="product")
    rows = extract_rows(_page("product_grid.html"), spec, "https://shop.trailhead.example/c/hiking")
    assert rows == [
        {"name": "Trail Runner 2 Shoe", "price": "$89.50"},
        {"name": "Summit Down Jacket", "price": "$249.00"},
        {"name": "Ridge 45L Backpack", "price": "$1,179.99"},
    ]


# --- a job board of cards -------------------------------------------------------------------------


def test_job_board_cards() -> None:
    spec = _spec(
        "job_title",
        "company",
        ("location", "str", False),
        ("salary_min", "int", False),
        ("employment_type", "str", False),
        ("posted", "str", False),
        ("remote", "bool", False),
        ("job_url", "str", False),
        ("company_url", "str", False),
        ("logo_url", "str", False),
        ("description", "str", False),
        max_items=10,
        entity="job_posting",
    )
    rows = extract_rows(_page("job_board.html"), spec, "https://www.hirewell.example/search?q=backend&l=TX")
    assert len(rows) == 5
    assert rows[0] == {
        "job_title": "Senior Backend Engineer",
        "company": "Northwind Labs",
        "location": "Austin, TX",
        "salary_min": 140000,
        "employment_type": "Full-time",
        "posted": "3 days ago",
        "remote": True,
        "job_url": "https://www.hirewell.example/jobs/88121-senior-backend-engineer",
        "company_url": "https://www.hirewell.example/companies/northwind-labs",
        "logo_url": "https://cdn.hirewell.example/logos/northwind.png",
        "description": "Own the services behind our logistics platform: Go, Postgres, Kafka. "
        "You will design APIs used by 2,000 warehouses.",
    }
    assert [r["salary_min"] for r in rows] == [140000, 120000, None, 95000, 130000]  # "$120K" too
    assert [r["remote"] for r in rows] == [True, False, True, False, True]  # a badge, or its absence
    assert rows[2]["company"] == "Lone Star Energy"  # a promoted job is still a job
    assert rows[2]["logo_url"] is None
    assert [r["location"] for r in rows] == [
        "Austin, TX",
        "Dallas, TX",
        "Houston, TX",
        "San Antonio, TX",
        "Austin, TX",
    ]


# --- search results with an ad, a hidden result and hidden text ----------------------------------


def test_search_results() -> None:
    spec = _spec(
        ("position", "int"),
        "title",
        "url",
        ("domain", "str", False),
        ("snippet", "str", False),
        ("date", "str", False),
        max_items=5,
        entity="search_result",
    )
    rows = extract_rows(
        _page("search_results.html"), spec, "https://findly.example/search?q=sourdough+starter+ratio"
    )
    assert [(r["position"], r["title"], r["url"], r["domain"]) for r in rows] == [
        (
            1,
            "Sourdough Starter Recipe | Step-by-Step Guide",
            "https://www.kingarthurbaking.example/recipes/sourdough-starter",
            "kingarthurbaking.example",
        ),
        (
            2,
            "The Science of Starter Ratios",
            "https://www.seriouseats.example/sourdough-starter-ratios",
            "seriouseats.example",
        ),
        (
            3,
            "r/Sourdough: what ratio do you feed?",
            "https://findly.example/redirect?to=forum",
            "reddit.example",
        ),
        (4, "Sourdough - Wikipedia", "https://en.wikipedia.example/wiki/Sourdough", "en.wikipedia.example"),
    ]  # not the sponsored result, the cloaked one, nor the "Videos" strip
    assert rows[0]["date"] == "Mar 3, 2024"
    assert str(rows[0]["snippet"]).endswith("every 12 hours until it doubles.")
    assert rows[2]["snippet"] == (
        "Most people here do 1:2:2 at room temperature. Warmer kitchens need more flour."
    )
    assert rows[2]["date"] is None


# --- a table with a header row --------------------------------------------------------------------


def test_table_with_header_row() -> None:
    spec = _spec(
        ("rank", "int"),
        "name",
        ("industry", "str", False),
        ("revenue", "int"),
        ("employees", "int", False),
        ("headquarters", "str", False),
        ("company_url", "str", False),
        max_items=5,
        entity="company",
    )
    rows = extract_rows(
        _page("league_table.html"),
        spec,
        "https://reference.example/wiki/List_of_largest_companies_by_revenue",
    )
    assert rows[0] == {
        "rank": 1,
        "name": "Walmart",
        "industry": "Retail",
        "revenue": 648125,
        "employees": 2100000,
        "headquarters": "United States",
        "company_url": "https://reference.example/wiki/Walmart",
    }
    assert [(r["rank"], r["name"], r["revenue"]) for r in rows] == [
        (1, "Walmart", 648125),
        (2, "Amazon", 574785),
        (3, "State Grid", 545948),
        (4, "Saudi Aramco", 494890),
        (5, "Sinopec Group", 429700),
    ]
    assert rows[3]["employees"] == 73311 and rows[3]["headquarters"] == "Saudi Arabia"


def test_table_whose_first_row_is_headers() -> None:
    html = """<html><body><h2>Plans</h2><table>
      <tr><th>Plan</th><th>Price</th><th>Seats</th></tr>
      <tr><td>Starter</td><td>$9/mo</td><td>1</td></tr>
      <tr><td>Team</td><td>$49/mo</td><td>10</td></tr>
      <tr><td>Business</td><td>$199/mo</td><td>50</td></tr></table></body></html>"""
    rows = extract_rows(html, _spec("plan", "price", ("seats", "int"), max_items=10), "https://x.example/")
    assert rows == [
        {"plan": "Starter", "price": "$9/mo", "seats": 1},
        {"plan": "Team", "price": "$49/mo", "seats": 10},
        {"plan": "Business", "price": "$199/mo", "seats": 50},
    ]


# --- detail pages: one row ------------------------------------------------------------------------


def test_boat_detail_page() -> None:
    spec = _spec(
        "title",
        ("year", "int"),
        "make",
        "model",
        ("price", "int"),
        ("length", "str", False),
        ("engine_hours", "int", False),
        ("location", "str", False),
        ("seller_name", "str", False),
        ("seller_phone", "str", False),
        ("condition", "str", False),
        ("fuel_type", "str", False),
        ("listing_url", "str", False),
        ("description", "str", False),
        ("is_private_seller", "bool", False),
        entity="boat_listing",
    )
    rows = extract_rows(
        _page("boat_detail.html"),
        spec,
        "https://www.harborlist.example/boats/2019-boston-whaler-270-dauntless-8841203/?utm_source=x",
    )
    assert rows == [
        {
            "title": "2019 Boston Whaler 270 Dauntless",
            "year": 2019,
            "make": "Boston Whaler",
            "model": "270 Dauntless",
            "price": 189500,
            "length": "27 ft",
            "engine_hours": 310,
            "location": "Fort Lauderdale, Florida",
            "seller_name": "Marco Deluca",
            "seller_phone": "(954) 555-0142",
            "condition": "Used",
            "fuel_type": "Gas",
            "listing_url": "https://www.harborlist.example/boats/2019-boston-whaler-270-dauntless-8841203/",
            "description": "Freshwater-flushed after every trip and kept on a lift. Garmin electronics, "
            "T-top with spreader lights, and a trailer included.",
            "is_private_seller": True,
        }
    ]


def test_car_detail_page() -> None:
    spec = _spec(
        "title",
        ("year", "int"),
        ("price", "int"),
        ("mileage", "int", False),
        ("exterior_color", "str", False),
        ("vin", "str", False),
        ("transmission", "str", False),
        ("certified", "bool", False),
        ("dealer_address", "str", False),
        ("image_url", "str", False),
        ("url", "str", False),
        entity="vehicle",
    )
    url = "https://www.pinevalley.example/inventory/2021-subaru-outback-P17002"
    rows = extract_rows(_page("car_detail.html"), spec, url)
    assert rows == [
        {
            "title": "2021 Subaru Outback Limited XT",
            "year": 2021,
            "price": 31995,
            "mileage": 42315,
            "exterior_color": "Autumn Green Metallic",
            "vin": "4S4BTGND1M3170021",
            "transmission": "CVT Automatic",
            "certified": False,
            "dealer_address": "4410 SE Powell Blvd, Portland, OR 97206",
            "image_url": "https://img.pinevalley.example/inv/4S4BTGND1M3170021/01.jpg",
            "url": url,
        }
    ]


def test_single_row_keys_every_field_even_when_missing() -> None:
    spec = _spec("title", ("warranty", "str", False), ("listing_id", "int", False), ("listed", "str", False))
    rows = extract_rows(_page("boat_detail.html"), spec, "https://x.example/")
    assert rows == [
        {
            "title": "2019 Boston Whaler 270 Dauntless",
            "warranty": None,
            "listing_id": 8841203,
            "listed": "12 days ago",
        }
    ]


# --- what was not shown is not read ---------------------------------------------------------------


def test_hidden_elements_ads_and_relative_links() -> None:
    spec = _spec(
        "name",
        "event_url",
        ("when", "str", False),
        ("venue", "str", False),
        ("price", "int", False),
        max_items=10,
        entity="event",
    )
    rows = extract_rows(_page("hidden_and_ads.html"), spec, "https://guide.riverside.example/weekend")
    assert rows == [
        {
            "name": "Jazz on the Pier",
            "event_url": "https://guide.riverside.example/events/jazz-on-the-pier",
            "when": "Sat, Jun 14 · 7:00 PM",
            "venue": "Harbor Stage",
            "price": 25,
        },
        {
            "name": "Farmers' Market",
            "event_url": "https://guide.riverside.example/markets/farmers-market",
            "when": "Sun, Jun 15 · 8:00 AM",
            "venue": "Riverside Park",
            "price": None,
        },
        {
            "name": "Open-Air Cinema: Casablanca",
            "event_url": "https://guide.riverside.example/events/open-air-cinema?day=sun",
            "when": "Sun, Jun 15 · 9:00 PM",
            "venue": "Riverside Park",
            "price": 12,
        },
        {
            "name": "Kids' Lego Build",
            "event_url": "https://guide.riverside.example/events/kids-lego-build",
            "when": "Sun, Jun 15 · 11:00 AM",
            "venue": "Central Library",
            "price": 5,
        },
    ]


# --- small shapes ---------------------------------------------------------------------------------


def test_definition_list_pairs_are_records() -> None:
    html = """<html><body><h1>Glossary</h1><dl>
      <dt>Latency</dt><dd>Time taken for a request to travel to the server and back.</dd>
      <dt>Throughput</dt><dd>Requests completed per unit of time.</dd>
      <dt>Jitter</dt><dd>Variation in latency between consecutive requests.</dd></dl></body></html>"""
    rows = extract_rows(html, _spec("term", "definition", max_items=10), "https://x.example/")
    assert rows == [
        {"term": "Latency", "definition": "Time taken for a request to travel to the server and back."},
        {"term": "Throughput", "definition": "Requests completed per unit of time."},
        {"term": "Jitter", "definition": "Variation in latency between consecutive requests."},
    ]


def test_units_after_numbers_and_whole_card_links() -> None:
    card = (
        '<a class="home-card" href="/homes/{slug}"><img src="/p/{slug}.jpg">'
        '<div class="home-card__price"><span>$</span>{price}</div>'
        '<div class="home-card__facts"><b>{beds}</b> bd <b>{baths}</b> ba <b>{sqft}</b> sqft</div>'
        '<div class="home-card__addr">{addr}</div></a>'
    )
    html = (
        "<html><body><main><h1>Homes</h1><div class='results'>"
        + "".join(
            card.format(slug=s, price=p, beds=b, baths=ba, sqft=sq, addr=a)
            for s, p, b, ba, sq, a in [
                ("123-main", "489,000", 3, 2, "1,850", "123 Main St, Boise, ID 83702"),
                ("77-oak", "612,500", 4, 3, "2,410", "77 Oak Ave, Boise, ID 83706"),
                ("9-elm", "355,000", 2, 1, "980", "9 Elm Ct, Boise, ID 83704"),
            ]
        )
        + "</div></main></body></html>"
    )
    spec = _spec(
        "address",
        ("price", "int"),
        ("beds", "int"),
        ("baths", "int"),
        ("sqft", "int"),
        "listing_url",
        max_items=5,
    )
    rows = extract_rows(html, spec, "https://homes.example/boise")
    assert rows[1] == {
        "address": "77 Oak Ave, Boise, ID 83706",
        "price": 612500,
        "beds": 4,
        "baths": 3,
        "sqft": 2410,
        "listing_url": "https://homes.example/homes/77-oak",
    }
    assert [r["sqft"] for r in rows] == [1850, 2410, 980]


def test_issue_list_with_numbers_times_and_icon_counts() -> None:
    row = (
        '<div class="Box-row"><a class="Link--primary" href="/acme/widget/issues/{n}">{title}</a>'
        '<span class="labels">{labels}</span><div class="opened-by">#{n} opened '
        '<relative-time datetime="2025-03-01T10:00:00Z">{when}</relative-time> by '
        '<a class="Link--muted" href="/acme/widget/issues?q=author%3A{who}">{who}</a></div>'
        '<div class="comments-col">{comments}</div></div>'
    )
    comments = (
        '<a href="/acme/widget/issues/{n}" aria-label="{c} comments"><svg></svg> '
        '<span class="text-small">{c}</span></a>'
    )
    items = [
        (812, "Crash when config file is empty", "bug p1", "2 days ago", "dkim", 5),
        (809, "Support YAML anchors in profiles", "enhancement", "4 days ago", "mreyes", 0),
        (801, "Docs: the install page links to a 404", "docs", "on Feb 20", "tpham", 12),
    ]
    html = (
        "<html><body><div role='group'>"
        + "".join(
            row.format(
                n=n,
                title=t,
                when=w,
                who=who,
                labels="".join(f'<a class="IssueLabel" href="/l/{x}">{x}</a>' for x in lab.split()),
                comments=comments.format(n=n, c=c) if c else "",
            )
            for n, t, lab, w, who, c in items
        )
        + "</div></body></html>"
    )
    spec = _spec(
        ("number", "int"),
        "title",
        "url",
        ("author", "str", False),
        ("opened", "str", False),
        ("labels", "str", False),
        ("comments", "int", False),
        max_items=5,
        entity="issue",
    )
    rows = extract_rows(html, spec, "https://github.example/acme/widget/issues")
    assert rows == [
        {
            "number": 812,
            "title": "Crash when config file is empty",
            "url": "https://github.example/acme/widget/issues/812",
            "author": "dkim",
            "opened": "2 days ago",
            "labels": "bug p1",
            "comments": 5,
        },
        {
            "number": 809,
            "title": "Support YAML anchors in profiles",
            "url": "https://github.example/acme/widget/issues/809",
            "author": "mreyes",
            "opened": "4 days ago",
            "labels": "enhancement",
            "comments": None,
        },
        {
            "number": 801,
            "title": "Docs: the install page links to a 404",
            "url": "https://github.example/acme/widget/issues/801",
            "author": "tpham",
            "opened": "Feb 20",
            "labels": "docs",
            "comments": 12,
        },
    ]


def test_labelled_lines_and_hidden_values_on_a_detail_page() -> None:
    html = """<html><body><header><nav><a href="/">Home</a> <span>Price: $1</span></nav></header>
      <main><h1>Ceramic Vase</h1><ul>
        <li>Price: $120</li><li><b>Color:</b> Celadon</li>
        <li hidden>Color: Red</li><li><span class="label">Height</span> <span>30 cm</span></li></ul>
        <p style="display:none">Price: $5</p></main></body></html>"""
    spec = _spec("title", ("price", "int"), "color", "height")
    rows = extract_rows(html, spec, "https://x.example/vase")
    assert rows == [{"title": "Ceramic Vase", "price": 120, "color": "Celadon", "height": "30 cm"}]


def test_empty_and_unusable_pages() -> None:
    assert extract_rows("", _spec("title", max_items=3), "https://x.example/") == []
    assert extract_rows("", _spec("title"), "https://x.example/") == [{"title": None}]
    nothing = "<html><body><p>Nothing to see.</p></body></html>"
    assert extract_rows(nothing, _spec(("price", "int"), max_items=3), "https://x.example/") == []


# --- speed ----------------------------------------------------------------------------------------


def _big_catalog() -> str:
    """A heavy (~450 KB) furniture category page: a 360-link mega menu, 160 product tiles laid out
    in rows of four with lazy images, swatches, icons and aria-label ratings, inline CSS and JSON."""
    adjs = ["Classic", "Modern", "Rustic", "Compact", "Deluxe", "Premium", "Essential", "Vintage", "Urban"]
    nouns = ["Oak Desk", "Floor Lamp", "Lounge Chair", "Bookshelf", "Side Table", "Area Rug", "Sofa Bed"]
    menu = "".join(
        f'<li class="mega-menu__item"><a href="/c/{d}/s-{i}">Section {i}</a></li>'
        for d in ["living", "bedroom", "office", "outdoor", "kitchen", "bath"]
        for i in range(60)
    )
    tiles = []
    for i in range(160):
        name = f"{adjs[i * 7 % len(adjs)]} {nouns[i * 5 % len(nouns)]} {i + 1}"
        swatches = "".join(
            f'<li class="swatch"><button class="swatch__btn" aria-label="Color {c}" '
            f'style="background:#{(i * 977 + k * 131) % 0xFFFFFF:06x}"></button></li>'
            for k, c in enumerate(["Walnut", "Oak", "Black", "White", "Grey"])
        )
        tiles.append(
            f'<div class="col col-sm-6 col-lg-3"><div class="tile" data-product-id="{100000 + i}">'
            f'<div class="tile__image-wrap"><a class="tile__image-link" href="/p/{100000 + i}">'
            f'<img class="tile__img" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
            f'data-src="https://img.furnish.example/p/{100000 + i}/main_800x800.jpg" alt="{name}"></a>'
            f'<button class="tile__wish" aria-label="Add {name} to wishlist"><svg viewBox="0 0 24 24">'
            f'<path d="M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 '
            f'4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54z"/>'
            f'</svg></button></div><div class="tile__body"><a class="tile__title" href="/p/{100000 + i}">'
            f'{name}</a><div class="tile__meta"><span class="tile__brand">by Furnish&amp;Co</span></div>'
            f'<div class="tile__rating" aria-label="Rated {3 + i % 20 / 10:.1f} out of 5 stars">'
            f'<span class="tile__stars"></span><span class="tile__review-count">({i * 37 + 5:,})</span></div>'
            f'<div class="tile__price"><span class="tile__price-current">${(i * 53) % 2400 + 39:,}.99</span>'
            f'</div><ul class="swatches">{swatches}</ul><div class="tile__shipping">Free shipping</div>'
            f'<button class="tile__cta">Quick view</button></div></div></div>'
        )
    rows = "".join(f'<div class="row">{"".join(tiles[j : j + 4])}</div>' for j in range(0, len(tiles), 4))
    blob = "{" + ",".join(f'"k{i}":"{"x" * 80}"' for i in range(1200)) + "}"
    footer = "".join(f'<li><a href="/help/{i}">Help topic {i}</a></li>' for i in range(120))
    return (
        f"<!DOCTYPE html><html><head><title>Furniture</title><style>{'.c{color:red}' * 2000}</style>"
        f'</head><body><header><nav class="mega-menu"><ul>{menu}</ul></nav></header><main>'
        f'<h1>All furniture</h1><div class="plp-grid container">{rows}</div></main><footer><ul>{footer}'
        f'</ul></footer><script type="application/json">{blob}</script></body></html>'
    )


def test_large_page_reads_every_field_of_its_first_records() -> None:
    html = _big_catalog()
    assert len(html) > 400_000
    spec = _spec(
        "name",
        "url",
        ("price", "decimal"),
        ("rating", "str", False),
        ("reviews", "int", False),
        ("image_url", "str", False),
        max_items=24,
        entity="product",
    )
    rows = extract_rows(html, spec, "https://www.furnish.example/c/all")
    assert len(rows) == 24
    assert rows[1] == {
        "name": "Vintage Area Rug 2",
        "url": "https://www.furnish.example/p/100001",
        "price": "$92.99",
        "rating": "3.1",
        "reviews": 42,
        "image_url": "https://img.furnish.example/p/100001/main_800x800.jpg",
    }  # the image from a lazy data-src, the rating only in an aria-label
    assert [r["reviews"] for r in rows[:4]] == [5, 42, 79, 116]


def test_marketplace_results_with_split_prices_and_stated_values() -> None:
    spec = _spec(
        "title",
        "price",
        ("rating", "str", False),
        ("review_count", "int", False),
        "product_url",
        ("asin", "str", False),
        max_items=5,
        entity="product",
    )
    rows = extract_rows(_page("marketplace_search.html"), spec, "https://www.shop.example/s?k=kettle")
    assert rows == [  # the sponsored card is left out
        {
            "title": "Acme Electric Kettle, 1.7L, Stainless Steel",
            "price": "$34.99",
            "rating": "4.6",
            "review_count": 12417,
            "product_url": "https://www.shop.example/Acme-Kettle/dp/B0A1/ref=sr_1_1",
            "asin": "B0A1",
        },
        {
            "title": "Zen Glass Kettle with Tea Infuser",
            "price": "$27.49",
            "rating": "4.2",
            "review_count": 987,
            "product_url": "https://www.shop.example/Zen-Kettle/dp/B0A3/ref=sr_1_3",
            "asin": "B0A3",
        },
    ]


def test_news_front_with_bylines() -> None:
    story = (
        '<article class="story"><a href="/{slug}"><h3 class="story__headline">{title}</h3></a>'
        '<p class="story__byline">By <span class="author">{who}</span> · <time>{when}</time></p>'
        '<p class="story__summary">{summary}</p></article>'
    )
    html = (
        "<html><body><main><h2>Top stories</h2>"
        + "".join(
            story.format(**s)
            for s in [
                {
                    "slug": "ports",
                    "title": "Port workers strike",
                    "who": "Jane Okafor",
                    "when": "9:00 AM ET",
                    "summary": (
                        "Dockworkers at 14 ports walked out after talks over automated cranes collapsed."
                    ),
                },
                {
                    "slug": "chips",
                    "title": "New chip tariffs take effect",
                    "who": "Luis Ortega",
                    "when": "8:10 AM ET",
                    "summary": "Importers scrambled to reroute shipments ahead of the midnight deadline.",
                },
                {
                    "slug": "comet",
                    "title": "A comet will be visible",
                    "who": "Sara Lind",
                    "when": "Feb. 28, 2025",
                    "summary": "Look low in the western sky just after sunset.",
                },
            ]
        )
        + "</main></body></html>"
    )
    spec = _spec("headline", "url", "author", "published", "summary", max_items=5, entity="article")
    rows = extract_rows(html, spec, "https://news.example/")
    assert rows[2] == {
        "headline": "A comet will be visible",
        "url": "https://news.example/comet",
        "author": "Sara Lind",
        "published": "Feb. 28, 2025",
        "summary": "Look low in the western sky just after sunset.",
    }
    assert [r["author"] for r in rows] == ["Jane Okafor", "Luis Ortega", "Sara Lind"]


def test_single_row_on_a_list_page_reads_its_first_item() -> None:
    spec = _spec(("rank", "int"), "title", ("story_url", "str", False), ("points", "int", False))
    rows = extract_rows(_page("hn_front.html"), spec, "https://news.ycombinator.com/")
    assert rows == [
        {
            "rank": 1,
            "title": "Show HN: A tiny SQLite-backed job queue",
            "story_url": "https://github.com/acme/liteq",
            "points": 412,
        }
    ]


def test_page_behind_an_open_dialog_is_still_read() -> None:
    items = "".join(
        f'<li class="item"><a href="/p/{i}">Item number {i} with a long enough name</a>'
        f'<span class="price">${i}0</span></li>'
        for i in range(1, 12)
    )
    html = (
        f'<html><body><div id="root" aria-hidden="true"><h1>Shop</h1><ul>{items}</ul></div>'
        '<div role="dialog"><p>We use cookies.</p><button>Accept</button></div></body></html>'
    )
    rows = extract_rows(html, _spec("name", ("price", "int"), max_items=2), "https://x.example/")
    assert rows == [
        {"name": "Item number 1 with a long enough name", "price": 10},
        {"name": "Item number 2 with a long enough name", "price": 20},
    ]


def test_spec_table_and_bold_labels_on_a_detail_page() -> None:
    html = """<html><body><main><h1>Dell XPS 13 (9340)</h1>
      <div class="buy"><span class="now">$1,099.99</span></div>
      <table class="specs"><tr><th>Processor</th><td>Intel Core Ultra 7 155H</td></tr>
      <tr><th>Memory</th><td>16 GB LPDDR5x</td></tr><tr><th>Storage</th><td>512 GB SSD</td></tr></table>
      <p><strong>Warranty:</strong> 1 year limited</p>
      <p><strong>In stock:</strong> Yes</p></main></body></html>"""
    spec = _spec(
        "name", "price", "processor", ("memory_gb", "int"), "storage", "warranty", ("in_stock", "bool")
    )
    assert extract_rows(html, spec, "https://x.example/xps") == [
        {
            "name": "Dell XPS 13 (9340)",
            "price": "$1,099.99",
            "processor": "Intel Core Ultra 7 155H",
            "memory_gb": 16,
            "storage": "512 GB SSD",
            "warranty": "1 year limited",
            "in_stock": True,
        }
    ]


def test_cards_named_by_test_ids() -> None:
    card = (
        '<li><div class="cardOutline"><h2 class="jobTitle"><a href="/rc/clk?jk={jk}">'
        '<span title="{t}">{t}</span></a></h2><div class="company_location">'
        '<span data-testid="company-name">{c}</span><div data-testid="text-location">{loc}</div></div>'
        '<div class="salary-snippet-container"><div data-testid="attribute_snippet_testid">{pay}</div>'
        '</div><span class="date">Posted {d}</span></div></li>'
    )
    jobs = [
        ("a1", "Data Analyst", "Acme Corp", "Remote", "$70,000 - $85,000 a year", "3 days ago"),
        ("b2", "BI Developer", "Globex", "Chicago, IL", "$95,000 a year", "Just posted"),
        ("c3", "Analytics Engineer", "Initech", "Austin, TX 78701", "Full-time", "30+ days ago"),
    ]
    cards = "".join(card.format(jk=jk, t=t, c=c, loc=loc, pay=pay, d=d) for jk, t, c, loc, pay, d in jobs)
    html = f"<html><body><ul>{cards}</ul></body></html>"
    spec = _spec(
        "job_title",
        "company",
        "location",
        ("salary", "str", False),
        ("posted", "str", False),
        "url",
        max_items=5,
    )
    rows = extract_rows(html, spec, "https://jobs.example/q")
    assert rows[0] == {
        "job_title": "Data Analyst",
        "company": "Acme Corp",
        "location": "Remote",
        "salary": "$70,000 - $85,000 a year",
        "posted": "3 days ago",
        "url": "https://jobs.example/rc/clk?jk=a1",
    }
    assert [r["posted"] for r in rows] == ["3 days ago", "Just posted", "30+ days ago"]
    assert rows[2]["salary"] is None  # "Full-time" sits where pay would, but a salary has digits


def test_a_list_of_one_is_named_by_its_own_cell_not_by_the_list_heading() -> None:
    """A search that matched one record: the page's heading repeats the tab's title, but it names the
    list, not the one item under it."""
    html = """<html><head><title>Suppliers · Ledgerly</title></head><body><div class="a1">
    <nav aria-label="Main"><p>Ledgerly</p><a href="/s">Suppliers</a></nav><div class="a2">
    <header><span>me@ledgerly.example</span><a href="/out">Sign out</a></header><main>
    <div class="x9"><div><h1>Suppliers</h1><p>Everyone who ships to us.</p></div>
    <a href="/s/new">Add</a></div>
    <section><form role="search"><div><label for="q">Find suppliers</label><input id="q" value="brass">
    </div><button>Go</button><p role="status">1 supplier matching "brass"</p></form>
    <table class="t0"><thead><tr><th>Name</th><th>Email</th><th>Phone</th><th>Region</th><th>Tier</th></tr>
    </thead><tbody><tr><td><a href="/s/7">Pim Brassworks</a></td><td>pim@brass.example</td>
    <td>+31 555 0172</td><td>North</td><td><span class="b3">Gold</span></td></tr></tbody></table>
    </section></main></div></div></body></html>"""
    spec = _spec(
        "name", "email", ("region", "str", False), ("tier", "str", False), max_items=10, entity="supplier"
    )
    rows = extract_rows(html, spec, "https://ledgerly.example/s?q=brass")
    one = {"name": "Pim Brassworks", "email": "pim@brass.example", "region": "North", "tier": "Gold"}
    assert rows == [one]

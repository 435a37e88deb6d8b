"""Harbor Trader, the demo boat and vehicle marketplace under ``/demo/marketplace/``.

It carries the things that make real marketplaces hard to automate: server-side filters in a GET form,
paginated results, ad and financing cards mixed into the grid, a cookie banner covering the page until
it is accepted, and a seller phone number that only arrives through a script after a click.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from mantis.demo.layout import esc, html_page, local_target, read_form, site_url
from mantis.demo.listings import STATES, Listing, all_listings, find_listing
from mantis.demo.styles import MARKETPLACE_CSS

router = APIRouter(prefix="/marketplace")

PAGE_SIZE = 12
CONSENT_COOKIE = "consent"
SITE_NAME = "Harbor Trader"

SELLER_CHOICES = (("any", "Any seller"), ("private", "Private seller"), ("dealer", "Dealer"))
CATEGORY_CHOICES = (("", "All categories"), ("boat", "Boats"), ("vehicle", "Cars & trucks"))
SORT_CHOICES = (
    ("newest", "Newest listings"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("year_desc", "Year: newest first"),
)

# (advertiser, headline, detail, call to action, landing page); .example domains never resolve.
SPONSORED = (
    ("Gulf Coast Marine", "Spring Boat Show: 0% down on in-stock Boston Whalers",
     "Tampa, FL · Sea trials every weekend through May 31", "View inventory",
     "https://gulfcoastmarine.example/inventory?utm_source=harbortrader"),
    ("Seaward Electronics", "Chartplotters and fishfinders: save up to $300",
     "Free two-day shipping on marine electronics", "Shop the sale",
     "https://seaward-electronics.example/sale?utm_source=harbortrader"),
    ("Sunshine Ford", "Truck Month: 0.9% APR on every new F-150",
     "Jacksonville, FL · Offer ends Monday", "See offers",
     "https://sunshineford.example/specials?utm_source=harbortrader"),
    ("Anchor Mutual", "Boat insurance from $19/month",
     "Agreed-value coverage with on-water towing included", "Get a quote",
     "https://anchormutual.example/boat?utm_source=harbortrader"),
)
FINANCING = (("boat", "Get pre-approved for boat financing — rates from 6.9% APR"),
             ("auto", "Get pre-approved for auto financing — rates from 5.9% APR"))

BOAT_ICON = (
    '<svg viewBox="0 0 120 60" aria-hidden="true" focusable="false"><path d="M10 36h100l-16 15H26z"/>'
    '<path d="M38 36V22h30l14 14z" opacity=".8"/><path d="M2 56c10-4 20 4 30 0s20-4 30 0 20 4 30 0 20-4 26 0"'
    ' fill="none" stroke="currentColor" stroke-width="2"/></svg>'
)
VEHICLE_ICON = (
    '<svg viewBox="0 0 120 60" aria-hidden="true" focusable="false">'
    '<path d="M8 42V31l14-13h42l16 13h24c4 0 8 3 8 7v4z"/><path d="M28 22h16v9H20zM50 22h12l10 9H50z"'
    ' fill="#fff" opacity=".35"/><circle cx="30" cy="44" r="8"/><circle cx="90" cy="44" r="8"/></svg>'
)


@dataclass(frozen=True)
class Filters:
    """The list page's query string, normalised; the same values drive filtering and every link."""

    seller: str = "any"
    state: str = ""
    category: str = ""
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "newest"

    @classmethod
    def from_request(cls, request: Request) -> Filters:
        query = request.query_params
        seller = query.get("seller", "any")
        state = query.get("state", "").upper()
        category = query.get("type", "")
        sort = query.get("sort", "newest")
        return cls(
            seller=seller if seller in {"private", "dealer"} else "any",
            state=state if state in STATES else "",
            category=category if category in {"boat", "vehicle"} else "",
            min_price=_parse_number(query.get("min_price", "")),
            max_price=_parse_number(query.get("max_price", "")),
            sort=sort if sort in dict(SORT_CHOICES) else "newest",
        )

    def matches(self, listing: Listing) -> bool:
        return (
            (self.seller == "any" or listing.seller_type == self.seller)
            and (not self.state or listing.state == self.state)
            and (not self.category or listing.kind == self.category)
            and (self.min_price is None or listing.price >= self.min_price)
            and (self.max_price is None or listing.price <= self.max_price)
        )

    def apply(self, listings: tuple[Listing, ...]) -> list[Listing]:
        found = [listing for listing in listings if self.matches(listing)]
        if self.sort == "price_asc":
            found.sort(key=lambda listing: listing.price)
        elif self.sort == "price_desc":
            found.sort(key=lambda listing: -listing.price)
        elif self.sort == "year_desc":
            found.sort(key=lambda listing: -listing.year)
        return found

    def params(self, page: int = 1) -> dict[str, str]:
        """Query parameters for a link to this filtered view; defaults are left out."""
        return {
            "type": self.category,
            "seller": "" if self.seller == "any" else self.seller,
            "state": self.state,
            "min_price": "" if self.min_price is None else str(self.min_price),
            "max_price": "" if self.max_price is None else str(self.max_price),
            "sort": "" if self.sort == "newest" else self.sort,
            "page": "" if page == 1 else str(page),
        }

    @property
    def active(self) -> bool:
        return replace(self, sort="newest") != Filters()


def _parse_number(raw: str) -> int | None:
    """Accept what people type into a number box ("35000", "$35,000"); ignore anything else."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return int(digits) if digits else None


def _money(amount: int) -> str:
    return f"${amount:,}"


def _measure(listing: Listing) -> tuple[str, str]:
    if listing.length_ft is not None:
        return "Length", f"{listing.length_ft} ft"
    return "Mileage", f"{listing.mileage or 0:,} mi"


def _seller_badge(listing: Listing) -> str:
    if listing.seller_type == "dealer":
        return f'<p class="seller-badge seller-badge--dealer">Dealer · {esc(listing.seller_name)}</p>'
    return '<p class="seller-badge seller-badge--private">Private seller</p>'


def _media(listing: Listing, modifier: str) -> str:
    icon = BOAT_ICON if listing.kind == "boat" else VEHICLE_ICON
    hue = listing.id % 360
    return (
        f'<div class="media media--{listing.kind} {modifier}" style="--hue:{hue}" role="img" '
        f'aria-label="Photo of {esc(listing.title)}">{icon}</div>'
    )


def _listing_card(request: Request, listing: Listing) -> str:
    href = site_url(request, f"marketplace/listing/{listing.id}")
    label, value = _measure(listing)
    return (
        f'<article class="listing-card" data-listing-id="{listing.id}">'
        f"{_media(listing, 'listing-card__media')}"
        '<div class="listing-card__body">'
        f'<h2 class="listing-card__title"><a href="{esc(href)}">{esc(listing.title)}</a></h2>'
        f'<p class="listing-card__price">{_money(listing.price)}</p>'
        f'<p class="listing-card__location">{esc(listing.location)}</p>'
        '<dl class="listing-card__specs">'
        f"<div><dt>Year</dt><dd>{listing.year}</dd></div>"
        f"<div><dt>{label}</dt><dd>{esc(value)}</dd></div></dl>"
        f"{_seller_badge(listing)}</div></article>"
    )


def _sponsored_card(index: int) -> str:
    advertiser, headline, detail, action, url = SPONSORED[index % len(SPONSORED)]
    return (
        '<aside class="promo-card promo-card--sponsored" aria-label="Sponsored">'
        '<p class="promo-card__tag">Sponsored</p>'
        f'<p class="promo-card__brand">{esc(advertiser)}</p>'
        f'<p class="promo-card__headline">{esc(headline)}</p>'
        f'<p class="promo-card__text">{esc(detail)}</p>'
        f'<a class="btn btn--outline" href="{esc(url)}" rel="sponsored noopener" target="_blank">'
        f"{esc(action)}</a></aside>"
    )


def _financing_card(index: int) -> str:
    product, headline = FINANCING[index % len(FINANCING)]
    return (
        '<aside class="promo-card promo-card--finance" aria-label="Financing offer">'
        f'<p class="promo-card__tag">{SITE_NAME} Financing</p>'
        f'<p class="promo-card__headline">{esc(headline)}</p>'
        '<p class="promo-card__text">Checking your rate takes two minutes and won\'t affect your credit '
        "score.</p>"
        '<form class="promo-card__form" action="https://keelcredit.example/prequalify" method="get">'
        f'<input type="hidden" name="product" value="{product}">'
        '<button class="btn btn--primary" type="submit">Check your rate</button></form>'
        '<p class="promo-card__fineprint">APR = Annual Percentage Rate. Offered by Keel Credit Union, '
        "member NCUA. Rates for well-qualified buyers.</p></aside>"
    )


def _grid(request: Request, listings: list[Listing], page: int) -> str:
    """Listing cards with a sponsored card after the 3rd and a financing card after the 8th."""
    cells: list[str] = []
    for position, listing in enumerate(listings, start=1):
        cells.append(_listing_card(request, listing))
        if position == 3:
            cells.append(_sponsored_card(page - 1))
        elif position == 8:
            cells.append(_financing_card(page - 1))
    return f'<div class="results-grid">{"".join(cells)}</div>'


def _choice_options(choices: tuple[tuple[str, str], ...], selected: str) -> str:
    return "".join(
        f'<option value="{esc(value)}"{" selected" if value == selected else ""}>{esc(text)}</option>'
        for value, text in choices
    )


def _filter_form(request: Request, filters: Filters) -> str:
    radios = "".join(
        f'<label class="radio"><input type="radio" name="seller" value="{value}"'
        f'{" checked" if filters.seller == value else ""}> {esc(text)}</label>'
        for value, text in SELLER_CHOICES
    )
    states = (("", "Any state"), *((code, f"{name} ({code})") for code, name in
                                   sorted(STATES.items(), key=lambda item: item[1])))
    min_price = "" if filters.min_price is None else str(filters.min_price)
    max_price = "" if filters.max_price is None else str(filters.max_price)
    clear = (
        f'<a class="filters__clear" href="{esc(site_url(request, "marketplace/"))}">Clear filters</a>'
        if filters.active else ""
    )
    return (
        '<aside class="filters" aria-labelledby="filters-heading">'
        '<h2 id="filters-heading" class="filters__heading">Filter results</h2>'
        f'<form class="filters__form" method="get" action="{esc(site_url(request, "marketplace/"))}">'
        '<div class="field"><label for="f-type">Category</label>'
        f'<select id="f-type" name="type">{_choice_options(CATEGORY_CHOICES, filters.category)}</select>'
        "</div>"
        f'<fieldset class="field field--radios"><legend>Seller type</legend>{radios}</fieldset>'
        '<div class="field"><label for="f-state">State</label>'
        f'<select id="f-state" name="state">{_choice_options(states, filters.state)}</select></div>'
        '<div class="field field--row"><div><label for="f-min">Min price</label>'
        f'<input id="f-min" type="number" name="min_price" min="0" step="500" inputmode="numeric" '
        f'placeholder="$ No min" value="{min_price}"></div>'
        '<div><label for="f-max">Max price</label>'
        f'<input id="f-max" type="number" name="max_price" min="0" step="500" inputmode="numeric" '
        f'placeholder="$ No max" value="{max_price}"></div></div>'
        '<div class="field"><label for="f-sort">Sort by</label>'
        f'<select id="f-sort" name="sort">{_choice_options(SORT_CHOICES, filters.sort)}</select></div>'
        f'<button class="btn btn--primary btn--block" type="submit">Apply filters</button>{clear}'
        "</form></aside>"
    )


def _pagination(request: Request, filters: Filters, page: int, pages: int) -> str:
    if pages <= 1:
        return ""

    def link(target: int, text: str, rel: str = "") -> str:
        href = esc(site_url(request, "marketplace/", filters.params(target)))
        rel_attr = f' rel="{rel}"' if rel else ""
        return f'<a class="pagination__link" href="{href}"{rel_attr}>{text}</a>'

    items = [link(page - 1, "Previous", "prev") if page > 1 else
             '<span class="pagination__link is-disabled" aria-disabled="true">Previous</span>']
    for number in range(1, pages + 1):
        if number == page:
            items.append(f'<span class="pagination__link is-current" aria-current="page">{number}</span>')
        else:
            items.append(link(number, str(number)))
    items.append(link(page + 1, "Next", "next") if page < pages else
                 '<span class="pagination__link is-disabled" aria-disabled="true">Next</span>')
    return f'<nav class="pagination" aria-label="Pagination">{"".join(items)}</nav>'


def _consent_banner(request: Request, next_url: str) -> str:
    """The cookie banner: fixed over the bottom of the page until a ``consent`` cookie exists."""
    if request.cookies.get(CONSENT_COOKIE):
        return ""
    action = esc(site_url(request, "marketplace/consent"))
    toggle = "this.form.querySelector('.consent__prefs').hidden=false;this.hidden=true"
    return (
        '<div class="consent" role="dialog" aria-label="Cookie consent" aria-describedby="consent-text">'
        f'<form class="consent__inner" method="post" action="{action}">'
        f'<input type="hidden" name="next" value="{esc(next_url)}">'
        '<div class="consent__copy"><p class="consent__title">We value your privacy</p>'
        f'<p id="consent-text" class="consent__text">{SITE_NAME} uses cookies to keep you signed in, '
        "remember your searches, measure traffic and show ads from our dealer partners. Choose "
        "&ldquo;Accept all&rdquo; to allow every cookie, or manage which ones we may use.</p></div>"
        '<div class="consent__actions">'
        f'<button class="btn btn--ghost-light" type="button" onclick="{toggle}">Manage preferences</button>'
        '<button class="btn btn--primary" type="submit" name="choice" value="all">Accept all</button></div>'
        '<fieldset class="consent__prefs" hidden><legend>Cookie preferences</legend>'
        '<label><input type="checkbox" checked disabled> Strictly necessary</label>'
        '<label><input type="checkbox" name="analytics" value="1"> Analytics</label>'
        '<label><input type="checkbox" name="advertising" value="1"> Advertising</label>'
        '<button class="btn btn--primary" type="submit" name="choice" value="custom">'
        "Save preferences</button>"
        "</fieldset></form></div>"
    )


def _shell(request: Request, title: str, main: str, next_url: str, status_code: int = 200) -> HTMLResponse:
    home = esc(site_url(request, "marketplace/"))
    nav = "".join(
        f'<a class="site-nav__link" href="{esc(site_url(request, "marketplace/", {"type": value}))}">'
        f"{esc(text)}</a>"
        for value, text in (("boat", "Boats"), ("vehicle", "Cars & trucks"))
    )
    body = (
        '<header class="site-header"><div class="container site-header__inner">'
        f'<a class="brand" href="{home}"><span class="brand__mark" aria-hidden="true">⚓</span>'
        f"{SITE_NAME}</a>"
        f'<nav class="site-nav" aria-label="Main">{nav}</nav>'
        '<p class="site-header__tagline">Boats &amp; vehicles from owners and dealers</p></div></header>'
        f'<main class="container page">{main}</main>'
        '<footer class="site-footer"><div class="container">'
        f"<p>&copy; 2025 {SITE_NAME} · A demo marketplace served by Mantis. Listings are fictional.</p>"
        "</div></footer>"
        f"{_consent_banner(request, next_url)}"
    )
    return html_page(f"{title} | {SITE_NAME}", body, css=MARKETPLACE_CSS, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
async def listings_page(request: Request) -> HTMLResponse:
    """The search results page: filters, count, card grid with ads, pagination."""
    filters = Filters.from_request(request)
    found = filters.apply(all_listings())
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(1, _parse_number(request.query_params.get("page", "")) or 1), pages)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    heading = {"boat": "Boats for sale", "vehicle": "Cars & trucks for sale"}.get(
        filters.category, "Boats & vehicles for sale"
    )
    if shown:
        first = (page - 1) * PAGE_SIZE + 1
        count = f"Showing {first}–{first + len(shown) - 1} of {len(found)} listings"
        results = _grid(request, shown, page) + _pagination(request, filters, page, pages)
    else:
        count = "Showing 0 of 0 listings"
        results = (
            '<div class="empty"><p class="empty__title">No listings match your filters.</p>'
            f'<a class="btn btn--outline" href="{esc(site_url(request, "marketplace/"))}">Clear filters</a>'
            "</div>"
        )
    main = (
        '<div class="layout">'
        f"{_filter_form(request, filters)}"
        '<section class="results" aria-labelledby="results-heading">'
        f'<div class="results__header"><h1 id="results-heading">{esc(heading)}</h1>'
        f'<p class="results__count" role="status">{esc(count)}</p></div>{results}</section></div>'
    )
    query = request.url.query
    next_url = site_url(request, "marketplace/") + (f"?{query}" if query else "")
    return _shell(request, heading, main, next_url)


def _not_found(request: Request) -> HTMLResponse:
    main = (
        '<section class="not-found"><h1>Listing not found</h1>'
        "<p>This listing may have sold or been removed by the seller.</p>"
        f'<a class="btn btn--primary" href="{esc(site_url(request, "marketplace/"))}">Browse all listings</a>'
        "</section>"
    )
    return _shell(request, "Listing not found", main, site_url(request, "marketplace/"), status_code=404)


@router.get("/listing/{listing_id}", response_class=HTMLResponse)
async def listing_page(request: Request, listing_id: str) -> HTMLResponse:
    """One listing. The phone number is deliberately absent: "Show phone" fetches it on click."""
    listing = find_listing(int(listing_id)) if listing_id.isdigit() else None
    if listing is None:
        return _not_found(request)
    label, value = _measure(listing)
    seller_type = "Dealer" if listing.seller_type == "dealer" else "Private seller"
    specs = (
        ("Year", str(listing.year)), ("Make", listing.make), ("Model", listing.model), (label, value),
        ("Location", listing.location), ("Seller type", seller_type),
    )
    spec_rows = "".join(f"<div><dt>{esc(term)}</dt><dd>{esc(text)}</dd></div>" for term, text in specs)
    phone_url = site_url(request, f"marketplace/api/listings/{listing.id}/phone")
    category = "Boats" if listing.kind == "boat" else "Cars & trucks"
    results_url = site_url(request, "marketplace/", {"type": listing.kind})
    main = (
        '<nav class="breadcrumbs" aria-label="Breadcrumb">'
        f'<a href="{esc(site_url(request, "marketplace/"))}">All listings</a> › '
        f'<a href="{esc(results_url)}">{category}</a> › '
        f'<span aria-current="page">{esc(listing.title)}</span></nav>'
        '<div class="detail">'
        '<article class="detail__main">'
        f"{_media(listing, 'detail__media')}"
        f'<h1 class="detail__title">{esc(listing.title)}</h1>'
        f'<p class="detail__price">{_money(listing.price)}</p>'
        f'<p class="detail__location">{esc(listing.location)}</p>'
        f'<h2 class="detail__section">Specifications</h2><dl class="spec-table">{spec_rows}</dl>'
        '<h2 class="detail__section">Description</h2>'
        f'<p class="detail__description">{esc(listing.description)}</p>'
        "</article>"
        '<section class="seller-box" id="seller-box" aria-labelledby="seller-heading">'
        '<h2 id="seller-heading" class="seller-box__heading">Seller</h2>'
        f'<p class="seller-box__name">{esc(listing.seller_name)}</p>'
        f'<p class="seller-box__type">{seller_type} · {esc(listing.location)}</p>'
        '<p class="seller-box__phone" id="seller-phone"></p>'
        '<button class="btn btn--primary btn--block" type="button" id="show-phone" '
        f'data-phone-url="{esc(phone_url)}">'
        "Show phone</button>"
        '<p class="seller-box__note">Tell the seller you found this listing on Harbor Trader.</p>'
        "</section></div>"
        "<script>"
        "document.getElementById('show-phone').addEventListener('click', async (event) => {"
        "const button = event.currentTarget; button.disabled = true;"
        "const response = await fetch(button.dataset.phoneUrl, {headers: {Accept: 'application/json'}});"
        "if (!response.ok) { button.disabled = false; return; }"
        "const data = await response.json();"
        "const link = document.createElement('a');"
        "link.href = 'tel:' + data.tel; link.className = 'seller-box__tel'; link.textContent = data.phone;"
        "document.getElementById('seller-phone').replaceChildren(link); button.hidden = true;"
        "});</script>"
    )
    return _shell(request, listing.title, main, site_url(request, f"marketplace/listing/{listing.id}"))


@router.get("/api/listings/{listing_id}/phone")
async def listing_phone(listing_id: str) -> JSONResponse:
    """The seller's phone number, served separately so it is not scraped from the page HTML."""
    listing = find_listing(int(listing_id)) if listing_id.isdigit() else None
    if listing is None:
        return JSONResponse({"detail": "Listing not found"}, status_code=404)
    return JSONResponse(
        {"id": listing.id, "phone": listing.phone, "tel": listing.tel},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/consent")
async def save_consent(request: Request) -> Response:
    """Record the visitor's cookie choice and send them back to the page they were on."""
    form = await read_form(request)
    if form.get("choice") == "all":
        value = "all"
    else:
        value = "-".join(["necessary", *(name for name in ("analytics", "advertising") if form.get(name))])
    home = site_url(request, "marketplace/")
    target = local_target(form.get("next", ""), home, site_url(request, "marketplace"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(CONSENT_COOKIE, value, max_age=365 * 24 * 3600, path="/", samesite="lax")
    return response

"""Offline extraction from what the screen shows: pages rendered by Chromium at 1280x800, read by the
computer plane's OCR exactly as its sessions read the screen, and extracted with no DOM at all."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from PIL import Image
from playwright.async_api import async_playwright

from mantis.brains.base import PlanningError
from mantis.brains.offline.brain import OfflineBrain
from mantis.brains.offline.screen_extract import extract_from_screen
from mantis.demo import router
from mantis.demo.listings import all_listings
from mantis.demo.marketplace import Filters
from mantis.planes.base import Element, Observation
from mantis.planes.chromium import CHROMIUM
from mantis.planes.ocr import read_text
from mantis.planes.subproc import session_env
from mantis.plans.models import ExtractSpec, MicroPlan

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK) or shutil.which("tesseract") is None,
    reason="needs Debian's Chromium and tesseract",
)

GRID = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:"Helvetica Neue",Arial,sans-serif;color:#222;background:#fafafa}
header{background:#1b3a2f;color:#fff;padding:14px 32px;display:flex;gap:28px;align-items:center}
header .logo{font-size:22px;font-weight:700} header a{color:#cfe;margin-right:18px;font-size:15px}
.wrap{display:flex;gap:32px;padding:24px 32px} aside{width:200px;flex:none;font-size:14px}
aside h2{font-size:16px;margin:0 0 10px} aside label{display:block;margin:6px 0} main{flex:1}
main h1{font-size:26px;margin:0 0 4px} .count{color:#666;font-size:14px;margin:0 0 18px}
.grid{display:grid;grid-template-columns:repeat(4,1fr);gap:20px}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;overflow:hidden}
.img{height:110px;background:linear-gradient(135deg,#9bc,#cde)} .body{padding:10px 12px 14px}
.brand{font-size:11px;letter-spacing:.08em;text-transform:uppercase;color:#888;margin:0}
.name{font-size:16px;font-weight:700;margin:4px 0 6px;line-height:1.3}
.rating{font-size:13px;color:#b07b00;margin:0 0 6px} .price{font-size:19px;font-weight:700;margin:0}
.was{font-size:13px;color:#999;text-decoration:line-through;margin-left:6px;font-weight:400}
.stock{font-size:12px;margin:8px 0 0;color:#2a7} .stock.out{color:#c33}
</style></head><body><header><span class="logo">Basecamp Supply</span>
<nav><a>Tents</a><a>Packs</a><a>Footwear</a><a>Sale</a></nav></header>
<div class="wrap"><aside><h2>Refine</h2><label><input type="checkbox"> In stock only</label>
<label><input type="checkbox"> Free shipping</label><h2 style="margin-top:18px">Brand</h2>
<label><input type="checkbox"> Alpine Co</label><label><input type="checkbox"> Northpeak</label></aside>
<main><h1>Hiking gear</h1><p class="count">8 products</p><div class="grid">CARDS</div></main></div>
</body></html>"""
# brand, name, rating, price, struck-through price, in stock
PRODUCTS = [
    ("Alpine Co", "Trail Runner 2 Shoe", "4.6 (212)", "$89.50", "", True),
    ("Northpeak", "Summit Down Jacket", "4.8 (1,034)", "$249.00", "$299.00", True),
    ("Ridgeline", "Ridge 45L Backpack", "4.4 (87)", "$1,179.99", "", False),
    ("Camp Kitchen", "Enamel Camp Mug", "4.2 (45)", "$14.95", "", True),
    ("Lumen Labs", "Headlamp 400 Lumen", "4.9 (530)", "$39.00", "", True),
    ("Woolly", "Merino Wool Socks (3-Pack)", "4.5 (2,291)", "$24.00", "", True),
    ("Ridgeline", "Carbon Trekking Poles", "4.3 (310)", "$129.00", "", False),
    ("Northpeak", "Stormline Rain Shell", "4.1 (96)", "$159.00", "", True),
]

TABLE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;color:#202122;font-family:Georgia,serif} .content{padding:10px 40px}
.top{border-bottom:1px solid #a2a9b1;padding:12px 40px;font:14px sans-serif;color:#36c}
h1{font-weight:400;font-size:28px;margin:10px 0 8px} p{font:14px/1.6 sans-serif}
table{border-collapse:collapse;font:14px sans-serif;margin-top:12px}
th,td{border:1px solid #a2a9b1;padding:6px 12px;text-align:left} th{background:#eaecf0} td.n{text-align:right}
</style></head><body><div class="top">Food Guide &nbsp;·&nbsp; Cities &nbsp;·&nbsp; Rankings</div>
<div class="content"><h1>Top-rated restaurants of 2025</h1><p>Restaurants ranked by the average score from
our critics. Prices are the typical cost of dinner for one, before drinks and tip.</p><table><thead><tr>
<th>#</th><th>Restaurant</th><th>City</th><th>Cuisine</th><th>Score</th><th>Avg. price</th></tr></thead>
<tbody>ROWS</tbody></table></div></body></html>"""
RESTAURANTS = [
    ("Maison Claire", "Portland, OR", "French", "9.6", 145),
    ("Casa Olivo", "Austin, TX", "Spanish", "9.4", 88),
    ("Noodle Bar Hoshi", "Seattle, WA", "Japanese", "9.3", 42),
    ("The Larder", "Chicago, IL", "American", "9.1", 120),
    ("Green Fig", "Denver, CO", "Mediterranean", "9.0", 65),
    ("Smoke & Salt", "Kansas City, MO", "Barbecue", "8.9", 38),
]

DETAIL = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Roboto,Arial,sans-serif;color:#1a1a1a;background:#f4f5f7}
header{background:#fff;border-bottom:1px solid #ddd;padding:14px 40px;display:flex;
justify-content:space-between} header b{font-size:20px} .crumbs{padding:12px 40px;font-size:13px;color:#666}
.page{display:flex;gap:28px;padding:0 40px} .main{flex:1;background:#fff;border-radius:8px;padding:24px}
.side{width:300px;flex:none;background:#fff;border-radius:8px;padding:20px;font-size:14px;
align-self:flex-start} h1{font-size:30px;margin:0 0 6px} .price{font-size:28px;font-weight:700;margin:0}
.loc{color:#555;font-size:15px;margin:6px 0 20px}
.facts{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:22px}
.fact{background:#f4f5f7;border-radius:6px;padding:10px 12px} .v{font-size:17px;font-weight:600}
.k{font-size:12px;color:#777;text-transform:uppercase;letter-spacing:.05em} h2{font-size:19px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-size:15px} td{padding:8px 0;border-bottom:1px solid #eee}
td.l{color:#666;width:40%} .side h3{margin:0 0 8px;font-size:17px} .phone{font-size:18px;font-weight:700}
</style></head><body><header><b>AutoMart</b><span>Buy &nbsp; Sell &nbsp; Finance</span></header>
<div class="crumbs">Home › Used cars › Subaru</div><div class="page"><div class="main">
<h1>2021 Subaru Outback Limited XT</h1><p class="price">$31,995</p>
<p class="loc">Portland, OR · 12 miles away</p><div class="facts">
<div class="fact"><div class="k">Mileage</div><div class="v">42,315 mi</div></div>
<div class="fact"><div class="k">Drivetrain</div><div class="v">AWD</div></div>
<div class="fact"><div class="k">Fuel type</div><div class="v">Gasoline</div></div>
<div class="fact"><div class="k">Exterior</div><div class="v">Autumn Green</div></div></div>
<h2>Specifications</h2><table><tr><td class="l">Year</td><td>2021</td></tr>
<tr><td class="l">Make</td><td>Subaru</td></tr><tr><td class="l">Model</td><td>Outback</td></tr>
<tr><td class="l">Transmission</td><td>CVT Automatic</td></tr>
<tr><td class="l">Engine</td><td>2.4L Turbo H4</td></tr></table></div>
<div class="side"><h3>Pine Valley Motors</h3><p>4410 SE Powell Blvd, Portland, OR 97206</p>
<p class="phone">(503) 555-0187</p></div></div></body></html>"""

NEWS = """<!doctype html><html><head><meta charset="utf-8"><style>
body{font-family:Verdana,Geneva,sans-serif;font-size:10pt;color:#828282;margin:8px}
table{border-collapse:collapse} td{font-family:Verdana,Geneva,sans-serif;font-size:10pt;color:#828282}
#hn{width:85%;margin:0 auto;background:#f6f6ef} .hdr{background:#ff6600;padding:2px} .hdr a{color:#000}
.rank{text-align:right;vertical-align:top;padding-right:4px}
.vote{width:10px;vertical-align:top;padding-top:5px}
.vote div{width:0;height:0;border:5px solid transparent;border-bottom:7px solid #9a9a9a;margin-top:-4px}
.title a{color:#000;text-decoration:none} .site{font-size:8pt} .sub{font-size:7pt} .sub a{color:#828282}
.spacer{height:5px}
</style></head><body><table id="hn"><tr><td class="hdr" colspan="3"><b><a>Hacker News</a></b>
&nbsp;<a>new</a> | <a>past</a> | <a>comments</a> | <a>ask</a> | <a>show</a> | <a>jobs</a></td></tr>
<tr style="height:10px"></tr>ROWS</table></body></html>"""
# title, site, points, author, age, comments (a story without comments says "discuss")
STORIES = [
    ("Show HN: Tiny SQLite-backed job queue", "github.com/acme", 412, "mkern", "3 hours ago", 128),
    ("The hidden cost of retries in distributed systems", "example.com", 287, "tfeld", "6 hours ago", 96),
    ("Ask HN: How do you keep on-call sane?", None, 154, "quietops", "2 hours ago", 211),
    ("Reverse-engineering a 1987 pocket calculator", "righto.com", 98, "kens_fan", "1 hour ago", None),
    ("Why we moved our build cache off S3", "shopkeep.io", 1024, "r_alvarez", "7 hours ago", 342),
    ("Postgres 18 beta: async I/O benchmarks", "postgresql.org", 76, "sjm", "4 hours ago", 31),
    ("Designing a keyboard from scratch", "jvns.ca", 64, "rbanffy", "7 hours ago", 19),
    ("Maps of every coastline at the same scale", "mapsof.example", 671, "pgfan", "3 hours ago", 274),
]

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Arial,sans-serif;color:#222}
.logo{font:700 38px Georgia,serif;padding:18px 40px 6px}
nav{padding:6px 40px 14px;border-bottom:1px solid #ddd}
nav a{font-size:15px;margin-right:22px;color:#345}
.wrap{display:flex;gap:40px;padding:26px 40px} main{flex:1} aside{width:260px;flex:none;font-size:14px}
.dateline{font-size:14px;color:#666;margin:0 0 8px} h1{font-size:28px;margin:0 0 16px;line-height:1.25}
p{font-size:15px;line-height:1.55;margin:0 0 12px} aside h2{font-size:16px;margin:0 0 10px}
aside p{font-size:14px;margin:0 0 4px} aside .when{color:#888;font-size:13px;margin-bottom:14px}
</style></head><body><div class="logo">The Harbour Gazette</div><nav><a>Home</a><a>Region</a>
<a>Harbour</a><a>Sport</a><a>Kultur</a></nav><div class="wrap"><main>
<p class="dateline">Dienstag, 29. Januar 2019 · 9:40 · Christoph Becker · 71 Kommentare</p>
<h1>Night trains return to the northern coast</h1>
<p>After nine winters without a sleeper service, the line along the coast opens again this spring, with
two trains a night in each direction and a stop at every harbour town on the way.</p>
<p>The operator says the carriages have been rebuilt with smaller cabins, and that tickets will go on sale
at the stations and online from the first of March.</p></main>
<aside><h2>More stories</h2><p>Ferry timetable changes for the summer</p><p class="when">Mar 12, 2018</p>
<p>New cycle path opens along the quay</p><p class="when">Feb 2, 2018</p></aside></div></body></html>"""

BLOG = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Arial,sans-serif;color:#222} .top{padding:10px 40px;font-size:14px;color:#666}
nav{display:flex;gap:60px;padding:20px 40px;border-bottom:1px solid #eee} nav a{font:30px Georgia,serif}
.wrap{display:flex;gap:50px;padding:30px 40px} main{flex:1} aside{width:240px;flex:none}
.badge{font:700 44px Arial,sans-serif;color:#c33;margin:0} .day{font:32px Georgia,serif;margin:10px 0 0}
h1{font:700 26px Arial,sans-serif;margin:0 0 14px} p{font-size:15px;line-height:1.55;margin:0 0 12px}
.by{font-size:14px;color:#666}
</style></head><body><div class="top">About me · Contact</div><nav><a>Fashion</a><a>Beauty</a>
<a>Lifestyle</a><a>Travel</a></nav><div class="wrap"><main>
<h1>Beauty tips every bride should know</h1><p class="by">Posted by Lauren Miles at 5:11 PM</p>
<p>Most of us have pictured the day for years, and the weeks before it go by faster than anyone expects.
Here is what I would start with, months ahead rather than days.</p>
<p>Skin care first: nothing new in the last month, and plenty of water. Then the hands, which every
photograph of the rings will show.</p></main>
<aside><p class="badge">TOP</p><p>Reader favourite since</p><p class="day">17. Mai 2019</p></aside></div>
</body></html>"""

# A feature whose headline wraps within a measure of its own, well short of the credit column beside it.
FEATURE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Arial,sans-serif;color:#1d1d1d} .bar{padding:12px 48px;font-size:13px}
.kicker{padding:40px 48px 0;font-size:12px;letter-spacing:.12em}
.hero{display:flex;justify-content:space-between;padding:70px 48px 0}
.hero h1{font:400 44px/1.15 Georgia,serif;max-width:640px;margin:0}
.cred{width:240px;font-size:15px;padding-top:8px} .dek{padding:18px 48px 0;font-size:17px;max-width:720px}
.when{padding:24px 48px 0;font-size:14px} p.t{padding:0 48px;max-width:760px;font-size:16px;line-height:1.6}
</style></head><body><div class="bar">EXPLORE &nbsp; MAGAZINE &nbsp; SUBSCRIBE</div>
<div class="kicker">COASTS</div>
<div class="hero"><h1>Seals came back to the estuary after the old dredging wharf was finally torn down</h1>
<div class="cred">By Mara Lindqvist</div></div><p class="dek">Twenty years after the last barge left, the
mudflats are busy again, and the counts are the highest since records began.</p>
<p class="when">Thursday, 14 March 2024</p><p class="t">The survey team counted the animals from the sea wall
at low tide every week of the winter, and the numbers rose through the season.</p></body></html>"""

# A post whose share buttons, big letters of no word, sit right under its dateline.
SHARED = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Verdana,sans-serif;color:#222;background:#fffdf8}
.n{padding:14px 36px;font-size:14px}
.post{padding:30px 36px} h2{font:700 30px Verdana,sans-serif;margin:0 0 90px} .d{font-size:13px;color:#777}
.row{display:flex;gap:16px;margin:12px 0 20px} .row b{font:700 26px Arial,sans-serif;color:#456}
.post p{font-size:15px;max-width:800px;line-height:1.6}
</style></head><body><div class="n">Notes from the allotment</div><div class="post">
<h2>Leeks that survived the frost</h2><div class="d">posted 3 February 2023</div>
<div class="row"><b>f</b><b>in</b><b>tw</b><b>rd</b><b>X</b></div>
<p>Every one of the late leeks came through the cold weeks, though the chard beside them did not, and the
soil under the straw never froze at all.</p></div></body></html>"""

# A report whose standfirst, in big type between the headline and the byline, names who set the price.
REPORT = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Tahoma,Verdana,sans-serif;color:#111}
.mast{background:#222;color:#eee;padding:16px 30px;font-size:15px} .a{padding:30px 30px;max-width:820px}
h1{font-size:34px;margin:0 0 14px} .sf{font-size:21px;line-height:1.35;margin:0 0 18px;color:#333}
.by{font-size:14px;margin:0} .dt{font-size:13px;color:#666;margin:2px 0 18px}
.a p.b{font-size:16px;line-height:1.6}
</style></head><body><div class="mast">The Weekly Ledger &nbsp; | &nbsp; Money &nbsp; | &nbsp; Energy</div>
<div class="a"><h1>Household energy bills fall for a third quarter</h1><p class="sf">The new price cap was set
by Ofgem and takes effect in April, with standing charges unchanged.</p><p class="by">By Tom Achterberg</p>
<p class="dt">12 January 2025</p><p class="b">Bills for a typical home will be about six per cent lower than
last winter, though still well above what they were before the cap was first raised.</p></div>
</body></html>"""

# A post with a code sample whose call names "By" (a byline's word, to the vocabulary).
SNIPPET = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:Georgia,serif;color:#222} .top{padding:12px 40px;font:14px sans-serif}
.p{padding:24px 40px;max-width:900px} h1{font-size:32px;margin:0 0 18px}
.when{font:bold 12px sans-serif;margin:10px 0 24px} .p p{font-size:16px;line-height:1.55}
pre{font:14px "Liberation Mono",monospace;background:#f3f3f3;padding:10px 14px}
</style></head><body><div class="top">Field notes on testing</div><div class="p">
<h1>Waiting for the search box in browser tests</h1><p class="when">Priya Ramanathan · March 3, 2024</p>
<p>The flaky test was the one that typed into the search box before the page had drawn it.</p>
<pre>box = wait.until(visible((By.NAME, "q")))
box.send_keys(query.text)</pre><p>With the wait in place the suite has passed every night since.</p></div>
</body></html>"""

# A review with an empty comment form under it: each box shows its label again as its placeholder.
REVIEW = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:"Trebuchet MS",Arial,sans-serif;color:#2b2b2b} .hd{padding:14px 24px;font-size:26px}
.w{padding:10px 24px;max-width:900px} h1{font-size:28px;margin:6px 0 8px} .meta{font-size:14px;color:#555}
.w p{font-size:15px;line-height:1.6} h2{font-size:22px;margin:34px 0 12px}
label{display:block;font-size:14px;margin:10px 0 4px}
input,textarea{display:block;width:360px;padding:6px 10px;font-size:13px;border:1px solid #aaa}
</style></head><body><div class="hd">Paperback Shelf</div><div class="w">
<p class="meta">Freitag, 7. Juni 2024</p><h1>Review: The Lighthouse Keeper's Ledger</h1>
<p>A slow, careful novel about a keeper who writes down every ship that passes, and what the entries
leave out.</p><h2>Comments</h2><p>No comments yet.</p>
<label>Name</label><input placeholder="Name"><label>Email</label><input placeholder="Email">
<label>Website</label><input placeholder="Website">
<label>Comment</label><textarea placeholder="Comment"></textarea>
</div></body></html>"""


def _spec(*fields: str | tuple[str, str, bool], max_items: int | None = None,
          entity: str = "item") -> ExtractSpec:
    """Fields as "name" (a required str) or (name, type, required)."""
    listed = [{"name": f} if isinstance(f, str) else {"name": f[0], "type": f[1], "required": f[2]}
              for f in fields]
    return ExtractSpec.model_validate({"entity_name": entity, "fields": listed, "max_items": max_items})


def _pages() -> dict[str, str]:
    cards = "".join(
        f'<div class="card"><div class="img"></div><div class="body"><p class="brand">{brand}</p>'
        f'<p class="name">{name}</p><p class="rating">★★★★☆ {rating}</p><p class="price">{price}'
        + (f'<span class="was">{was}</span>' if was else "")
        + ('</p><p class="stock">In stock</p>' if stock else '</p><p class="stock out">Out of stock</p>')
        + "</div></div>"
        for brand, name, rating, price, was, stock in PRODUCTS
    )
    rows = "".join(
        f'<tr><td>{i}</td><td>{name}</td><td>{city}</td><td>{food}</td><td class="n">{score}</td>'
        f'<td class="n">${price}</td></tr>'
        for i, (name, city, food, score, price) in enumerate(RESTAURANTS, 1)
    )
    stories = "".join(
        f'<tr><td class="rank">{i}.</td><td class="vote"><div></div></td><td class="title"><a>{title}</a>'
        + (f' <span class="site">({site})</span>' if site else "")
        + f'</td></tr><tr><td colspan="2"></td><td class="sub">{points} points by <a>{user}</a> '
        f'<a>{age}</a> | <a>hide</a> | <a>{f"{comments}&nbsp;comments" if comments else "discuss"}</a>'
        "</td></tr>"
        '<tr class="spacer"></tr>'
        for i, (title, site, points, user, age, comments) in enumerate(STORIES, 1)
    )
    return {"grid": GRID.replace("CARDS", cards), "table": TABLE.replace("ROWS", rows), "detail": DETAIL,
            "news": NEWS.replace("ROWS", stories), "article": ARTICLE, "blog": BLOG, "feature": FEATURE,
            "shared": SHARED, "report": REPORT, "snippet": SNIPPET,
            "review": REVIEW}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_site() -> Iterator[str]:
    """The app's demo sites in a small uvicorn of their own, mounted at /demo as the server mounts them."""
    app = FastAPI()
    app.include_router(router, prefix="/demo")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the demo server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest_asyncio.fixture(scope="module")
async def screens(demo_site: str,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Observation]]:
    """Each page's screenshot read the way ComputerSession.observe reads the screen."""
    shots: dict[str, tuple[str, bytes]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        for name, html in _pages().items():
            await page.set_content(html)
            shots[name] = (f"https://example.test/{name}", await page.screenshot())
        demo = f"{demo_site}/demo/marketplace/?seller=private"
        await context.add_cookies([{"name": "consent", "value": "1", "url": demo_site}])
        await page.goto(demo)
        shots["demo"] = (demo, await page.screenshot())
        await browser.close()
    env = session_env(tag="screen-extract-test", display="", home=tmp_path_factory.mktemp("home"))

    async def observe(url: str, png: bytes) -> Observation:
        found = await read_text(Image.open(io.BytesIO(png)).convert("RGB"), env)
        return Observation(url=url, elements=found.elements, text=found.text, screenshot=png)

    # One screen at a time: each read already runs two tesseracts, and a dozen at once on a loaded
    # 2-core machine miss the OCR deadline.
    yield {name: await observe(url, png) for name, (url, png) in shots.items()}


def test_product_grid_beside_a_sidebar(screens: dict[str, Observation]) -> None:
    spec = _spec("name", ("price", "decimal", True), ("in_stock", "bool", False),
                 ("product_url", "str", False), max_items=20, entity="product")
    rows = extract_from_screen(screens["grid"], spec, "Extract the products")
    assert [(r["name"], r["price"], r["in_stock"]) for r in rows] == [
        (name, price, stock)
        for _, name, _, price, _, stock in PRODUCTS
    ]  # row by row across the grid, the sale price rather than the struck-through one
    assert all(r["product_url"] is None for r in rows)  # links cannot be seen


def test_table_read_by_its_header_row(screens: dict[str, Observation]) -> None:
    spec = _spec(("rank", "int", True), "restaurant", "city", ("price", "int", True), max_items=10,
                 entity="restaurant")
    rows = extract_from_screen(screens["table"], spec)
    assert rows == [
        {"rank": i, "restaurant": name, "city": city, "price": price}
        for i, (name, city, _, _, price) in enumerate(RESTAURANTS, 1)
    ]


def test_detail_page_with_labelled_specs(screens: dict[str, Observation]) -> None:
    spec = _spec("title", ("price", "int", True), ("year", "int", True), "make", "model",
                 ("mileage", "int", True), "location", "transmission", "fuel_type", "seller_phone",
                 "listing_url", entity="vehicle")
    rows = extract_from_screen(screens["detail"], spec)
    assert rows == [{
        "title": "2021 Subaru Outback Limited XT", "price": 31995, "year": 2021, "make": "Subaru",
        "model": "Outback", "mileage": 42315, "location": "Portland, OR", "transmission": "CVT Automatic",
        "fuel_type": "Gasoline", "seller_phone": "(503) 555-0187", "listing_url": "https://example.test/detail",
    }]  # labels beside and above their values; the page's own address for its URL


def test_ranked_list_of_two_line_items(screens: dict[str, Observation]) -> None:
    spec = _spec(("rank", "int", True), "title", ("site", "str", False), ("points", "int", False),
                 ("author", "str", False), ("age", "str", False), ("comments", "int", False), max_items=5,
                 entity="story")
    rows = extract_from_screen(screens["news"], spec, "Extract the top 5 stories")
    assert rows == [
        {"rank": i, "title": title, "site": site, "points": points, "author": user, "age": age,
         "comments": comments}
        for i, (title, site, points, user, age, comments) in enumerate(STORIES[:5], 1)
    ]


def test_the_example_plan_on_the_demo_marketplace(screens: dict[str, Observation]) -> None:
    """The example list-page plan's own schema, on the filtered results as the computer plane sees them
    after accepting cookies: the cards on screen, not the sponsored one between them."""
    plan = MicroPlan.model_validate(json.loads((REPO / "plans/example/listings_list_page.json").read_text()))
    spec = next(e for step in plan.steps if (e := getattr(step, "extract", None)) is not None)
    rows = extract_from_screen(screens["demo"], spec, "Extract the listings on the page")
    listings = Filters(seller="private").apply(all_listings())
    assert len(rows) >= 4
    assert [(r["title"], r["price"], r["location"]) for r in rows] == [
        (listing.title, listing.price, listing.location) for listing in listings[: len(rows)]
    ]
    assert all(r["listing_url"] is None for r in rows)


ARTICLE_SPEC = ("headline", ("published_date", "str", False), ("author", "str", False))


def test_a_headline_sits_by_its_dateline_not_the_bigger_logo(screens: dict[str, Observation]) -> None:
    [row] = extract_from_screen(screens["article"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["headline"] == "Night trains return to the northern coast"


def test_a_date_is_what_reads_as_one_in_any_language(screens: dict[str, Observation]) -> None:
    """The article's German date, not the English one of a teaser in the sidebar."""
    [row] = extract_from_screen(screens["article"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["published_date"] == "2019-01-29"


def test_a_name_beside_the_date_is_the_author(screens: dict[str, Observation]) -> None:
    """In a dateline a count after the name is a value of its own ("71 Kommentare")."""
    [row] = extract_from_screen(screens["article"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["author"] == "Christoph Becker"


def test_no_menu_item_badge_or_date_is_the_headline(screens: dict[str, Observation]) -> None:
    """The menu's entries, a short badge and a date are all bigger than the headline."""
    [row] = extract_from_screen(screens["blog"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["headline"] == "Beauty tips every bride should know"


def test_a_byline_name_ends_where_the_words_of_the_line_go_on(screens: dict[str, Observation]) -> None:
    [row] = extract_from_screen(screens["blog"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["author"] == "Lauren Miles"  # not "Lauren Miles at"


def test_a_headline_wrapped_short_of_its_column_is_read_whole(screens: dict[str, Observation]) -> None:
    """Its lines end well before the credit column: they are one heading, not three, nor its last line
    (the one by the dateline)."""
    [row] = extract_from_screen(screens["feature"], _spec(*ARTICLE_SPEC, entity="article"))
    title = "Seals came back to the estuary after the old dredging wharf was finally torn down"
    assert row["headline"] == title
    assert row["author"] == "Mara Lindqvist"


def test_a_row_of_share_icons_is_no_headline(screens: dict[str, Observation]) -> None:
    """The buttons' letters ("f in tw rd X") are bigger than the title and right by the dateline, but
    no word."""
    [row] = extract_from_screen(screens["shared"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["headline"] == "Leeks that survived the frost"
    assert row["published_date"] == "3 February 2023"


def test_a_standfirst_in_big_type_is_no_headline(screens: dict[str, Observation]) -> None:
    """It sits nearer the dateline than the headline does, and is big; the headline is the bigger line
    right above it."""
    [row] = extract_from_screen(screens["report"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["headline"] == "Household energy bills fall for a third quarter"


def test_a_by_inside_a_sentence_names_no_author(screens: dict[str, Observation]) -> None:
    """"set by Ofgem" is a sentence's; the byline opens its line."""
    [row] = extract_from_screen(screens["report"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["author"] == "Tom Achterberg"


def test_a_code_sample_is_no_field(screens: dict[str, Observation]) -> None:
    """The call's "By.NAME" is no byline: lines of code are verbatim text, never one of a page's facts."""
    [row] = extract_from_screen(screens["snippet"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["author"] == "Priya Ramanathan"


def test_an_empty_form_names_no_field(screens: dict[str, Observation]) -> None:
    """The comment form's "Name" label (its placeholder under it) does not name the next box's "Email" as
    the title: a form's labels and placeholders are none of the page's content."""
    [row] = extract_from_screen(screens["review"], _spec(*ARTICLE_SPEC, entity="article"))
    assert row["headline"] == "Review: The Lighthouse Keeper's Ledger"


async def test_the_offline_brain_reads_the_screen_without_a_dom(screens: dict[str, Observation]) -> None:
    spec = _spec("restaurant", ("price", "int", True), max_items=2)
    rows = await OfflineBrain().extract(spec, screens["table"], "")
    assert rows == [{"restaurant": "Maison Claire", "price": 145}, {"restaurant": "Casa Olivo", "price": 88}]


async def test_nothing_to_read_is_said_plainly() -> None:
    spec = _spec("title", max_items=3)
    with pytest.raises(PlanningError) as raised:
        await OfflineBrain().extract(spec, Observation(url="about:blank"), "")
    assert raised.value.code == "model_required"
    glyph = Element(ref="", role="text", name="|", box=(1, 1, 2, 9))  # a border OCR read as a bar
    blank = Observation(url="about:blank", elements=[glyph])
    assert extract_from_screen(blank, spec) == []
    assert extract_from_screen(blank, _spec("title")) == [{"title": None}]

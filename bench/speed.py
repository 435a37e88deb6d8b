"""Issue 14's figures, each side by side with its floor in one process tree: the DOM plane through the API
against raw Playwright (a 3-step and a 20-step plan, one run at a time and four at once), then the
computer plane's actions (`bench/planes.py`) and `status` under load (`bench/status_load.py`).

Run: .venv/bin/python bench/speed.py [-n 10] [--figures dom,concurrency,planes,status]

The DOM figures: `mantis serve` (a subprocess, SQLite, in-process workers) runs each plan with
`detached: false` on `browser_use_plane` and answers with the result (rows, trace, artifact links); the
floor is the same steps as a hand-written Playwright script in this process, on a browser launched once
(warm) with the same Chromium and flags, a fresh context per run. Both fetch the same pages from one
server on 127.0.0.1. Pairs are interleaved (the side that goes first alternates) after one untimed
warm-up of each, so both see the same load on a shared machine; every ratio is of a pair, and the
figure is the median of the pairs' ratios with their spread (min-max). A run that does not succeed, or
whose rows, screenshots, events or trace are missing, stops the benchmark: a figure is only good for a
run that kept every artifact it promises.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import Browser, CDPSession, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from mantis.config import Settings
from mantis.planes.chromium import BASE_FLAGS
from mantis.planes.dom import ONE_FRAME, ONE_FRAME_TIMEOUT_S, SETTLE_TIMEOUT_MS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for its test page server
import status_load  # bench/status_load.py: its server process, and status latency while four runs go
from tests.pages_server import QuietHandler, serve
from throughput import free_port

RUNS_AT_ONCE = 4  # issue 14's concurrency figure
RUN_TIMEOUT_S = 300.0
CARDS = 6  # per list page
GOALS = {"3 steps": 1.15, "20 steps": 1.15}  # issue 14: at most 1.15x raw Playwright
# issue 14: four runs reach at least 80% of four raw scripts' throughput
THROUGHPUT_GOALS = {f"{RUNS_AT_ONCE} x 20 steps at once": 0.8}

# --- the site ------------------------------------------------------------------------------------------

BANNER = """<div id="consent" role="dialog" aria-label="Cookies"><p>We use cookies to keep your basket.</p>
<button onclick="document.cookie='consent=1; path=/'; this.parentElement.remove()">Accept</button></div>"""
LIST = """<!doctype html><html><head><meta charset="utf-8"><title>Lamps, page {page}</title><style>
body {{font: 16px sans-serif; margin: 0}} header, main {{padding: 12px 24px}}
#consent {{position: fixed; bottom: 0; left: 0; right: 0; padding: 16px; background: #222; color: #fff}}
.cards {{display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; list-style: none; padding: 0}}
.card {{border: 1px solid #ccc; padding: 12px}} .card h2 {{font-size: 18px; margin: 0 0 6px}}
</style></head><body>{banner}
<header><h1>Lamp shop</h1><form action="/shop" method="get">
<input name="q" aria-label="Search" value="{query}"><button type="submit">Search</button></form></header>
<main><p>Page {page}{matching}</p><ul class="cards">{cards}</ul>
<a href="/shop?page={next}{more}">Next page</a></main></body></html>"""
CARD = """<li class="card"><h2>{title}</h2><span class="price">${price}.00</span>
<a href="/item/{id}">Details of {title}</a></li>"""
ITEM = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>{banner}
<main><ul class="cards">{card}</ul><p>In stock, ships in two days.</p></main></body></html>"""
NAMES = ("Brass", "Copper", "Walnut", "Linen", "Opal", "Slate", "Cedar", "Amber", "Ivory")
KINDS = ("desk lamp", "floor lamp", "pendant", "wall light", "lantern", "reading lamp")


def card(page: int, i: int, query: str) -> dict[str, Any]:
    n = page * CARDS + i
    title = f"{NAMES[n % len(NAMES)]} {KINDS[i % len(KINDS)]} {n}" + (f" ({query})" if query else "")
    return {"id": n, "title": title, "price": 20 + (n * 7) % 90}


def render(path: str, cookie: str) -> bytes | None:
    split = urlsplit(path)
    args = {k: v[0] for k, v in parse_qs(split.query).items()}
    banner = "" if "consent=1" in cookie else BANNER
    if split.path == "/shop":
        page, query = int(args.get("page", "1")), args.get("q", "")
        cards = "".join(CARD.format(**card(page, i, query)) for i in range(CARDS))
        more = f"&q={query}" if query else ""
        matching = f", matching {query}" if query else ""
        html = LIST.format(
            banner=banner, page=page, query=query, cards=cards, next=page + 1, more=more, matching=matching
        )
        return html.encode()
    if split.path.startswith("/item/") and split.path[6:].isdigit():
        n = int(split.path[6:])
        one = card(n // CARDS, n % CARDS, "")
        return ITEM.format(title=one["title"], banner=banner, card=CARD.format(**one)).encode()
    return None


class Site(QuietHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real site's server: the floor gets no proxy

    def do_GET(self) -> None:
        body = render(self.path, self.headers.get("Cookie", ""))
        with suppress(ConnectionError):
            self.reply(body or b"", 200 if body is not None else 404)


# --- the plans, as steps for mantis and as the same steps in Playwright -------------------------------

SPEC = {
    "schema_name": "lamps",
    "entity_name": "lamp",
    "max_items": 20,
    "fields": [{"name": "title", "type": "str"}, {"name": "price", "type": "decimal"}],
}
CARDS_JS = """els => els.map(e => ({title: e.querySelector('h2').innerText,
  price: e.querySelector('.price').innerText}))"""

Op = tuple[str, str, str]  # (kind, target, value): the plan's steps in a form both sides read


def three_steps(root: str) -> list[Op]:
    return [("navigate", f"{root}/shop?page=1", ""), ("click", "Accept", ""), ("extract", "", "")]


def twenty_steps(root: str) -> list[Op]:
    ops: list[Op] = [
        *three_steps(root),
        ("fill", "Search", "lamp"),
        ("click", "Search", ""),
        ("extract", "", ""),
        ("click", "Next page", ""),
        ("extract", "", ""),
        ("go_back", "", ""),
        ("extract", "", ""),
        ("navigate", f"{root}/shop?page=3", ""),
        ("extract", "", ""),
        ("click", "Next page", ""),
        ("extract", "", ""),
        ("fill", "Search", "desk"),
        ("click", "Search", ""),
        ("extract", "", ""),
        ("navigate", f"{root}/item/7", ""),
        ("extract", "", ""),
        ("go_back", "", ""),
    ]
    assert len(ops) == 20
    return ops


def as_plan(ops: list[Op]) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for kind, target, value in ops:
        if kind == "navigate":
            steps.append({"type": "navigate", "params": {"url": target}})
        elif kind == "click":
            steps.append({"type": "click", "intent": f"Click {target}", "params": {"label": target}})
        elif kind == "fill":
            steps.append(
                {"type": "fill", "intent": f"Type {value}", "params": {"label": target, "text": value}}
            )
        elif kind == "extract":
            steps.append({"type": "extract_data", "intent": "Extract the lamps", "extract": SPEC})
        else:
            steps.append({"type": kind})
    runtime = {"compute_backend": "browser_use_plane", "max_time_minutes": 10}
    return {"micro": {"runtime": runtime, "steps": steps}, "detached": False}


async def floor_run(browser: Browser, ops: list[Op], pictures: Path | None = None) -> int:
    """The hand-written script: a fresh context, the steps, the rows read; returns the rows read.

    With `pictures`, it also keeps the one artifact a mantis step promises that costs the browser most,
    a PNG of the page after each step that can change it (an extraction keeps the step before's, as
    mantis's does), asked of DevTools as mantis asks and taken as mantis takes it: behind the next
    step, which waits for it only if it acts on the page."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=False)
    try:
        page = await context.new_page()
        devtools = await context.new_cdp_session(page) if pictures is not None else None
        taking: asyncio.Task[None] | None = None
        rows = 0
        for index, (kind, target, value) in enumerate(ops):
            if taking is not None and kind != "extract":
                await taking
            rows += await floor_step(page, kind, target, value)
            if devtools is not None and pictures is not None and kind != "extract":
                taking = asyncio.create_task(_picture(page, devtools, pictures / f"step_{index:03d}.png"))
        if taking is not None:
            await taking
        return rows
    finally:
        if taking is not None and not taking.done():  # a step failed: the picture is not wanted
            taking.cancel()
            with suppress(asyncio.CancelledError, PlaywrightError):
                await taking
        await context.close()


async def _picture(page: Page, devtools: CDPSession, path: Path) -> None:
    """As mantis's DOM plane takes it: a capture refused (a new tab's document not drawn yet) is asked
    once more after the page's load and one drawn frame (bench/captures.py)."""
    shoot = ("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
    try:
        shot = await devtools.send(*shoot)
    except PlaywrightError:
        with suppress(PlaywrightError, TimeoutError):
            await page.wait_for_load_state("load", timeout=SETTLE_TIMEOUT_MS)
            await asyncio.wait_for(page.evaluate(ONE_FRAME), ONE_FRAME_TIMEOUT_S)
        shot = await devtools.send(*shoot)
    await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


async def floor_step(page: Page, kind: str, target: str, value: str) -> int:
    if kind == "navigate":
        await page.goto(target, wait_until="load")
    elif kind == "click":
        control = page.get_by_role("button", name=target).or_(page.get_by_role("link", name=target))
        await control.first.click()
        await page.wait_for_load_state("load")
    elif kind == "fill":
        await page.get_by_label(target).fill(value)
    elif kind == "go_back":
        await page.go_back(wait_until="load")
    elif kind == "extract":
        return len(await page.locator(".card").evaluate_all(CARDS_JS))
    return 0


# --- mantis ---------------------------------------------------------------------------------------------


@contextmanager
def mantis(home: Path) -> Iterator[tuple[str, str, int]]:
    """`mantis serve` as an operator starts it, with a worker for each of the runs going at once."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANTIS_")}
    env.update(
        MANTIS_HOME=str(home),
        MANTIS_ALLOW_PRIVATE_BROWSING="1",  # the site is on 127.0.0.1
        MANTIS_WORKERS=str(RUNS_AT_ONCE),
    )
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "mantis.cli.main", "serve", "--port", str(port)]
    with status_load.process(argv, home, env, url) as pid:
        yield url, (home / "local-token").read_text().strip(), pid


async def mantis_run(client: httpx.AsyncClient, plan: dict[str, Any], ops: list[Op]) -> int:
    """One run through the API, its result checked for every artifact a run promises; returns rows."""
    answer = await client.post("/v1/predict", json=plan, timeout=RUN_TIMEOUT_S)
    body = answer.json()
    if answer.status_code != 200 or body.get("status") != "succeeded":
        raise SystemExit(f"a mantis run did not succeed: {answer.status_code} {str(body)[:500]}")
    result = body["result"]
    steps = [s for s in result["steps"] if s.get("status") != "branch"]
    artifacts = result.get("artifacts") or {}
    missing = [
        name
        for name in ("events.log", "result.json", "extracted_rows.json", "plan.json")
        if name not in artifacts
    ]
    missing += [f"screenshot of step {s['index']}" for s in steps if s.get("screenshot") not in artifacts]
    if len(steps) != len(ops) or missing:
        raise SystemExit(f"run {body['run_id']}: {len(steps)} steps of {len(ops)}; missing {missing}")
    return len(result["rows"])


# --- timing ---------------------------------------------------------------------------------------------

TREES = ("server Python", "server browser", "bench Python", "floor browser")


def _stats() -> dict[int, tuple[int, float, float]]:
    """Every process: (parent, own CPU seconds, its reaped children's CPU seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            own, reaped = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
            found[int(entry.name)] = (int(fields[1]), own / tick, reaped / tick)
    return found


def cpu_trees(server: int) -> dict[str, float]:
    """CPU seconds so far of the server's Python, of everything under it (Playwright's driver and its
    Chromium), of this process's Python (the floor's script and the API client) and of everything else
    under this process (the floor's driver and Chromium). A process's reaped children count in it, so
    renderers that ended with their context are counted too."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in stats.items():
        children.setdefault(parent, []).append(pid)

    def below(root: int, skip: int) -> float:
        total, todo = 0.0, [c for c in children.get(root, []) if c != skip]
        while todo:
            pid = todo.pop()
            total += stats[pid][1] + stats[pid][2]
            todo += children.get(pid, [])
        return total

    me = os.getpid()
    return {
        "server Python": stats[server][1],
        "server browser": below(server, -1) + stats[server][2],
        "bench Python": stats[me][1],
        "floor browser": below(me, server),
    }


def cpu_row(name: str, spent: dict[str, float], runs: int) -> str:
    """CPU seconds each tree spent on one side's runs, per run."""
    trees = "  ".join(f"{tree} {spent[tree] / runs:5.2f}" for tree in TREES)
    return f"  CPU s per run, {name:<7} {trees}  (all {sum(spent.values()) / runs:5.2f})"


@dataclass(frozen=True)
class Figure:
    name: str
    subject_s: list[float]  # per pair: mantis
    floor_s: list[float]  # per pair: the floor
    unit: str = "ms"  # how the medians print: "ms" for latency, "runs/s" for throughput

    def ratios(self) -> list[float]:
        return [s / f for s, f in zip(self.subject_s, self.floor_s, strict=True)]


Timed = Callable[[], Awaitable[int]]
SIDES = ("mantis", "floor")  # the two sides' names in a figure's CPU lines


async def pairs(
    n: int, subject: Timed, floor: Timed, server: int, runs: int, names: tuple[str, str] = SIDES
) -> tuple[list[float], list[float]]:
    """Seconds of each side in n interleaved pairs, the side that goes first alternating, after one
    untimed warm-up of each (the first run pays for the browser's launch and lazy imports). Prints the
    CPU each process tree spent per run on each side (`runs` runs a side's call makes)."""
    subject_rows, floor_rows = await subject(), await floor()
    if subject_rows != floor_rows:
        raise SystemExit(f"{names[0]} read {subject_rows} rows where {names[1]} read {floor_rows}")
    times: dict[Timed, list[float]] = {subject: [], floor: []}
    cpu = {side: dict.fromkeys(TREES, 0.0) for side in (subject, floor)}
    for i in range(n):
        for side in (subject, floor) if i % 2 == 0 else (floor, subject):
            before = cpu_trees(server)
            began = time.perf_counter()
            await side()
            times[side].append(time.perf_counter() - began)
            after = cpu_trees(server)
            for tree in TREES:
                cpu[side][tree] += after[tree] - before[tree]
    print(cpu_row(names[0], cpu[subject], n * runs), flush=True)
    print(cpu_row(names[1], cpu[floor], n * runs), flush=True)
    return times[subject], times[floor]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


DOM_HEADER = (
    "DOM plane through the API against raw Playwright, interleaved pairs; median [min-max]\n"
    f"{'figure':<24} {'pairs':>5} {'mantis':>11} {'floor':>11}  {'ratio (per pair)':<20} goal"
)


def dom_row(f: Figure) -> str:
    """One figure's line: medians of each side, the pairs' ratios, and issue 14's goal for it."""
    pairs_n = len(f.subject_s)
    if f.unit == "runs/s":  # throughput: runs a second, and mantis's share of the floor's
        mine = statistics.median(RUNS_AT_ONCE / s for s in f.subject_s)
        base = statistics.median(RUNS_AT_ONCE / s for s in f.floor_s)
        ratios = [1 / r for r in f.ratios()]
        least = THROUGHPUT_GOALS.get(f.name)
        met = least is not None and statistics.median(ratios) >= least
        goal = "" if least is None else f">= {least:.2f} {'met' if met else 'NOT met'}"
        return f"{f.name:<24} {pairs_n:>5} {mine:>5.2f} run/s {base:>5.2f} run/s  {spread(ratios):<20} {goal}"
    mine, base = statistics.median(f.subject_s) * 1000, statistics.median(f.floor_s) * 1000
    ratios = f.ratios()
    target = GOALS.get(f.name)
    met = target is not None and statistics.median(ratios) <= target
    goal = "" if target is None else f"<= {target:.2f} {'met' if met else 'NOT met'}"
    return f"{f.name:<24} {pairs_n:>5} {mine:>8.0f} ms {base:>8.0f} ms  {spread(ratios):<20} {goal}"


async def dom_figures(n: int, chosen: set[str]) -> list[Figure]:
    """The DOM figures against one server and one warm floor browser, each printed as it is made.

    "pictures" adds, for each plan, what a PNG a step costs the floor alone and mantis against that
    pictured floor: the runner's own overhead beside the artifact it promises."""
    figures: list[Figure] = []
    print(DOM_HEADER, flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="mantis-speed-") as scratch,
        serve(Site) as root,
        mantis(Path(scratch) / "home") as (url, token, server),
    ):
        headers = {"X-Mantis-Token": token}
        pictures = Path(scratch) / "pictures"
        pictures.mkdir()
        async with (
            async_playwright() as playwright,
            httpx.AsyncClient(base_url=url, headers=headers) as client,
        ):
            browser = await playwright.chromium.launch(
                executable_path=Settings.from_env().chromium, headless=True, args=list(BASE_FLAGS)
            )

            async def figure(
                name: str,
                subject: Timed,
                floor: Timed,
                at_once: int = 1,
                names: tuple[str, str] = SIDES,
            ) -> None:
                repeats = n if at_once == 1 else max(n // 2, 3)
                times = await pairs(repeats, subject, floor, server, at_once, names)
                figures.append(Figure(name, *times, unit="ms" if at_once == 1 else "runs/s"))
                print(dom_row(figures[-1]), flush=True)

            try:
                plans = {"3 steps": three_steps(root), "20 steps": twenty_steps(root)}
                for name, ops in plans.items():
                    subject, floor, pictured = sides(client, browser, ops, 1, pictures)
                    if "dom" in chosen:
                        await figure(name, subject, floor)
                    if "pictures" in chosen:
                        await figure(f"{name}: floor's pictures", pictured, floor, names=PICTURES_ALONE)
                        await figure(f"{name}: vs pictured", subject, pictured, names=VS_PICTURED)
                if "concurrency" in chosen:
                    at_once = sides(client, browser, plans["20 steps"], RUNS_AT_ONCE, pictures)
                    subject, floor, pictured = at_once
                    await figure(f"{RUNS_AT_ONCE} x 20 steps at once", subject, floor, RUNS_AT_ONCE)
                    if "pictures" in chosen:
                        await figure(
                            f"{RUNS_AT_ONCE} x 20 vs pictured", subject, pictured, RUNS_AT_ONCE, VS_PICTURED
                        )
            finally:
                await browser.close()
    return figures


# The two sides' names in the `pictures` figures' CPU lines; in their figure lines the first column is
# the first side and the second the second.
PICTURES_ALONE = ("pictured floor", "floor")
VS_PICTURED = ("mantis", "pictured floor")


def sides(
    client: httpx.AsyncClient, browser: Browser, ops: list[Op], at_once: int, pictures: Path
) -> tuple[Timed, Timed, Timed]:
    """Mantis, the floor and the floor with a picture a step, each running the plan `at_once` times
    together; each returns its rows."""
    plan = as_plan(ops)

    async def subject() -> int:
        return sum(await asyncio.gather(*(mantis_run(client, plan, ops) for _ in range(at_once))))

    async def floor() -> int:
        return sum(await asyncio.gather(*(floor_run(browser, ops) for _ in range(at_once))))

    async def pictured() -> int:
        runs = [floor_run(browser, ops, Path(tempfile.mkdtemp(dir=pictures))) for _ in range(at_once)]
        return sum(await asyncio.gather(*runs))

    return subject, floor, pictured


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10, help="pairs of each DOM figure (default 10)")
    parser.add_argument(
        "--figures",
        default="dom,concurrency,planes,status",
        help="comma-separated: dom, concurrency, pictures (the floor with a PNG a step), planes "
        "(bench/planes.py), status (bench/status_load.py)",
    )
    parser.add_argument("--status-seconds", type=float, default=15.0, help="per status window (default 15)")
    args = parser.parse_args()
    chosen = {f for f in args.figures.split(",") if f}
    if not chosen <= {"dom", "concurrency", "pictures", "planes", "status"} or args.n < 1:
        parser.error("--figures takes dom, concurrency, pictures, planes and status, and -n at least 1")
    print(f"bench/speed.py, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load {os.getloadavg()}")
    if chosen & {"dom", "concurrency", "pictures"}:
        asyncio.run(dom_figures(args.n, chosen))
    if "planes" in chosen:
        import planes  # bench/planes.py (speed-x's): both planes' actions against their raw tools

        print(
            f"\nbench/planes.py, {args.n} repetitions of each\n"
            + planes.table(planes.rows(args.n, ["dom", "computer"])),
            flush=True,
        )
    if "status" in chosen:
        print("\nbench/status_load.py", flush=True)
        status_load.report(status_load.measure(seconds=args.status_seconds))


if __name__ == "__main__":
    main()

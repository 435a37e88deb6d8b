"""The web console in headless Chromium against a real `mantis serve`: sign in, submit from the editor,
watch the run end, its rows, screenshots, recordings and CSV; cancel; tenants kept apart; the list
filtered, paged and live. With MANTIS_DOCS_SCREENSHOTS=1 the pages' screenshots go to docs/console/."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright
from tests.conftest import REPO, Server, start_server, stop_server

from mantis.planes.chromium import BASE_FLAGS

CHROMIUM = "/usr/bin/chromium"
DOCS = REPO / "docs" / "console"
RUN_TIMEOUT_MS = 120_000
# Desktop and phone sizes for the pages and their screenshots.
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
QUICK = [{"type": "wait", "params": {"seconds": 0}}]


def job_plan(site: str) -> dict[str, object]:
    """A job board (not a demo site): its cards as viable rows, then the page read with no schema, a row
    that is never viable; a detect_visible feeds a branch, and a loop turns once."""
    return {
        "name": "jobs in texas",
        "steps": [
            {"type": "navigate", "params": {"url": f"{site}/pages/job_board.html"}},
            {"type": "detect_visible", "intent": "Job results", "out_var": "listed"},
            {"type": "if_else", "condition_var": "listed", "then_target": 3, "else_target": 3},
            {"type": "scroll", "budget": 1},
            {"type": "loop", "loop_target": 3, "loop_count": 1},
            {
                "type": "extract_data",
                "intent": "the job cards",
                "extract": {
                    "entity_name": "job_posting",
                    "fields": [
                        {"name": "job_title"},
                        {"name": "company"},
                        {"name": "salary_min", "type": "int", "required": False},
                    ],
                    "max_items": 10,
                },
            },
            {"type": "extract_data", "intent": "the page itself"},
        ],
    }


async def shoot(page: Page, name: str) -> None:
    """The page as the docs show it, only when asked for: a small palette PNG."""
    if os.environ.get("MANTIS_DOCS_SCREENSHOTS") != "1":
        return
    DOCS.mkdir(exist_ok=True)
    path = DOCS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("console-home"))
    yield running
    stop_server(running)


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(BASE_FLAGS)
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test: no token carried over from another."""
    opened = await browser.new_context(viewport=WIDE, accept_downloads=True)
    yield opened
    await opened.close()


async def until(page: Page, expression: str, timeout_s: float = 30) -> None:
    """Waits for a page expression to be true. Playwright's wait_for_function evaluates a string the
    way the console's Content-Security-Policy forbids; a plain evaluate is allowed."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await page.evaluate(expression):
        assert asyncio.get_running_loop().time() < deadline, f"never true: {expression}"
        await asyncio.sleep(0.1)


async def sign_in(page: Page, server: Server, token: str, path: str = "/") -> None:
    await page.goto(server.url + path)
    await page.get_by_label("Tenant token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#content").wait_for()


async def test_submit_from_the_editor_and_look_at_the_ended_run(
    console: Server, context: BrowserContext, site: str, tmp_path: Path
) -> None:
    page = await context.new_page()
    await sign_in(page, console, console.token, "/runs/new")
    await until(page, "document.getElementById('plan-state').textContent.includes('accepts')")
    await shoot(page, "new-run")

    plan = page.locator("#plan")
    broken = job_plan(site)
    broken["steps"][2]["then_target"] = -5  # type: ignore[index]
    await plan.fill(json.dumps(broken, indent=2))
    await page.locator("#plan-errors li").first.wait_for()
    assert "steps[2].then_target" in await page.locator("#plan-errors").inner_text()
    assert await plan.get_attribute("aria-invalid") == "true"
    dom_only = {"steps": [{"type": "navigate", "params": {"url": site}}, {"type": "close_tab"}]}
    await plan.fill(json.dumps(dom_only))
    await page.get_by_label("Compute plane").select_option("computer_plane")
    await until(page, "document.getElementById('plan-errors').textContent.includes('DOM-aware')")
    assert "steps[1]" in await page.locator("#plan-errors").inner_text()  # the plane, as the server sees it
    await plan.fill("{\"steps\": [")
    await until(page, "document.getElementById('plan-errors').textContent.includes('line 1')")

    await plan.fill(json.dumps(job_plan(site), indent=2))
    await until(page, "document.getElementById('plan-state').textContent.includes('accepts')")
    await page.get_by_label("Compute plane").select_option("browser_use_plane")
    await page.get_by_label("Record video").check()
    await page.get_by_label("Cost cap (USD)").fill("1")
    await page.get_by_role("button", name="Start run").click()
    await page.wait_for_url("**/runs/2*")
    run_id = page.url.rsplit("/", 1)[-1]
    await page.locator("#status.succeeded").wait_for(timeout=RUN_TIMEOUT_MS)

    listed = console.predict({"action": "list", "limit": 1000}).json()["runs"]
    submitted = next(r for r in listed if r["run_id"] == run_id)
    assert submitted["status"] == "succeeded" and submitted["compute_backend"] == "browser_use_plane"
    assert submitted["plan"] == "jobs in texas"
    run_dir = console.home / "runs" / run_id

    await page.locator("#rows tbody tr").first.wait_for()
    viable = await page.locator("#rows tr.viable").count()
    rejected = page.locator("#rows tr.rejected")
    stored = json.loads((run_dir / "extracted_rows.json").read_text())
    assert viable == sum(r["_viable"] for r in stored) >= 1
    assert await rejected.count() == len(stored) - viable >= 1
    assert "rejected: no_schema_configured" in await rejected.first.inner_text()
    headers = await page.locator("#rows thead th").all_inner_texts()
    assert "_viable" not in headers and "job_title" in headers

    timeline = page.locator("#timeline")
    assert await timeline.locator("li.branch").filter(has_text="branch: listed").count() == 1
    assert await timeline.locator("li.branch").filter(has_text="loop: iteration 1").count() == 1
    assert await timeline.locator("li.step .tag").filter(has_text="iteration 2").count() == 1
    shots = timeline.locator(".shot img")
    assert await shots.count() >= 4
    await until(page, "[...document.querySelectorAll('.shot img')].every(i => i.naturalWidth > 0)")

    for kind in ("polished", "raw"):
        # The recordings are made after the run ends, at low priority: on a loaded machine that takes a while.
        await until(page, f"document.querySelector('#{kind} video').readyState >= 2", timeout_s=180)
    await shoot(page, "run")

    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "rows.csv"
    await (await download.value).save_as(saved)
    assert saved.read_bytes() == (run_dir / "extracted_rows.csv").read_bytes()

    async with context.expect_page() as opened:  # a screenshot opens in a new tab, with no token
        await timeline.locator("a.shot").first.click()
    tab = await opened.value
    await tab.wait_for_load_state()
    assert await tab.evaluate("document.images[0].naturalWidth") > 0


async def test_watch_a_run_live_and_cancel_it(console: Server, context: BrowserContext, site: str) -> None:
    slow = [{"type": "navigate", "params": {"url": site}}, {"type": "wait", "params": {"seconds": 60}}]
    body = {"micro": slow, "compute_backend": "browser_use_plane", "live_viewer": True}
    run_id = console.predict(body).json()["run_id"]
    page = await context.new_page()
    await sign_in(page, console, console.token, f"/runs/{run_id}")
    await page.locator("#status.running").wait_for(timeout=RUN_TIMEOUT_MS)
    await page.locator("#log li").filter(has_text="step.started").first.wait_for()
    await page.locator("#viewer").wait_for()  # the run's screen, in the page while it runs
    await until(page, "document.getElementById('viewer-img').naturalWidth > 0")
    link = page.get_by_role("link", name="Open the live viewer in a new tab")
    assert "/v1/viewer/" in str(await link.get_attribute("href"))
    await page.get_by_role("button", name="Cancel run").click()
    await page.locator("#status.cancelled").wait_for(timeout=30_000)
    assert await page.get_by_role("button", name="Cancel run").is_disabled()
    assert console.status(run_id)["status"] == "cancelled"
    await page.locator("#log li").filter(has_text="run.cancelled").wait_for()


async def test_another_tenant_sees_none_of_the_runs(console: Server, browser: Browser) -> None:
    mine = console.predict({"micro": QUICK, "compute_backend": "browser_use_plane"}).json()["run_id"]
    other = console.tenant("console-other")
    context = await browser.new_context(viewport=WIDE)
    try:
        page = await context.new_page()
        await sign_in(page, console, other)
        await page.locator("#no-runs").wait_for()
        assert await page.locator("#runs tbody tr").count() == 0
        await page.goto(f"{console.url}/runs/{mine}")
        await page.locator("#run-error").filter(has_text="no run").wait_for()
        assert await page.locator("#rows tbody tr").count() == 0
        assert await page.locator("#log li").count() == 0
        await page.goto(f"{console.url}/")
        await page.locator("#no-runs").wait_for()
    finally:
        await context.close()


async def test_the_list_filters_pages_and_updates_live(console: Server, context: BrowserContext) -> None:
    token = console.tenant("console-pages")
    quick = {"micro": [{"type": "wait", "params": {"seconds": 30}}], "compute_backend": "browser_use_plane"}
    ids = [console.predict(quick, token=token).json()["run_id"] for _ in range(11)]
    for run_id in ids:
        console.predict({"action": "cancel", "run_id": run_id}, token=token)
    page = await context.new_page()
    await sign_in(page, console, token)
    await page.get_by_label("Per page").select_option("10")
    rows = page.locator("#runs tbody tr")
    await until(page, "document.querySelectorAll('#runs tbody tr').length === 10")
    assert await rows.first.get_attribute("data-run-id") == ids[-1]  # newest first
    await page.get_by_role("button", name="Older →").click()
    await until(page, "document.querySelectorAll('#runs tbody tr').length === 1")
    assert await rows.first.get_attribute("data-run-id") == ids[0]
    await page.get_by_role("button", name="← Newer").click()
    await until(page, "document.querySelectorAll('#runs tbody tr').length === 10")

    await page.get_by_label("Status").select_option("succeeded")
    await page.locator("#no-runs").wait_for()
    await page.get_by_label("Status").select_option("cancelled")
    await until(page, "document.querySelectorAll('#runs tbody tr[data-status=cancelled]').length === 10")

    await page.get_by_label("Status").select_option("")
    fresh = console.predict({"micro": QUICK, "compute_backend": "browser_use_plane"}, token=token).json()
    await page.locator(f"#runs tbody tr[data-run-id='{fresh['run_id']}']").wait_for()  # no reload
    await shoot(page, "runs")


async def test_phone_width_keyboard_and_sign_out(console: Server, browser: Browser) -> None:
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        await page.goto(console.url + "/")
        await shoot(page, "sign-in")
        await page.keyboard.press("Tab")  # the skip link, then the page's controls in order
        await page.get_by_label("Tenant token").focus()
        await page.keyboard.type(console.token)
        await page.keyboard.press("Enter")
        await page.locator("#runs tbody tr").first.wait_for()
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await shoot(page, "runs-phone")
        first = await page.locator("#runs tbody tr a").first.get_attribute("href")
        await page.goto(console.url + str(first))
        await page.locator("#status").filter(has_text="succeeded").or_(
            page.locator("#status").filter(has_text="cancelled")
        ).wait_for(timeout=RUN_TIMEOUT_MS)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        await page.get_by_role("button", name="Sign out").click()
        await page.locator("#sign-in").wait_for()
        assert await page.evaluate("sessionStorage.length") == 0
        await page.reload()
        assert await page.locator("#sign-in").is_visible() and not await page.locator("#content").is_visible()
    finally:
        await context.close()


async def test_the_api_docs_load_with_no_outside_request(console: Server, context: BrowserContext) -> None:
    """Every request off the server is refused, and both pages still render: their scripts and styles
    come from the package. (ReDoc's bundle would fetch its own small logo from its site: an image, and
    the page does without it.)"""
    page = await context.new_page()
    outside: list[tuple[str, str]] = []

    async def only_the_server(route: Route) -> None:
        if route.request.url.startswith(console.url):
            await route.continue_()
        else:
            outside.append((route.request.resource_type, route.request.url))
            await route.abort()

    await page.route("**/*", only_the_server)
    await page.goto(console.url + "/docs")
    await page.locator(".swagger-ui .info .title").filter(has_text="Mantis").wait_for()
    assert outside == []
    await page.goto(console.url + "/redoc")
    await page.locator("h1").filter(has_text="Mantis").wait_for()
    assert {kind for kind, _url in outside} <= {"image"}
    html = httpx.get(console.url + "/docs").text + httpx.get(console.url + "/redoc").text
    assert "cdn." not in html and "googleapis" not in html

"""The fence on both planes, tried as an attacker would: every way a page can lead the browser to an
off-list host, against a real off-list server that counts what reaches it (it must see nothing), plus
host spellings, schemes, private addresses and the server's own /demo/ sites."""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Server, start_server, stop_server
from tests.pages_server import QuietHandler, serve

from mantis.fence.policy import Fence, FencePolicy, Refusal
from mantis.fence.proxy import FenceProxy
from mantis.planes.base import Action, NavigationBlocked, PlaneError, SessionConfig
from mantis.planes.chromium import CHROMIUM
from mantis.planes.computer import ComputerPlane, ComputerSession
from mantis.planes.dom import DomPlane
from mantis.plans.allowlist import host_allowed, normalise_host

OFF_HOST = "127.0.0.2"  # another loopback address: off the list that names 127.0.0.1 alone
# A control filling the page's top-left corner, so both planes click it at the same point.
CORNER = "position:absolute;left:0;top:0;width:600px;height:300px;font-size:40px;display:block"
CLICK = (200, 150)


def _pages(off: str) -> dict[str, str]:
    return {
        "/link": f"<a style='{CORNER}' href='{off}/clicked'>Partner offer</a>",
        "/meta": f"<meta http-equiv='refresh' content='0;url={off}/meta'><p>Refreshing</p>",
        "/script": f"<p>Moving</p><script>setTimeout(() => location = '{off}/scripted', 50)</script>",
        "/popup": f"<button style='{CORNER}' onclick=\"window.open('{off}/popup')\">Open deal</button>",
        "/form": f"<form method='post' action='{off}/form'><input name='q' value='x'></form>"
        "<script>setTimeout(() => document.forms[0].submit(), 50)</script>",
        "/frame": f"<h1>Framed</h1><iframe src='{off}/frame'></iframe>",
        "/subresources": f"<h1>Images and beacons</h1><img src='{off}/image.png'>"
        f"<script>fetch('{off}/fetch').catch(() => 0); navigator.sendBeacon('{off}/beacon', 'x');</script>",
        "/schemes": "<a style='" + CORNER + "' href='file:///etc/passwd'>Local file</a>"
        "<a href='chrome://version'>Version</a><a href='view-source:http://127.0.0.1/'>Source</a>",
        "/upload": f"<input type='file' style='{CORNER}'>",
        "/blob": "<script>setTimeout(() => location = URL.createObjectURL("
        "new Blob(['<h1>made here</h1>'], {type: 'text/html'})), 50)</script>",
    }


class _Counting(QuietHandler):
    def _count(self) -> None:
        self.server.seen.append(self.path)  # type: ignore[attr-defined]
        self.reply("<h1>OFF-LIST CONTENT</h1>")

    do_GET = do_POST = _count


class _Site(QuietHandler):
    def do_GET(self) -> None:
        pages: dict[str, str] = self.server.pages  # type: ignore[attr-defined]
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", pages["/link"].split("href='")[1].split("/clicked")[0] + "/hop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        page = pages.get(self.path, "<h1>Allowed page</h1>")
        self.reply(f"<!doctype html><html><body>{page}</body></html>")


@pytest.fixture(scope="module")
def off_list() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    with serve(_Counting, OFF_HOST, seen=seen) as url:
        yield url, seen


@pytest.fixture(scope="module")
def allowed(off_list: tuple[str, list[str]]) -> Iterator[str]:
    with serve(_Site, "127.0.0.1", pages=_pages(off_list[0])) as url:
        yield url


# --- host spellings and the policy, without a browser ---


def test_hosts_are_matched_as_the_browser_reads_them() -> None:
    for spelling in ("2130706433", "0x7f.1", "017700000001", "127.1", "127.0.0.1.", "[::ffff:127.0.0.1]"):
        assert normalise_host(spelling) in {"127.0.0.1", "::ffff:7f00:1"}, spelling
    assert normalise_host("Exämple.COM.") == "xn--exmple-cua.com"
    assert host_allowed("SHOP.Example.com.", ["*.example.com"])
    assert not host_allowed("example.com", ["*.example.com"])  # the apex is not under the wildcard
    assert not host_allowed("evilexample.com", ["*.example.com"])
    assert host_allowed("crm.example.org", ["CRM.example.org."])
    policy = FencePolicy(("127.0.0.1",), allow_private=True)
    for url in ("http://2130706433/", "http://0x7f.1:8000/x", "http://user:pw@127.0.0.1/"):
        assert policy.refusal(url) is None, url
    for url, host in (
        ("http://127.0.0.1@evil.test/", "evil.test"),  # userinfo: the host is after the @
        ("http://127.0.0.1\\@evil.test/", "127.0.0.1"),  # a backslash ends the host, as in Chromium
        ("http://evil.test\\@127.0.0.1/", "evil.test"),
        ("http://evil.test./", "evil.test"),
    ):
        refusal = policy.refusal(url)
        assert (refusal is None) == (host == "127.0.0.1") and (refusal is None or refusal.host == host), url


def test_only_http_pages_and_no_private_addresses_unless_allowed() -> None:
    open_policy = FencePolicy()
    for url in (
        "file:///etc/passwd",
        "chrome://version",
        "view-source:http://example.com/",
        "javascript:alert(1)",
        "data:text/html,hi",
        "blob:http://example.com/1",
    ):
        refusal = open_policy.refusal(url)
        assert refusal is not None and "only http and https" in refusal.reason, url
    for url in (
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost:8000/",
        "http://0.0.0.0/",
    ):
        assert open_policy.refusal(url) is not None, url
        assert FencePolicy(allow_private=True).refusal(url) is None, url
    assert open_policy.refusal("https://93.184.215.14/") is None
    own = FencePolicy(("shop.example.com",), own_url="http://127.0.0.1:8123/mantis")
    assert own.refusal("http://127.0.0.1:8123/mantis/demo/marketplace/") == Refusal(
        "127.0.0.1", "not in the tenant's allowed_domains"
    )  # the tenant's allowlist still holds
    bare = FencePolicy(own_url="http://127.0.0.1:8123/mantis")
    assert bare.refusal("http://127.0.0.1:8123/mantis/demo/marketplace/") is None
    assert bare.refusal("http://127.0.0.1:8123/mantis/demo/../v1/predict") is not None
    assert bare.refusal("http://127.0.0.1:8124/mantis/demo/") is not None


async def test_the_proxy_checks_the_address_a_name_resolves_to(off_list: tuple[str, list[str]]) -> None:
    """A name that resolves to a private address is refused once resolved (this host's own name, which
    resolves to loopback here), and an address spelled another way is the address it is."""
    off, seen = off_list
    seen.clear()
    port = off.rsplit(":", 1)[1]
    name = socket.gethostname()
    if not all(ipaddress.ip_address(i[4][0]).is_loopback for i in socket.getaddrinfo(name, None)):
        pytest.skip(f"{name} does not resolve to loopback here")
    private = Fence(FencePolicy())
    listed = Fence(FencePolicy(("127.0.0.1", name), allow_private=True))
    for fence, target in ((private, f"http://{name}:{port}/named"), (listed, f"http://0x7f000002:{port}/hex")):
        proxy = await FenceProxy.start(fence)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", int(proxy.url.rsplit(":", 1)[1]))
            writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            answer = await asyncio.wait_for(reader.read(), 10)
            writer.close()
        finally:
            await proxy.close()
        assert answer.startswith(b"HTTP/1.1 403") and b"X-Mantis-Fence" in answer
    assert private.blocked == {name: 1} and private.page_refusal(f"http://{name}:{port}/") is not None
    assert listed.blocked == {OFF_HOST: 1}
    assert seen == []


# --- every vector on both planes, in one session each ---

PLANES = ("dom", "computer")


@pytest.fixture(params=PLANES)
async def fenced(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Any, Fence, list[str]]]:
    """A session whose fence allows 127.0.0.1 alone (private addresses allowed: the test's are), and
    the URLs it refused."""
    if request.param == "computer" and shutil.which("Xvfb") is None:
        pytest.skip("the computer plane needs Xvfb")
    refused: list[str] = []
    fence = Fence(
        FencePolicy(("127.0.0.1",), allow_private=True), on_blocked=lambda url, *_: refused.append(url)
    )
    plane = DomPlane(CHROMIUM, tmp_path / "scratch") if request.param == "dom" else ComputerPlane()
    session = await plane.open(SessionConfig(tmp_path, fence=fence))
    try:
        yield session, fence, refused
    finally:
        await session.close()
        await plane.shutdown()


TOP_LEVEL = (
    ("/link", True, "/clicked"),
    ("/redirect", False, "/hop"),
    ("/meta", False, "/meta"),
    ("/script", False, "/scripted"),
    ("/popup", True, "/popup"),
    ("/form", False, "/form"),
)


async def test_no_request_reaches_an_off_list_host(
    fenced: tuple[Any, Fence, list[str]], allowed: str, off_list: tuple[str, list[str]]
) -> None:
    session, fence, refused = fenced
    off, seen = off_list
    seen.clear()
    with pytest.raises(NavigationBlocked, match=OFF_HOST):
        await session.navigate(f"{off}/typed", 10)
    held: dict[str, bool] = {}
    for path, click, lands in TOP_LEVEL:
        blocked = await _blocked(session, allowed + path, click, refused, lands)
        held[path] = OFF_HOST in str(blocked)
    for path in ("/frame", "/subresources"):
        await session.navigate(allowed + path, 15)  # a frame or an image is blocked, the page stands
        await session.wait(0.5)
        assert (await session.observe()).url == allowed + path
    refused_paths = {u.rsplit("/", 1)[-1] for u in refused}
    assert {"frame", "image.png", "fetch", "beacon"} <= refused_paths
    assert held == {path: True for path, _, _ in TOP_LEVEL}
    assert seen == []  # the off-list server saw nothing at all
    assert fence.blocked[OFF_HOST] >= len(TOP_LEVEL) + 4
    await session.navigate(allowed + "/schemes", 15)
    await session.act(Action("click", point=CLICK), 10)  # a link to file:///etc/passwd
    await session.wait(0.3)
    page = await session.observe()
    assert page.url == allowed + "/schemes" and "root:" not in (page.text or "")
    assert "blob:" in str(await _blocked(session, allowed + "/blob", False, refused, ""))
    assert not (await session.observe()).url.startswith("blob:")
    if isinstance(session, ComputerSession):
        await _no_key_or_dialog_reaches_the_browser(session, allowed)


# Chords for the address bar, new tabs and windows, devtools, file dialogs, print, view-source, history,
# downloads, the task manager, zoom and tab switching: each of Chromium's own controls a key could reach.
BROWSER_CHORDS = (
    "ctrl+l", "F6", "alt+d", "ctrl+n", "ctrl+shift+n", "ctrl+t", "F12", "ctrl+shift+i", "ctrl+shift+j",
    "ctrl+o", "ctrl+s", "ctrl+p", "ctrl+u", "ctrl+h", "ctrl+j", "shift+Escape", "ctrl+plus", "ctrl+Tab",
    "alt+f", "alt+Home", "ctrl+w", "F11",
)  # fmt: skip


async def _no_key_or_dialog_reaches_the_browser(session: ComputerSession, allowed: str) -> None:
    await session.navigate(allowed + "/upload", 15)
    windows = _named_windows(session.display)
    held = 0
    for chord in BROWSER_CHORDS:
        try:
            await session.act(Action("press", key=chord), 5)
        except PlaneError as exc:
            held += "refused" in str(exc)
    assert held == len(BROWSER_CHORDS)
    await session.act(Action("press", key="Tab"), 5)  # a key a page needs still works
    await session.act(Action("click", point=CLICK), 10)  # a file input: no file chooser opens
    await session.wait(1)
    assert _named_windows(session.display) == windows
    assert await session.current_url() == allowed + "/upload"


def _named_windows(display: str) -> set[str]:
    """The titles of the display's visible windows (a file dialog is one, titled "Open File")."""
    env = {"DISPLAY": display}
    ids = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", ""], env=env, capture_output=True, text=True
    ).stdout.split()
    titles = (
        subprocess.run(["xdotool", "getwindowname", i], env=env, capture_output=True, text=True).stdout
        for i in ids
    )
    return {title.strip() for title in titles if title.strip()}


async def _blocked(session: Any, url: str, click: bool, refused: list[str], lands: str) -> Any:
    """Opens the page (clicking its control), waits until the proxy refused the load it leads to (for
    as long as a loaded machine may take), then looks at the page: the look must fail."""
    try:
        await session.navigate(url, 15)
        if click:
            await session.act(Action("click", point=CLICK), 10)
        for _ in range(100):
            if not lands or any(u.endswith(lands) for u in refused):
                break
            await session.wait(0.1)
        for _ in range(5):
            await session.observe()
            await session.wait(0.3)
    except NavigationBlocked as exc:
        return exc
    return None


# --- through the server: what a tenant sees ---


def _run(server: Server, plan: list[dict[str, Any]], plane: str = "browser_use_plane", **more: Any) -> Any:
    """The run's status once it ended (with its error, if any)."""
    body = {"micro": plan, "compute_backend": plane, "detached": False, **more}
    return server.status(server.predict(body).json()["run_id"])


def test_loopback_is_refused_unless_the_operator_allows_it_but_demo_sites_work(
    tmp_path_factory: pytest.TempPathFactory, allowed: str
) -> None:
    server = start_server(tmp_path_factory.mktemp("no-private"), MANTIS_ALLOW_PRIVATE_BROWSING="0")
    try:
        refused = server.predict({"micro": [{"type": "navigate", "params": {"url": allowed + "/link"}}]})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "domain_not_allowed"
        assert "127.0.0.1" in refused.json()["error"]["message"]
        decimal = allowed.replace("127.0.0.1", "2130706433")  # filled in at run time, checked then
        late = _run(server, [{"type": "navigate", "params": {"url": "{target}"}}], inputs={"target": decimal})
        assert late["status"] == "failed" and late["error"]["code"] == "domain_not_allowed"
        for plane in ("browser_use_plane", "computer_plane"):
            demo = _run(server, [{"type": "navigate", "params": {"url": "/demo/marketplace/"}}], plane)
            assert demo["status"] == "succeeded", demo
    finally:
        stop_server(server)


def test_a_run_fails_on_a_redirect_off_the_list_and_counts_what_it_blocked(
    server: Server, allowed: str, off_list: tuple[str, list[str]]
) -> None:
    seen = off_list[1]
    seen.clear()
    token = server.tenant("fenced-to-loopback-ip", "--allowed-domain", "127.0.0.1")
    plan = [
        {"type": "navigate", "params": {"url": allowed + "/subresources"}},
        {"type": "wait", "params": {"seconds": 1}},
        {"type": "navigate", "params": {"url": allowed + "/redirect"}},
    ]
    for plane in ("browser_use_plane", "computer_plane"):
        body = {"micro": plan, "compute_backend": plane, "detached": False}
        run_id = server.predict(body, token=token).json()["run_id"]
        run = server.status(run_id, token)
        assert run["status"] == "failed" and run["error"]["code"] == "domain_not_allowed", run
        assert OFF_HOST in run["error"]["message"]
        logs = server.predict({"action": "logs", "run_id": run_id, "limit": 1000}, token=token).json()
        kinds = {e["type"]: e for e in logs["events"]}
        assert OFF_HOST in kinds["request.blocked"]["message"]
        assert kinds["fence.summary"]["data"]["blocked"][OFF_HOST] >= 4  # image, fetch, beacon, hop
    assert seen == []


def test_a_tenant_without_an_allowlist_opens_no_file_or_chrome_page(server: Server, allowed: str) -> None:
    for url in ("file:///etc/passwd", "chrome://version", "view-source:file:///etc/passwd"):
        response = server.predict({"micro": [{"type": "navigate", "params": {"url": url}}]})
        assert response.status_code == 403 and response.json()["error"]["code"] == "domain_not_allowed"
    filled = _run(
        server, [{"type": "navigate", "params": {"url": "{u}"}}], inputs={"u": "chrome://settings"}
    )
    assert filled["status"] == "failed" and filled["error"]["code"] == "domain_not_allowed"
    tab = _run(
        server,
        [
            {"type": "navigate", "params": {"url": allowed + "/schemes"}},
            {"type": "capture_link_in_new_tab", "params": {"label": "Local file"}},
        ],
    )
    assert tab["status"] == "failed" and tab["error"]["code"] == "domain_not_allowed"
    assert "file:" in tab["error"]["message"]

"""Pages of the tests' own (not the demo sites), served on 127.0.0.1 by a stdlib server in a thread."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

PAGES = Path(__file__).parent / "pages"

SHOP = """<!doctype html><html><head><title>Gadget shop</title></head><body>
<div id="promo" role="dialog" aria-label="Newsletter"><p>Join our newsletter for deals</p>
<button onclick="document.getElementById('promo').remove()">No thanks</button></div>
<h1>Gadgets</h1>
<form action="/search"><label>Search <input name="q"></label><button>Go</button></form>
<ul class="products">
 <li class="product"><h2 class="name"><a href="/p/1">Widget Pro</a></h2><span class="price">$19</span>
   <span class="vendor">Acme Outlet</span></li>
 <li class="product"><h2 class="name"><a href="/p/2">Gizmo Max</a></h2><span class="price">$35</span>
   <span class="vendor">Bob's Dealership</span></li>
 <li class="product"><h2 class="name"><a href="/p/3">Doohickey</a></h2><span class="price">$7</span>
   <span class="vendor">Carla</span></li>
 <li class="product"><h2 class="name"><a href="/ads/9">Sponsored: Get financing today</a></h2>
   <span class="price">$0</span><span class="vendor">Ads</span></li>
</ul>
<p><a href="/p/1" target="_blank">Open Widget in a new tab</a></p>
<p><a href="http://localhost:{port}/elsewhere">Visit our partner</a></p>
<button onclick="document.body.append('Financing approved')">Apply for financing</button>
</body></html>"""

PRODUCT = """<!doctype html><html><body><main><h1>{name}</h1>
<dl><dt>Price</dt><dd>${price}</dd><dt>Vendor</dt><dd>{vendor}</dd></dl></main></body></html>"""

# Controls at known places, for agent models that aim at pixels.
SIGN_UP = """<!doctype html><html><head><title>Sign up</title><style>body{margin:0}
#name{position:absolute;left:100px;top:100px;width:300px;height:40px;font-size:20px}
#go{position:absolute;left:100px;top:200px;width:300px;height:60px;font-size:20px}</style></head><body>
<form action="/welcome"><input id="name" name="name" aria-label="Name">
<button id="go">Sign up</button></form></body></html>"""

# A form, a tiny button that adds cards, and unequal cards under a dark banner: for recordings.
LEDGER = """<!doctype html><html><head><title>Ledger</title><style>
body{margin:0;font-family:Arial,sans-serif;background:#f4f1ea;color:#222}
.q1{background:#14161c;color:#e8e8e8;padding:16px 28px;font-size:20px}.z3{padding:14px 28px}
.z3 label{display:block;font-size:18px;margin:10px 0}.z3 input{font-size:18px;padding:6px;width:260px}
.k7{font-size:13px;padding:3px 8px;margin-top:6px}.g{display:flex;gap:18px;padding:8px 28px;flex-wrap:wrap}
.c{background:#fff;border:1px solid #bbb;padding:4px 14px;width:190px}.c.w{width:300px}
.c h3{font-size:20px;margin:8px 0}.c p{font-size:16px;margin:8px 0}</style></head><body>
<div class="q1">Quarterly ledger</div><div class="z3">
<label>Handle <input name="handle"></label><label>Passphrase <input name="pass" type="password"></label>
<button class="k7" onclick="more()">More cards</button></div>
<div class="g" id="g"><div class="c w"><h3>Copper kettle</h3><p>Seller Orla</p></div>
<div class="c"><h3>Walnut stool</h3><p>Seller Bram</p></div></div>
<script>const extra=[["Brass lantern","Seller Pim"],["Linen apron","Seller Quade"]];let n=0;
function more(){if(n<extra.length){const d=document.createElement('div');d.className='c';
d.innerHTML='<h3>'+extra[n][0]+'</h3><p>'+extra[n][1]+'</p>';document.getElementById('g').append(d);n++;}}
</script></body></html>"""

PRODUCTS = {
    "1": ("Widget Pro", 19, "Acme Outlet"),
    "2": ("Gizmo Max", 35, "Bob's Dealership"),
    "3": ("Doohickey", 7, "Carla"),
}


class QuietHandler(BaseHTTPRequestHandler):
    """A test page server's handler: answers through `reply` and logs nothing."""

    def reply(
        self,
        body: str | bytes,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", **attrs: Any) -> Iterator[str]:
    """Serves `handler` on a free port of `host` in a thread; `attrs` become attributes of the server."""
    httpd = ThreadingHTTPServer((host, 0), handler)
    for name, value in attrs.items():
        setattr(httpd, name, value)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class Pages(QuietHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        port = self.server.server_address[1]
        if path == "/":
            body = SHOP.replace("{port}", str(port))
        elif path.startswith("/p/") and path[3:] in PRODUCTS:
            name, price, vendor = PRODUCTS[path[3:]]
            body = PRODUCT.format(name=name, price=price, vendor=vendor)
        elif path == "/sign-up":
            body = SIGN_UP
        elif path == "/ledger":
            body = LEDGER
        elif path == "/welcome":
            name = unquote_plus(self.path.split("name=")[-1])
            body = f"<html><body style='font-size:40px'><h1>Welcome, {html.escape(name)}</h1></body></html>"
        elif path.startswith("/pages/") and path[7:] in {p.name for p in PAGES.glob("*.html")}:
            body = (PAGES / path[7:]).read_text(encoding="utf-8")
        elif path == "/search":
            body = f"<html><body><h1>Results for {self.path.split('q=')[-1]}</h1></body></html>"
        else:
            body = "<html><body><h1>Elsewhere</h1></body></html>"
        self.reply(body)


@contextmanager
def serve_pages() -> Iterator[str]:
    with serve(Pages) as url:
        yield url

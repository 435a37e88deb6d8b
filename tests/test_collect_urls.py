"""`collect_urls` never returns the page it stands on: on the DOM plane a list whose item links all lead
back to the page itself collects nothing and says so; on the computer plane, which cannot see where a
link leads, the step is refused before the session starts (tests/test_offline_structure.py)."""

from __future__ import annotations

from tests.conftest import Server


def test_links_back_to_the_page_itself_are_never_collected(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": f"{site}/pages/self_links.html"}},
        {"type": "collect_urls", "intent": "Collect the lighthouses", "out_var": "links"},
        {"type": "navigate", "params": {"url_from": "links"}},
    ]
    body = server.predict({"micro": plan, "compute_backend": "browser_use_plane", "detached": False}).json()
    assert body["status"] == "failed"
    assert "no item links found" in body["summary"]
    assert "links" not in body["result"]["state_vars"]

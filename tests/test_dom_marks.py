"""The DOM plane's hidden-element marks, read with the page's html in one round trip: a hidden element is
never extracted, one shown since the last extraction is, and a page read again unchanged sees no
mutation of its own (marks are written only where they change)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import Server
from tests.pages_server import QuietHandler, serve

# The first lamp's title counts the mark mutations the page's own observer saw; the third lamp is hidden
# by a class until Show is clicked.
PAGE = """<!doctype html><html><head><title>Lamps</title><style>.gone {display: none}</style></head><body>
<ul><li class="lamp"><h2 id="count">Marks 0</h2><span>$20.00</span></li>
<li class="lamp"><h2>Opal pendant</h2><span>$35.00</span></li>
<li class="lamp gone" id="ghost"><h2>Ghost lamp</h2><span>$99.00</span></li></ul>
<button onclick="document.getElementById('ghost').classList.remove('gone')">Show</button>
<script>
let marks = 0;
new MutationObserver((records) => {
  marks += records.length;
  document.getElementById('count').textContent = 'Marks ' + marks;
}).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-mantis-hidden']});
</script></body></html>"""
SPEC = {"entity_name": "lamp", "max_items": 5, "fields": [{"name": "title"}, {"name": "price"}]}
EXTRACT = {"type": "extract_data", "intent": "Extract the lamps", "extract": SPEC}


class Lamps(QuietHandler):
    def do_GET(self) -> None:
        self.reply(PAGE)


@pytest.fixture(scope="module")
def lamps() -> Iterator[str]:
    with serve(Lamps) as url:
        yield url + "/"


def test_marks_are_written_only_where_they_change_and_never_let_a_hidden_element_through(
    server: Server, lamps: str
) -> None:
    show = {"type": "click", "params": {"label": "Show"}}
    plan = [{"type": "navigate", "params": {"url": lamps}}, *[EXTRACT] * 3, show, EXTRACT]
    answer = server.predict({"micro": plan, "compute_backend": "browser_use_plane", "detached": False})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "succeeded", result["summary"]
    titles = [row["title"] for row in result["result"]["rows"]]  # each extraction's rows, in order
    # the first extraction marked the ghost and the script (two mutations, seen after it read the page);
    # the next two found the page as it was and wrote nothing
    assert titles[:6] == ["Marks 0", "Opal pendant", "Marks 2", "Opal pendant", "Marks 2", "Opal pendant"]
    # shown now: it is read, and its mark taken off (one more mutation, seen after the read)
    assert titles[6:] == ["Marks 2", "Opal pendant", "Ghost lamp"]

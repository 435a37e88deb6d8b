"""The offline extractor on shapes the demo sites never show: generated class names, cards of unequal
content, tables read by their headers, breadcrumbs, and what a page states in its head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Server

from mantis.brains.offline.extract import extract_rows
from mantis.plans.models import ExtractSpec
from mantis.runner.rows import judge

PAGES = Path(__file__).parent / "pages"
BASE = "http://127.0.0.1:8000/"


def _spec(entity: str, *fields: dict[str, Any], max_items: int | None = None) -> ExtractSpec:
    return ExtractSpec.model_validate({"entity_name": entity, "fields": list(fields), "max_items": max_items})


def _rows(page: str, spec: ExtractSpec) -> list[dict[str, Any]]:
    return extract_rows((PAGES / page).read_text(encoding="utf-8"), spec, BASE)


def test_five_cards_with_generated_classes_are_five_rows_and_the_unpriced_one_is_not_viable() -> None:
    spec = _spec(
        "boat",
        {"name": "title"},
        {"name": "price", "type": "int"},
        {"name": "location", "required": False},
        {"name": "seller", "required": False},
        {"name": "url"},
        max_items=10,
    )
    rows = _rows("obfuscated_grid.html", spec)
    assert [r["title"] for r in rows] == [
        "2016 Sea Ray 240 Sundeck",
        "Boston Whaler",
        "2009 Grady-White Freedom 205 with trailer and new canvas",
        "2020 Yamaha 212X",
        "2018 Chaparral 21 SSi",
    ]
    assert [r["price"] for r in rows] == [48900, 31500, 22750, None, 39000]
    assert [r["location"] for r in rows] == ["Tampa, FL", "Sarasota, FL", "Naples, FL", "Miami, FL",
                                             "Fort Myers, FL"]
    assert [r["seller"] for r in rows] == ["Gulf Marine", None, "Private", "Bay Boats", "Coastline"]
    assert [r["url"] for r in rows] == [f"{BASE}b/{n}" for n in range(101, 106)]
    assert [judge(r, spec).viable for r in rows] == [True, True, True, False, True]


def test_head_metadata_names_the_fields_of_an_article() -> None:
    spec = _spec("article", {"name": "headline"}, {"name": "author"}, {"name": "published_date"})
    assert _rows("head_metadata.html", spec) == [{
        "headline": "Harbour reopens after a year of repairs",
        "author": "Mara Lindqvist",
        "published_date": "2024-03-18T07:30:00+01:00",
    }]


def test_a_date_stated_only_in_a_time_element_is_read() -> None:
    html = """<html><body><article><h1>Quay works end</h1>
      <p>Posted <time datetime="2023-11-02">last Thursday</time></p><p>The works ended.</p></article>
      </body></html>"""
    spec = _spec("article", {"name": "title"}, {"name": "published_date"})
    rows = extract_rows(html, spec, BASE)
    assert rows[0]["title"] == "Quay works end"
    assert "2023-11-02" in str(rows[0]["published_date"])


def test_a_table_is_read_by_its_header_cells() -> None:
    spec = _spec("part", {"name": "name"}, {"name": "rating", "required": False}, {"name": "price"},
                 {"name": "in_stock", "type": "bool"}, max_items=10)
    assert [list(r.values()) for r in _rows("stock_table.html", spec)] == [
        ["Impeller kit", "4.5", "$19.99", True],
        ["Fuel filter", "3.9", "$8.50", False],
        ["Spark plug set", "4.8", "$24.00", True],
        ["Bilge pump", "4.1", "$54.25", False],
    ]


def test_a_header_row_of_th_cells_is_no_record_and_stock_counts_stay_in_their_column() -> None:
    html = """<table><tr><th>Product</th><th>Rating</th><th>In stock</th><th>Price</th></tr>
      <tr><td>A lamp</td><td>4.5</td><td>12</td><td>$3</td></tr>
      <tr><td>B lamp</td><td>3.5</td><td>0</td><td>$4</td></tr>
      <tr><td>C lamp</td><td>4.0</td><td>7</td><td>$5</td></tr></table>"""
    spec = _spec("item", {"name": "name"}, {"name": "in_stock", "type": "int"}, {"name": "rating"},
                 max_items=10)
    assert [list(r.values()) for r in extract_rows(html, spec, BASE)] == [
        ["A lamp", 12, "4.5"], ["B lamp", 0, "3.5"], ["C lamp", 7, "4.0"]]


def test_breadcrumbs_keep_the_first_item_and_the_unlinked_current_one_behind_separators() -> None:
    spec = _spec("breadcrumb", {"name": "name"}, {"name": "url", "required": False}, max_items=10)
    assert _rows("breadcrumbs.html", spec) == [
        {"name": "Home", "url": BASE},
        {"name": "Outdoor", "url": f"{BASE}outdoor"},
        {"name": "Footwear", "url": f"{BASE}outdoor/footwear"},
        {"name": "Trail Runner 2", "url": None},
    ]


def test_collect_urls_is_refused_at_session_start_on_the_computer_plane(server: Server, site: str) -> None:
    plan = [
        {"type": "navigate", "params": {"url": site}},
        {"type": "collect_urls", "params": {"var": "items", "max": 3}},
    ]
    body = server.predict({"micro": plan, "compute_backend": "computer_plane", "detached": False}).json()
    assert body["status"] == "failed"
    assert "collect_urls" in body["summary"] and "capability_missing" in body["summary"]
    assert body["result"]["rows"] == [] and body["result"]["state_vars"] == {}


def test_rows_none_of_which_is_viable_warn_in_the_result_and_the_summary(server: Server, site: str) -> None:
    spec = {"entity_name": "item", "max_items": 10,
            "fields": [{"name": "title"}, {"name": "warranty_code"}]}
    plan = [{"type": "navigate", "params": {"url": site}},
            {"type": "extract_data", "intent": "Extract the items", "extract": spec}]
    body = server.predict({"micro": plan, "compute_backend": "browser_use_plane", "detached": False}).json()
    assert body["status"] == "succeeded"
    rows = body["result"]["rows"]
    assert rows and not any(r["_viable"] for r in rows)
    warnings = body["result"]["warnings"]
    assert len(warnings) == 1 and "none is viable" in warnings[0]
    assert "missing_required:warranty_code" in warnings[0]
    assert "Warning: " + warnings[0] in body["summary"]


def test_icon_links_are_named_by_their_label_title_or_alt() -> None:
    html = """<html><body><h1>Contact</h1><p>Reach the harbour office.</p>
      <a href="/mail" aria-label="Email"><svg width="9" height="9"></svg></a>
      <a href="https://social.example/harbour" title="Social profile"><i class="i3"></i></a>
      <a href="/map"><img src="/pin.png" alt="Map"></a></body></html>"""
    spec = _spec("office", {"name": "title"}, {"name": "email_url", "required": False},
                 {"name": "map_link", "required": False}, {"name": "social_profile_url", "required": False})
    assert extract_rows(html, spec, BASE) == [{
        "title": "Contact", "email_url": f"{BASE}mail", "map_link": f"{BASE}map",
        "social_profile_url": "https://social.example/harbour",
    }]

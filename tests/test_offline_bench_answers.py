"""bench/extraction.py's answer key for the dated pages, read from htmldate's own unit tests: a commented-out
assertion is not the library's word, and the published date asked for is the original one where the tests
assert it (the default setting asserts the latest date)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench" / "extraction.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_extraction", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_dated_answers_skip_commented_asserts_and_prefer_the_original_date(tmp_path: Path) -> None:
    (tmp_path / "tests" / "cache").mkdir(parents=True)
    for name in ("a.html", "b.html", "c.html"):
        (tmp_path / "tests" / "cache" / name).write_text("<html><body><p>x</p></body></html>")
    (tmp_path / "tests" / "unit_tests.py").write_text("""MOCK_PAGES = {
'https://a.example/': 'a.html',
'https://b.example/': 'b.html',
'https://c.example/': 'c.html',
}
def test_dates():
    #assert find_date(load_mock_page('https://a.example/')) == '2019-06-24'
    assert find_date(load_mock_page('https://a.example/'), original_date=True) == '2016-06-23'
    assert find_date(load_mock_page('https://b.example/'), original_date=False) == '2011-12-01'
    assert find_date(load_mock_page('https://b.example/'), original_date=True) == '2010-06-01'
    assert find_date(load_mock_page('https://c.example/'), extensive_search=False) is None
    assert(find_date(load_mock_page('https://c.example/'), extensive_search=True)) == '2017-01-12'
""")
    cases = _bench().dates(tmp_path)
    assert {c.name: c.fields["published_date"] for c in cases} == {
        "a.html": "2016-06-23", "b.html": "2010-06-01", "c.html": "2017-01-12"}


def test_a_recipe_stated_only_in_microdata_is_asked_and_its_body_only_page_loses_the_microdata(
        tmp_path: Path) -> None:
    (tmp_path / "test_data").mkdir()
    (tmp_path / "test_data" / "tart.html").write_text("""<html><body>
      <div itemscope itemtype="http://schema.org/Recipe"><h2 itemprop="name">Plum tart</h2>
        <p>By <span itemprop="author">Ida Brandt</span></p>
        <meta itemprop="datePublished" content="2016-04-02"><link itemprop="image" href="/t.jpg">
        <p itemprop="recipeInstructions">Bake it.</p></div></body></html>""")
    whole, body = _bench().recipes(tmp_path)
    assert (whole.kind, body.kind) == ("recipe (whole page)", "recipe (body only)")
    assert whole.fields == {"recipe_name": "Plum tart", "author": "Ida Brandt",
                            "published_date": "2016-04-02"}
    assert body.fields == {"recipe_name": "Plum tart", "author": "Ida Brandt", "published_date": ""}
    assert b"item" not in body.html and b"Plum tart" in body.html

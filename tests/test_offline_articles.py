"""The offline extractor on article pages read by what a person sees (no JSON-LD, no OpenGraph): the
headline when the <h1> is the site's name or a section, bylines with their label, dates in the text.

Each page is a small one of the tests' own, shaped like the real pages that failed in
bench/extraction.py's body-only kinds; none copies any site's markup or words.
"""

from __future__ import annotations

from mantis.brains.offline.extract import extract_rows
from mantis.plans.models import ExtractSpec

BASE = "http://127.0.0.1:8000/post"
ARTICLE = ExtractSpec.model_validate({"entity_name": "article", "fields": [
    {"name": "headline", "required": False}, {"name": "published_date", "required": False},
    {"name": "author", "required": False}]})
PROSE = "<p>" + "The harbour authority said the new quay would open to ferries in the spring. " * 6 + "</p>"


def _one(html: str, spec: ExtractSpec = ARTICLE) -> dict[str, object]:
    rows = extract_rows(html, spec, BASE, f"Extract the {spec.entity_name}")
    assert len(rows) == 1
    return rows[0]


def test_an_h1_naming_a_section_gives_way_to_the_heading_that_repeats_the_tab_title() -> None:
    html = f"""<html><head><title>Ferries return to the old quay | Harbour News</title></head><body>
      <div class="top"><h1>Home</h1></div>
      <div class="story"><h2>Ferries return to the old quay</h2>{PROSE}
        <h3 class="teaser-title">Fish market moves inland</h3></div></body></html>"""
    assert _one(html)["headline"] == "Ferries return to the old quay"


def test_with_the_only_h1_in_the_navigation_the_articles_h2_is_its_headline() -> None:
    html = f"""<html><head><title>Tide tables change - Coast - Harbour News</title></head><body>
      <nav><ul><li><h1>Tide tables change</h1></li></ul></nav>
      <article><section><h2>Coast: tide tables change</h2></section><section>{PROSE}
        <figure><figcaption><h3 class="card-title">Lighthouse repainted</h3></figcaption></figure>
        </section></article></body></html>"""
    assert _one(html)["headline"] == "Coast: tide tables change"


def test_a_header_band_above_main_holds_the_headline_date_and_byline() -> None:
    cards = "".join(f'<div class="card"><h3>Older post {i}</h3><time>2 May 2019</time> '
                    f'<span class="by">By Staff Writer</span></div>' for i in range(3))
    html = f"""<html><head><title>New ferry timetable published – Harbour Board</title></head><body>
      <header><div class="inner"><h2>News</h2><h1>New ferry timetable published</h1>
        <div class="meta"><time>15 January 2020</time> <span class="by">By Ada Lindqvist</span></div>
      </div></header>
      <main><div class="intro"><h3 class="article-title">Read this in Swedish.</h3></div>{PROSE}
        <h3>Related</h3>{cards}</main></body></html>"""
    assert _one(html) == {"headline": "New ferry timetable published", "published_date": "15 January 2020",
                          "author": "Ada Lindqvist"}


def test_breadcrumb_microdata_never_names_the_headline() -> None:
    html = f"""<html><head><title>Cycling in the old town</title></head><body>
      <ul><li itemscope itemtype="http://data-vocabulary.org/Breadcrumb">
        <a itemprop="url" href="/"><span itemprop="title">Home</span></a></li></ul>
      <h1>Cycling in the old town</h1>{PROSE}</body></html>"""
    assert _one(html)["headline"] == "Cycling in the old town"


def test_a_byline_is_read_without_its_label() -> None:
    recipe = ExtractSpec.model_validate({"entity_name": "recipe", "fields": [
        {"name": "recipe_name", "required": False}, {"name": "author", "required": False}]})
    html = f"""<html><body><main><h1>Ginger lemonade</h1>
      <div class="meta"><span>Recipe by</span> <a href="/cook/7">Nora Hale</a></div>
      <figure><img src="/a.jpg" alt=""><div class="credit">Photograph by</div></figure>
      {PROSE}</main></body></html>"""
    assert _one(html, recipe) == {"recipe_name": "Ginger lemonade", "author": "Nora Hale"}
    german = f"""<html><body><article><h1>Neue Fähre</h1><div class="autor">Von Markus Berger, Kiel</div>
      {PROSE}</article></body></html>"""
    assert _one(german)["author"] == "Markus Berger"  # the name, without the place after it


def test_code_in_the_article_is_never_its_byline() -> None:
    html = f"""<html><body><main><h1>Testing with a browser</h1>
      <h5 class="author-name">Mark Olsen</h5>{PROSE}
      <pre><code><span>from</span> selenium.webdriver.common.by <span>import</span> <span>By</span>
      <span>from</span> selenium <span>import</span> webdriver</code></pre>
      <div class="comments"><a href="/c">blog comments powered by</a></div></main></body></html>"""
    assert _one(html)["author"] == "Mark Olsen"


def test_a_name_beside_the_date_in_the_articles_own_footer_is_its_byline() -> None:
    html = f"""<html><body><section role="main"><article class="entry">
      <section class="article-header"><div class="entry-info" role="contentinfo">
        <time datetime="2014-05-13">Dienstag, 13. Mai 2014</time>,
        <a href="/pages/sb.html">Dr. Sara Brandt</a>
      </div><h1>Review: a handbook of internet law</h1></section>
      <section class="body">{PROSE}</section></article></section>
      <footer role="contentinfo"><a href="/team">Editorial Team</a> 2024</footer></body></html>"""
    assert _one(html)["author"] == "Dr. Sara Brandt"


def test_a_stated_date_that_reads_as_no_date_yields_to_the_shown_one() -> None:
    dated = ExtractSpec.model_validate({"entity_name": "dated", "fields": [
        {"name": "published_date", "required": False}]})
    html = f"""<html><body><div class="post" itemscope itemtype="http://schema.org/BlogPosting">
      <h2 class="date-header"><span>Wednesday, March 30, 2011</span></h2>
      <h3 itemprop="name">Notes from the quay</h3>{PROSE}
      <span class="post-timestamp">at <abbr itemprop="datePublished" title="">9:05 PM</abbr></span>
      </div></body></html>"""
    assert _one(html, dated)["published_date"] == "Wednesday, March 30, 2011"


def _list_page(shown: list[str], stated: list[str]) -> str:
    members = ",".join(
        f'{{"@type": "ListItem", "position": {i}, "item": {{"@type": "Product", "name": "{name}", '
        f'"url": "https://shop.example/p/{i}", "offers": {{"price": "{10 + i}.00"}}}}}}'
        for i, name in enumerate(stated, 1))
    prose = "<br>".join(f"{name} is back this week, ask at the counter." for name in shown)
    return f"""<html><head><script type="application/ld+json">{{"@context": "https://schema.org",
      "@type": "ItemList", "itemListElement": [{members}]}}</script></head>
      <body><h1>This week</h1><p>{prose}</p></body></html>"""


def test_a_list_the_page_states_is_read_when_its_markup_shows_no_repetition() -> None:
    spec = ExtractSpec.model_validate({"entity_name": "product", "max_items": 10, "fields": [
        {"name": "name"}, {"name": "url"}]})
    names = ["Oat loaf", "Rye loaf", "Seed roll", "Fig bun"]
    rows = extract_rows(_list_page(names[:3], names), spec, BASE, "Extract the products")
    assert rows == [{"name": n, "url": f"https://shop.example/p/{i}"} for i, n in enumerate(names[:3], 1)]
    assert rows.shown == 3  # the stated item the page does not show is neither returned nor counted


def test_a_stated_breadcrumb_trail_is_the_list_when_breadcrumbs_are_asked_for() -> None:
    trail = ",".join(f'{{"@type": "ListItem", "position": {i}, "name": "{n}", "item": "https://s.example/{i}"}}'
                     for i, n in enumerate(["Home", "Boats", "Sail boats"], 1))
    html = f"""<html><head><script type="application/ld+json">{{"@type": "BreadcrumbList",
      "itemListElement": [{trail}]}}</script></head><body><div>Home &rsaquo; Boats &rsaquo; Sail boats</div>
      <h1>Sail boats</h1></body></html>"""
    crumbs = ExtractSpec.model_validate({"entity_name": "breadcrumb", "max_items": 10, "fields": [
        {"name": "name"}, {"name": "url", "required": False}]})
    assert [r["name"] for r in extract_rows(html, crumbs, BASE)] == ["Home", "Boats", "Sail boats"]
    products = ExtractSpec.model_validate({"entity_name": "product", "max_items": 10, "fields": [
        {"name": "name"}, {"name": "url", "required": False}]})
    assert [r["name"] for r in extract_rows(html, products, BASE)] != ["Home", "Boats", "Sail boats"]


def test_the_sites_name_stated_beside_the_title_is_never_the_headline() -> None:
    html = f"""<html><head><title>Night buses return to the coast road - Harbour News</title>
      <meta property="og:site_name" content="Harbour News">
      <meta property="og:title" content="Night buses return to the coast road"></head><body>
      <div class="brand">Harbour News</div><h2>Night buses return to the coast road</h2>{PROSE}
      </body></html>"""
    assert _one(html)["headline"] == "Night buses return to the coast road"


def test_a_teasers_stated_name_that_the_tab_title_does_not_repeat_is_not_the_headline() -> None:
    html = f"""<html><head><title>Ferries return to the old quay - Coast - Harbour News</title></head>
      <body itemscope itemtype="http://schema.org/WebPage">
      <h1>Ferries return to the old quay</h1>{PROSE}
      <aside><div><h3 itemprop="name">Fish market moves inland</h3></div></aside></body></html>"""
    assert _one(html)["headline"] == "Ferries return to the old quay"


def test_a_post_without_an_h1_keeps_its_own_date_over_a_sidebar_lists() -> None:
    widgets = "".join(f'<li><a href="/c{i}">Reader {i}</a> <span class="date">{i} week ago</span></li>'
                      for i in range(1, 5))
    html = f"""<html><head><title>Harbour News: quay works</title></head><body>
      <div class="post"><h2 class="date-header">Friday, December 23, 2016</h2>
        <h3>The quay works begin</h3>{PROSE}</div>
      <div class="sidebar"><h2>Recent comments</h2><ul>{widgets}</ul></div></body></html>"""
    spec = ExtractSpec.model_validate({"entity_name": "dated", "fields": [
        {"name": "published_date", "required": False}]})
    assert _one(html, spec) == {"published_date": "Friday, December 23, 2016"}


def test_a_shown_date_without_its_year_is_read_from_its_time_elements_datetime() -> None:
    html = f"""<html><head><title>Ferries return to the old quay</title></head><body>
      <article><h1>Ferries return to the old quay</h1>
        <p class="meta"><time class="published" datetime="2019-06-17">Jun 17</time></p>{PROSE}</article>
      </body></html>"""
    assert _one(html)["published_date"] == "2019-06-17"


def test_a_time_ago_stays_as_shown_beside_its_datetime() -> None:
    html = f"""<html><head><title>Ferries return to the old quay</title></head><body>
      <article><h1>Ferries return to the old quay</h1>
        <p class="meta"><time class="published" datetime="2019-06-17">3 days ago</time></p>{PROSE}</article>
      </body></html>"""
    assert _one(html)["published_date"] == "3 days ago"

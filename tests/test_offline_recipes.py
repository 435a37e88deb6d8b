"""The offline extractor on recipe pages read by what a person sees (no JSON-LD, no microdata): the
recipe's name on its card below a post's wordier <h1>, a blog's name as its <h1>, bylines inside a line.

Each page is a small one of the tests' own, shaped like food blogs in general (a post, a card holding the
ingredients and the steps, readers' comments); class names mean nothing and no site's markup is copied.
"""

from __future__ import annotations

from mantis.brains.offline.extract import extract_rows
from mantis.plans.models import ExtractSpec

BASE = "http://127.0.0.1:8000/2019/lemon-tea-cakes/"
RECIPE = ExtractSpec.model_validate({"entity_name": "recipe", "fields": [
    {"name": "recipe_name", "required": False}, {"name": "author", "required": False},
    {"name": "published_date", "required": False}]})
PROSE = "<p>" + "We baked these on a rainy afternoon and the kitchen smelled of butter. " * 6 + "</p>"
PARTS = "<ul>" + "".join(f"<li>{n} cups of flour, sifted</li>" for n in range(1, 7)) + "</ul>"
STEPS = "<ol>" + "".join(f"<li>Stir the batter for {n} minutes.</li>" for n in range(1, 5)) + "</ol>"
COMMENTS = "".join(f'<div class="c3"><b>Reader Number{n}</b> <span>March {n}, 2020 at 9:1{n} am</span>'
                   f"<p>Lovely, thanks!</p></div>" for n in range(1, 4))


def _one(html: str) -> dict[str, object]:
    rows = extract_rows(html, RECIPE, BASE, "Extract the recipe")
    assert len(rows) == 1
    return rows[0]


def _post(title: str) -> str:
    return f"""<html><head><title>{title}</title></head><body><div class="t0"><a href="/">Crumbly</a></div>
      <main><article><h1>Our favourite lemon tea cakes, at last!</h1><div class="m1">March 3, 2019</div>
      {PROSE}<table><tr><td>Oven</td><td>180 °C</td></tr><tr><td>Tin</td><td>12 holes</td></tr></table>
      {PROSE}<div class="q9"><div class="q8"><h2>Lemon tea cakes</h2><span>Serves 12</span></div>
        <div class="q7"><h3>You need</h3>{PARTS}<h3>Method</h3>{STEPS}</div></div>
      <h3>3 comments</h3>{COMMENTS}</article></main></body></html>"""


def test_the_cards_heading_names_the_recipe_when_the_tab_title_says_it_rather_than_the_posts() -> None:
    assert _one(_post("Lemon tea cakes - Crumbly"))["recipe_name"] == "Lemon tea cakes"
    # The tab's title naming the post keeps the post's <h1>: the card is one of its parts.
    assert _one(_post("Our favourite lemon tea cakes, at last! - Crumbly"))["recipe_name"] == (
        "Our favourite lemon tea cakes, at last!")


def test_an_h1_that_only_links_to_the_home_page_is_the_sites_name() -> None:
    html = f"""<html><head><title>Crumbly Kitchen: Lemon tea cakes for a spring party</title></head><body>
      <div class="hd"><h1><a href="http://127.0.0.1:8000/">Crumbly Kitchen</a></h1><p>Since 2009</p></div>
      <div class="p2"><h3>Lemon tea cakes for a spring party</h3>{PROSE}{PROSE}</div>{COMMENTS}
      </body></html>"""
    assert _one(html)["recipe_name"] == "Lemon tea cakes for a spring party"


def test_a_byline_inside_a_line_of_text_gives_the_name_and_the_date_apart() -> None:
    html = f"""<html><head><title>Lemon tea cakes | Crumbly</title></head><body><main>
      <h1>Lemon tea cakes</h1><p class="m1">By Ida Brandt on November 6, 2014</p>{PROSE}{PARTS}{STEPS}
      {COMMENTS}</main></body></html>"""
    assert _one(html) == {"recipe_name": "Lemon tea cakes", "author": "Ida Brandt",
                          "published_date": "November 6, 2014"}
    blog = f"""<html><head><title>Crumbly: Lemon tea cakes</title></head><body><div class="post">
      <h3>Lemon tea cakes</h3>{PROSE}{PARTS}{STEPS}<div class="f4">Posted by jamieanne at 3:37 AM</div></div>
      {COMMENTS}</body></html>"""
    assert _one(blog)["author"] == "jamieanne"  # never "37 AM": a time of day is no label and its value


def test_a_day_and_a_month_in_times_of_their_own_rank_below_the_whole_date() -> None:
    stamp = "2018-03-19T07:24:37-04:00"
    html = f"""<html><head><title>Lemon tea cakes | Crumbly</title></head><body><main><article>
      <div class="h5"><h1>Lemon tea cakes</h1>
        <p class="m1"><time datetime="{stamp}">March 19, 2018</time></p></div>
      <div class="big-date"><span class="x"><time datetime="{stamp}">19</time></span>
        <span class="y"><time datetime="{stamp}">Mar</time></span></div>{PROSE}{PARTS}{STEPS}</article>
      {COMMENTS}</main></body></html>"""
    assert _one(html)["published_date"] in ("March 19, 2018", stamp)


def test_by_in_a_shop_or_a_footer_line_names_no_author() -> None:
    """"Sort by price", "Shop by Category", "Powered by WordPress" hold "by" but no person's name: after a
    lead-in word and with no date after it, a byline's name is two or more capitalised words."""
    html = f"""<html><head><title>Lemon tea cakes | Crumbly</title></head><body>
      <div class="t0"><a href="/shop">Shop by Category</a></div><main>
      <h1>Lemon tea cakes</h1><div class="k2"><span>Sort by price</span></div>{PROSE}{PARTS}{STEPS}
      </main><div class="f9"><p>Powered by WordPress</p></div></body></html>"""
    assert _one(html).get("author") is None
    signed = html.replace("<h1>Lemon tea cakes</h1>", "<h1>Lemon tea cakes</h1><p>Recipe by Ida Brandt</p>")
    assert _one(signed)["author"] == "Ida Brandt"


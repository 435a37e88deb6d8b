"""Learned extraction (replay/extraction.py): a program learned from a page and a model's rows reads the
same rows from the page again, fits a page that gained records and renamed its classes, and says None for a
page whose shape changed or whose rows would not validate. Pages of the tests' own: meaningless classes,
unequal cards, tables, records over several rows."""

from __future__ import annotations

import json
from typing import Any

from mantis.plans.extract import ExtractSpec
from mantis.replay.extraction import Program, learn, replay

URL = "http://shop.test/list"

CARD = (
    '<div class="{cls}">{badge}<h3>{name}</h3><p>Seller {seller}</p><span>${price}</span>'
    '<a href="/i/{n}">more</a></div>'
)
ITEMS = [
    ("Copper kettle", "Orla", "19.50"),
    ("Walnut stool", "Bram", "7"),
    ("Brass lantern", "Pim", "12"),
    ("Linen apron", "Quade", "3"),
    ("Oak box", "Ru", "4"),
]


def cards(count: int, cls: str = "c", outer: str = "g", wrap: bool = False, sale: int = 1) -> str:
    """A grid of cards; the card at `sale` carries a badge before its title, so cards are unequal."""
    body = "".join(
        CARD.format(
            cls=cls,
            badge='<span class="b">Sale</span>' if i == sale else "",
            name=name,
            seller=seller,
            price=price,
            n=i + 1,
        )
        for i, (name, seller, price) in enumerate(ITEMS[:count])
    )
    grid = f'<div class="{outer}">{body}</div>'
    if wrap:
        grid = f"<section><div>{grid}</div></section>"
    return (
        f'<html><body><div class="q1">Quarterly ledger</div><div class="z3"><h2>Cards</h2></div>{grid}'
        "<footer><p>Seller terms</p></footer></body></html>"
    )


CARD_SPEC = ExtractSpec(
    schema_name="items",
    fields=[
        {"name": "name"},
        {"name": "seller"},
        {"name": "price", "type": "decimal"},
        {"name": "link", "type": "url"},
    ],
    max_items=10,
)


def card_rows(count: int) -> list[dict[str, Any]]:
    return [
        {"name": name, "seller": seller, "price": f"{price} USD", "link": f"http://shop.test/i/{i + 1}"}
        for i, (name, seller, price) in enumerate(ITEMS[:count])
    ]


def stored(program: Program | None) -> Program:
    """The program as a store keeps it: through JSON and back."""
    assert program is not None
    again = Program.from_json(json.loads(json.dumps(program.as_json())))
    assert again == program
    return again


def test_the_learned_program_reads_the_models_rows_again() -> None:
    program = stored(learn(cards(3), URL, CARD_SPEC, card_rows(3)))
    rows = replay(program, cards(3), URL, CARD_SPEC)
    assert rows == card_rows(3) and rows is not None and rows.shown == 3


def test_two_more_records_and_new_class_names_still_fit() -> None:
    program = stored(learn(cards(3), URL, CARD_SPEC, card_rows(3)))
    changed = cards(5, cls="x9f", outer="q-2", sale=3)
    rows = replay(program, changed, URL, CARD_SPEC)
    assert rows == card_rows(5) and rows is not None and rows.shown == 5


def test_a_list_moved_into_a_wrapper_is_found_by_its_structure() -> None:
    program = stored(learn(cards(3), URL, CARD_SPEC, card_rows(3)))
    assert replay(program, cards(4, wrap=True), URL, CARD_SPEC) == card_rows(4)


def test_max_items_caps_the_rows_and_shown_counts_every_record() -> None:
    spec = CARD_SPEC.model_copy(update={"max_items": 2})
    program = stored(learn(cards(2), URL, spec, card_rows(2)))
    rows = replay(program, cards(5), URL, spec)
    assert rows == card_rows(2) and rows is not None and rows.shown == 5


def test_a_page_of_another_structure_does_not_fit() -> None:
    program = stored(learn(cards(3), URL, CARD_SPEC, card_rows(3)))
    # The same items as a list whose titles are no <h3> and whose prices lost their own element.
    other = (
        "<html><body><ul>"
        + "".join(
            f"<li><b>{name}</b> by {seller} for ${price} <a href='/i/{i}'>more</a></li>"
            for i, (name, seller, price) in enumerate(ITEMS, 1)
        )
        + "</ul></body></html>"
    )
    assert replay(program, other, URL, CARD_SPEC) is None


def test_rows_that_do_not_validate_are_none() -> None:
    program = stored(learn(cards(3), URL, CARD_SPEC, card_rows(3)))
    no_price = cards(3).replace("$7", "ask us")  # a required decimal that is no amount
    assert replay(program, no_price, URL, CARD_SPEC) is None
    # The list moved, and two places on the page now hold records of its shape: which is meant is not
    # guessed. Where it stayed, its place says which.
    moved = cards(3, wrap=True)
    second = moved[moved.index("<section>") : moved.index("</section>") + len("</section>")]
    assert replay(program, moved.replace("<footer>", second + "<footer>"), URL, CARD_SPEC) is None
    stayed = cards(3).replace("<footer>", second + "<footer>")
    assert replay(program, stayed, URL, CARD_SPEC) == card_rows(3)


def test_a_program_learned_for_another_schema_is_not_used() -> None:
    program = stored(learn(cards(3), URL, CARD_SPEC, card_rows(3)))
    spec = CARD_SPEC.model_copy(update={"max_items": 4})
    assert replay(program, cards(3), URL, spec) is None


def test_rows_the_page_does_not_hold_teach_nothing() -> None:
    rows = card_rows(3)
    rows[1]["name"] = "Walnut stool (restored)"  # a model that wrote more than the page says
    assert learn(cards(3), URL, CARD_SPEC, rows) is None
    skipped = [card_rows(3)[0], card_rows(3)[2]]  # a model that left a record out is not reproduced
    assert learn(cards(3), URL, CARD_SPEC, skipped) is None
    # Rows cut short of what the page shows and max_items allows: a replay would give more than they.
    assert learn(cards(3), URL, CARD_SPEC, card_rows(2)) is None
    # A row the contract rejects (a required price the page does not give) would send every replay
    # back to the model: nothing is kept.
    priceless = cards(3).replace("$7", "ask us")
    unpriced = [{**row, "price": None} if row["name"] == "Walnut stool" else row for row in card_rows(3)]
    assert learn(priceless, URL, CARD_SPEC, unpriced) is None


TABLE = """<html><body><h1>Fleet</h1><table><thead><tr><th>Vessel</th><th>Port</th><th>Crew</th></tr></thead>
<tbody>{rows}</tbody></table></body></html>"""
VESSELS = [
    ("Albatross", "Brest", 12),
    ("Cormorant", "Leith", 9),
    ("Dunlin", "Cobh", 14),
    ("Egret", "Hull", 7),
]
TABLE_SPEC = ExtractSpec(
    schema_name="vessels",
    fields=[{"name": "vessel"}, {"name": "port"}, {"name": "crew", "type": "int"}],
    max_items=20,
)


def table(
    count: int, order: tuple[int, int, int] = (0, 1, 2), head: tuple[str, ...] = ("Vessel", "Port", "Crew")
) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{vessel[i]}</td>" for i in order) + "</tr>" for vessel in VESSELS[:count]
    )
    header = "".join(f"<th>{head[i]}</th>" for i in order)
    return TABLE.format(rows=rows).replace("<th>Vessel</th><th>Port</th><th>Crew</th>", header)


def vessel_rows(count: int) -> list[dict[str, Any]]:
    return [{"vessel": v, "port": p, "crew": c} for v, p, c in VESSELS[:count]]


def test_a_table_is_read_by_column_and_the_columns_are_checked_by_their_headers() -> None:
    program = stored(learn(table(2), URL, TABLE_SPEC, vessel_rows(2)))
    assert replay(program, table(4), URL, TABLE_SPEC) == vessel_rows(4)
    # The two text columns swapped: types cannot tell, the headers do.
    assert replay(program, table(4, order=(1, 0, 2)), URL, TABLE_SPEC) is None


STORIES = """<html><body><table>{rows}</table></body></html>"""
STORY = (
    '<tr><td>{rank}.</td><td><a href="/s/{rank}">{title}</a></td></tr><tr><td></td><td>{points} points'
    '</td></tr><tr style="height:5px"></tr>'
)
TITLES = ["Kelp farming at scale", "A tiny Forth", "Why tides lag", "Printing in bronze"]
STORY_SPEC = ExtractSpec(
    schema_name="stories",
    fields=[
        {"name": "rank", "type": "int"},
        {"name": "title"},
        {"name": "points", "type": "int"},
        {"name": "url", "type": "url"},
    ],
    max_items=30,
)


def stories(count: int) -> str:
    return STORIES.format(
        rows="".join(
            STORY.format(rank=i, title=title, points=10 * i + 1) for i, title in enumerate(TITLES[:count], 1)
        )
    )


def story_rows(count: int) -> list[dict[str, Any]]:
    return [
        {"rank": i, "title": t, "points": 10 * i + 1, "url": f"http://shop.test/s/{i}"}
        for i, t in enumerate(TITLES[:count], 1)
    ]


def test_a_record_spread_over_three_table_rows_is_one_record() -> None:
    program = stored(learn(stories(2), URL, STORY_SPEC, story_rows(2)))
    rows = replay(program, stories(4), URL, STORY_SPEC)
    assert rows == story_rows(4) and rows is not None and rows.shown == 4


def test_a_rank_the_page_does_not_print_is_the_records_place() -> None:
    spec = ExtractSpec(
        fields=[{"name": "rank", "type": "int"}, *CARD_SPEC.model_dump()["fields"]], max_items=10
    )
    ranked = [{"rank": i, **row} for i, row in enumerate(card_rows(3), 1)]
    program = stored(learn(cards(3), URL, spec, ranked))
    assert replay(program, cards(5), URL, spec) == [
        {"rank": i, **row} for i, row in enumerate(card_rows(5), 1)
    ]


DETAIL = """<html><body><nav><a href="/">Home</a></nav><main><h1>{name}</h1><div><div>Price</div>
<div>{price} EUR</div></div><p>Sold by <b>{seller}</b></p></main></body></html>"""
DETAIL_SPEC = ExtractSpec(
    schema_name="item", fields=[{"name": "name"}, {"name": "price", "type": "decimal"}, {"name": "seller"}]
)


def test_a_detail_page_is_one_record() -> None:
    program = stored(
        learn(
            DETAIL.format(name="Oak box", price="4,50", seller="Ru"),
            URL,
            DETAIL_SPEC,
            [{"name": "Oak box", "price": "4.50 EUR", "seller": "Ru"}],
        )
    )
    other = DETAIL.format(name="Linen apron", price="3", seller="Quade")
    rows = replay(program, other, URL, DETAIL_SPEC)
    assert rows == [{"name": "Linen apron", "price": "3 EUR", "seller": "Quade"}]

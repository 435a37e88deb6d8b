"""The offline extractor on what OCR read off a screen: a byline's name, on a line that goes on with a
count after it, is the name alone.

The screen is given as the phrases the computer plane's OCR hands over (text and box, in pixels at
1280x800): the rule under test is how a line's words are cut, not how they were read.
"""

from __future__ import annotations

from mantis.brains.offline.screen_extract import extract_from_screen
from mantis.planes.base import Element, Observation
from mantis.plans.models import ExtractSpec

ARTICLE = ExtractSpec.model_validate({"entity_name": "article", "fields": [
    {"name": "headline", "required": False}, {"name": "author", "required": False}]})
PROSE = ("The harbour authority said the new quay would open to ferries in the spring,",
         "and the first timetable would be out by the end of the month.")


def _screen(byline: str) -> Observation:
    """A post: its headline in big type, the byline under it, two lines of prose."""
    lines = [("Night ferries return to the old quay", 60, 80, 30), (byline, 60, 130, 14)]
    lines += [(text, 60, 170 + 24 * i, 16) for i, text in enumerate(PROSE)]
    elements = [Element(ref="", role="text", name=text, box=(x, y, 0.55 * h * len(text), h))
                for text, x, y, h in lines]
    return Observation(url="https://example.test/ferries", elements=elements)


def test_a_byline_name_ends_at_a_word_with_a_digit() -> None:
    """"By Isabelle Boucher 2 Comments": the count is the line's next value, no part of the name."""
    [row] = extract_from_screen(_screen("By Isabelle Boucher 2 Comments"), ARTICLE)
    assert row == {"headline": "Night ferries return to the old quay", "author": "Isabelle Boucher"}


def test_by_in_a_line_that_names_no_one_is_no_byline() -> None:
    """The DOM reader's rule seen through OCR: "Sort by price" under the headline names no author, and
    "Recipe by Ida Brandt" still does."""
    [row] = extract_from_screen(_screen("Sort by price"), ARTICLE)
    assert row["author"] is None
    [row] = extract_from_screen(_screen("Recipe by Ida Brandt"), ARTICLE)
    assert row["author"] == "Ida Brandt"

"""The built-in recipes, by name. A plan picks one with its `recipe` field."""

from __future__ import annotations

from mantis.plans.models import ExtractSpec
from mantis.recipes.schema import ExtractionSchema


def _spec(
    schema_name: str, entity: str, *fields: tuple[str, str, bool], max_items: int | None = None
) -> ExtractSpec:
    return ExtractSpec.model_validate(
        {
            "schema_name": schema_name,
            "entity_name": entity,
            "fields": [{"name": n, "type": t, "required": r} for n, t, r in fields],
            "max_items": max_items,
        }
    )


_SPONSORED = ("sponsored", "advertisement", "promoted", "ad ·")

RECIPES: dict[str, ExtractionSchema] = {
    r.name: r
    for r in (
        ExtractionSchema(
            name="marketplace_listings",
            spec=_spec(
                "marketplace_listings",
                "listing",
                ("title", "str", True),
                ("year", "int", False),
                ("make", "str", False),
                ("model", "str", False),
                ("price", "int", True),
                ("location", "str", True),
                ("seller", "str", False),
                ("seller_phone", "str", False),
                ("listing_url", "str", False),
            ),
            spam_indicators=("wire transfer only", "shipping agent", "too good to be true", "western union"),
            spam_seller_indicators=("dealer", "dealership", "motors", "marine group", "inc.", "llc"),
            forbidden_controls=(
                "apply for financing",
                "check your rate",
                "get pre-approved",
                "contact dealer",
                "call dealer",
                "buy now",
                "apply now",
            ),
            allowed_controls=("show phone", "reveal phone", "show number", "view phone"),
            listing_card_exclusions=(*_SPONSORED, "get pre-approved", "financing", "rates from"),
            rejection_intents=("apply for financing", "contact the dealer", "message the seller"),
        ),
        ExtractionSchema(
            name="job_listings",
            spec=_spec(
                "job_listings",
                "job",
                ("title", "str", True),
                ("company", "str", True),
                ("location", "str", False),
                ("salary", "str", False),
                ("posted", "str", False),
                ("job_url", "str", False),
            ),
            spam_indicators=("pay to apply", "training fee", "work from home and earn"),
            spam_seller_indicators=("staffing", "recruitment agency"),
            seller_fields=("company",),
            forbidden_controls=("easy apply", "apply now", "submit application"),
            allowed_controls=("show more", "see full description"),
            listing_card_exclusions=_SPONSORED,
            rejection_intents=("apply to the job", "submit an application"),
        ),
        ExtractionSchema(
            name="search_results",
            spec=_spec(
                "search_results",
                "result",
                ("title", "str", True),
                ("url", "str", True),
                ("snippet", "str", False),
            ),
            spam_indicators=("sponsored result",),
            listing_card_exclusions=_SPONSORED,
        ),
        ExtractionSchema(
            name="hacker_news",
            spec=_spec(
                "hn_stories",
                "hn_story",
                ("rank", "int", True),
                ("title", "str", True),
                ("story_url", "str", False),
                ("points", "int", False),
                ("author", "str", False),
                ("age", "str", False),
                ("comments_count", "int", False),
            ),
            target_roles={
                "title": ".titleline > a",
                "comment_count": ".subline > a:last-of-type, .subtext > a:last-of-type",
                "author": "a.hnuser",
            },
        ),
    )
}


def recipe(name: str | None) -> ExtractionSchema | None:
    return RECIPES.get(name) if name else None

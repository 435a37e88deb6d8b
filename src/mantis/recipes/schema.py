"""`ExtractionSchema`: what a recipe knows about a kind of site, and how each rule is applied."""

from __future__ import annotations

from dataclasses import dataclass, field

from mantis.plans.models import ExtractSpec


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _first_match(text: str, needles: tuple[str, ...]) -> str | None:
    haystack = _norm(text)
    return next((n for n in needles if _norm(n) and _norm(n) in haystack), None)


@dataclass(frozen=True)
class ExtractionSchema:
    """A recipe's schema and rules; every rule changes what a run does, and says so in the trace."""

    name: str
    spec: ExtractSpec
    spam_indicators: tuple[str, ...] = ()
    spam_seller_indicators: tuple[str, ...] = ()
    seller_fields: tuple[str, ...] = ("seller", "seller_type", "seller_name", "dealer", "vendor", "merchant")
    forbidden_controls: tuple[str, ...] = ()
    allowed_controls: tuple[str, ...] = ()
    listing_card_exclusions: tuple[str, ...] = ()
    rejection_intents: tuple[str, ...] = ()
    target_roles: dict[str, str] = field(default_factory=dict)

    def row_rejection(self, values: dict[str, object]) -> str | None:
        """Why a row is not a lead beyond its schema: an excluded card, spam, or a dealer seller."""
        text = " ".join(str(v) for v in values.values() if v is not None)
        if hit := _first_match(text, self.listing_card_exclusions):
            return f"excluded_card:{hit}"
        if hit := _first_match(text, self.spam_indicators):
            return f"spam:{hit}"
        seller = " ".join(str(values[f]) for f in self.seller_fields if values.get(f) is not None)
        if hit := _first_match(seller, self.spam_seller_indicators):
            return f"spam_seller:{hit}"
        return None

    def control_refusal(self, control_name: str) -> str | None:
        """Why a control may not be clicked; an allowed control (a reveal button) beats a forbidden one."""
        if _first_match(control_name, self.allowed_controls):
            return None
        if hit := _first_match(control_name, self.forbidden_controls):
            return f"the recipe {self.name} forbids clicking {control_name!r} (matches {hit!r})"
        return None

    def card_excluded(self, card_text: str) -> str | None:
        return _first_match(card_text, self.listing_card_exclusions)

    def rejected_intent(self, intent: str) -> str | None:
        return _first_match(intent, self.rejection_intents)

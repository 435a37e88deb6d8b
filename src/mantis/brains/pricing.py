"""What a model's tokens and images cost, so every call can be reserved and charged before a run overshoots.

Defaults cover the known models; `MANTIS_PRICING_FILE` (JSON) overrides or adds entries, and
`MANTIS_PRICE_INPUT_PER_MTOK` / `MANTIS_PRICE_OUTPUT_PER_MTOK` / `MANTIS_PRICE_PER_IMAGE` price any model the
table lacks. A model with no price is refused: a cost cap means nothing for a call that cannot be priced.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

FALLBACK_VARS = ("MANTIS_PRICE_INPUT_PER_MTOK", "MANTIS_PRICE_OUTPUT_PER_MTOK", "MANTIS_PRICE_PER_IMAGE")
_DATED = re.compile(r"-\d{8}$")


class PricingError(ValueError):
    """No usable price for a model; the message says what to set."""


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens, plus a flat price per image for hosts that bill images apart.

    Anthropic and most OpenAI-compatible servers count image tokens in the input tokens, so `per_image`
    is 0 for them."""

    input_per_mtok: float
    output_per_mtok: float
    per_image: float = 0.0

    def usd(self, input_tokens: int, output_tokens: int, images: int = 0) -> float:
        return (
            input_tokens * self.input_per_mtok / 1e6
            + output_tokens * self.output_per_mtok / 1e6
            + images * self.per_image
        )


DEFAULT_PRICES: Mapping[str, Price] = {
    "claude-fable-5-1": Price(10.0, 50.0),
    "claude-opus-5-5": Price(4.0, 20.0),
    "claude-opus-5": Price(5.0, 25.0),
    "claude-sonnet-5-5": Price(2.0, 10.0),
    "claude-sonnet-5": Price(2.0, 10.0),
    "claude-opus-4-6": Price(5.0, 25.0),
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-sonnet-4-6": Price(3.0, 15.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
    # Self-hosted (vLLM): no per-token bill. Price it in MANTIS_PRICING_FILE if your host charges per token.
    "Hcompany/Holo3-35B-A3B": Price(0.0, 0.0),
}


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, Price]
    fallback: Price | None = None

    def price(self, model: str) -> Price:
        """The model's price; a dated snapshot id (`…-20250929`) falls back to its alias's price."""
        for name in (model, _DATED.sub("", model)):
            if name in self.prices:
                return self.prices[name]
        if self.fallback is not None:
            return self.fallback
        raise PricingError(
            f"no price for model {model!r}: add it to the JSON file MANTIS_PRICING_FILE names "
            f'({{"{model}": {{"input_per_mtok": …, "output_per_mtok": …}}}}) or set '
            "MANTIS_PRICE_INPUT_PER_MTOK and MANTIS_PRICE_OUTPUT_PER_MTOK"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PriceTable:
        env = os.environ if env is None else env
        prices = dict(DEFAULT_PRICES)
        path = env.get("MANTIS_PRICING_FILE", "").strip()
        if path:
            prices.update(_load(Path(path)))
        given = [env.get(name, "").strip() for name in FALLBACK_VARS]
        fallback = None
        if given[0] or given[1]:
            if not (given[0] and given[1]):
                raise PricingError("set both MANTIS_PRICE_INPUT_PER_MTOK and MANTIS_PRICE_OUTPUT_PER_MTOK")
            fallback = _price(
                dict(zip(("input_per_mtok", "output_per_mtok", "per_image"), given, strict=True))
            )
        return cls(prices, fallback)


def _load(path: Path) -> dict[str, Price]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PricingError(f"MANTIS_PRICING_FILE {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise PricingError(f"MANTIS_PRICING_FILE {path}: expected an object of model → price")
    try:
        return {str(model): _price(entry) for model, entry in raw.items()}
    except PricingError as exc:
        raise PricingError(f"MANTIS_PRICING_FILE {path}: {exc}") from exc


def _price(entry: object) -> Price:
    if not isinstance(entry, dict):
        raise PricingError("a price is an object with input_per_mtok and output_per_mtok")
    try:
        values = [float(entry.get(key) or 0) for key in ("input_per_mtok", "output_per_mtok", "per_image")]
    except (TypeError, ValueError):
        raise PricingError(f"prices must be numbers: {entry}") from None
    if "input_per_mtok" not in entry or "output_per_mtok" not in entry or min(values) < 0:
        raise PricingError(f"a price needs non-negative input_per_mtok and output_per_mtok: {entry}")
    return Price(*values)

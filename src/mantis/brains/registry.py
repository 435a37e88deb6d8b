"""Which brain answers a run: the model it asks for, if configured, else the offline brain when it asks for
none. A model that is asked for but not configured fails the run naming what to set: never a weaker swap."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mantis.brains.base import Brain, PlanningError
from mantis.brains.cost import Meter
from mantis.brains.offline.brain import OfflineBrain
from mantis.brains.pricing import PriceTable, PricingError
from mantis.brains.settings import Endpoint, ModelSettings, SettingsError

if TYPE_CHECKING:
    from mantis.brains.claude import ClaudeBrain
    from mantis.brains.composite import CompositeBrain

# The provider SDKs take seconds to import: they load only when a run asks for a model.

OFFLINE_NAMES = frozenset({None, "", "offline"})
CLAUDE_VARS = "ANTHROPIC_API_KEY (and optionally MANTIS_ANTHROPIC_BASE_URL, MANTIS_CLAUDE_MODEL)"
OPENAI_VARS = (
    "MANTIS_OPENAI_BASE_URL and MANTIS_OPENAI_MODEL (and MANTIS_OPENAI_API_KEY if the server needs one)"
)
HOLO3_VARS = "MANTIS_HOLO3_BASE_URL (and MANTIS_HOLO3_API_KEY, MANTIS_HOLO3_MODEL if your server needs them)"


def brain_for(
    cua_model: str | None,
    meter: Meter,
    *,
    settings: ModelSettings | None = None,
    prices: PriceTable | None = None,
) -> Brain:
    """A brain for one run; model-backed brains charge `meter` for every call.

    `None`/"offline" → the offline brain; "claude" or a `claude-…` id → Claude; "holo3" → Holo3 grounding
    with Claude (else the OpenAI-compatible chat model, else offline extraction, said in `notes`) reading;
    "openai" → the OpenAI-compatible endpoint's MANTIS_OPENAI_MODEL; any other name → that model on the
    OpenAI-compatible endpoint."""
    if cua_model in OFFLINE_NAMES:
        return OfflineBrain()
    name = str(cua_model)
    try:
        settings = settings or ModelSettings.from_env()
        prices = prices or PriceTable.from_env()
        if name == "holo3":
            return _holo3(settings, prices, meter)
        if name == "claude" or name.startswith("claude-"):
            claude = _configured(settings.claude, name, CLAUDE_VARS)
            return _claude(
                replace(claude, model=claude.model if name == "claude" else name), settings, prices, meter
            )
        from mantis.brains.openai_compatible import OpenAICompatibleBrain

        openai = _configured(settings.openai, name, OPENAI_VARS)
        model = openai.model if name == "openai" else name
        if not model:
            raise PlanningError(
                "cua_model 'openai' needs MANTIS_OPENAI_MODEL: the model the endpoint serves",
                code="model_unavailable",
            )
        return OpenAICompatibleBrain(replace(openai, model=model), prices.price(model), meter)
    except (SettingsError, PricingError) as exc:
        raise PlanningError(f"cua_model {name!r}: {exc}", code="model_unavailable") from exc


def _holo3(settings: ModelSettings, prices: PriceTable, meter: Meter) -> CompositeBrain:
    from mantis.brains.composite import CompositeBrain
    from mantis.brains.openai_compatible import OpenAICompatibleBrain

    holo3 = _configured(settings.holo3, "holo3", HOLO3_VARS)
    grounder = OpenAICompatibleBrain(
        holo3, prices.price(holo3.model), meter, coordinates=settings.holo3_coordinates, provider="holo3"
    )
    reader: Brain
    if settings.claude is not None:
        reader = _claude(settings.claude, settings, prices, meter)
        note = f"holo3 ({holo3.model}) grounds; Claude ({settings.claude.model}) extracts and plans"
    elif settings.openai is not None and settings.openai.model:
        reader = OpenAICompatibleBrain(settings.openai, prices.price(settings.openai.model), meter)
        note = f"holo3 ({holo3.model}) grounds; {settings.openai.model} extracts and plans"
    else:
        reader = OfflineBrain()
        note = (
            f"holo3 ({holo3.model}) grounds; extraction and planning use the offline brain (page structure "
            "and controlled English only) because no reading model is configured: set ANTHROPIC_API_KEY, or "
            "MANTIS_OPENAI_BASE_URL and MANTIS_OPENAI_MODEL"
        )
    return CompositeBrain(grounder, reader, [note])


def _claude(endpoint: Endpoint, settings: ModelSettings, prices: PriceTable, meter: Meter) -> ClaudeBrain:
    from mantis.brains.claude import ClaudeBrain

    return ClaudeBrain(endpoint, prices.price(endpoint.model), meter, effort=settings.claude_effort)


def _configured(endpoint: Endpoint | None, name: str, variables: str) -> Endpoint:
    if endpoint is None:
        raise PlanningError(
            f"cua_model {name!r} is not configured on this server: set {variables} "
            "(see docs/operator/models.md), or omit cua_model to run with the offline brain",
            code="model_unavailable",
        )
    return endpoint

"""Where the model endpoints are, read from the environment once per run so a key change needs no restart."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

DEFAULT_CLAUDE_MODEL = "claude-sonnet-5-5"
DEFAULT_HOLO3_MODEL = "Hcompany/Holo3-35B-A3B"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 3
# Local servers (vLLM, llama.cpp, Ollama) ignore the key, but the OpenAI SDK refuses to send none.
NO_KEY = "EMPTY"

CoordinateSpace = Literal["pixels", "norm1000", "norm1"]
COORDINATE_SPACES: tuple[CoordinateSpace, ...] = ("pixels", "norm1000", "norm1")


class SettingsError(ValueError):
    """A model variable is set to something unusable; the message names the variable."""


@dataclass(frozen=True)
class Endpoint:
    """One model endpoint: where it answers, with which key and model, and how patient to be."""

    base_url: str | None
    api_key: str
    model: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES


@dataclass(frozen=True)
class ModelSettings:
    """Every configured endpoint; `None` where its variables are unset."""

    claude: Endpoint | None = None
    openai: Endpoint | None = None
    holo3: Endpoint | None = None
    claude_effort: str | None = "low"
    holo3_coordinates: CoordinateSpace = "norm1000"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ModelSettings:
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return env.get(name, "").strip()

        timeout_s = _number(get("MANTIS_MODEL_TIMEOUT_S"), "MANTIS_MODEL_TIMEOUT_S", DEFAULT_TIMEOUT_S)
        retries = int(
            _number(get("MANTIS_MODEL_MAX_RETRIES"), "MANTIS_MODEL_MAX_RETRIES", DEFAULT_MAX_RETRIES)
        )
        claude = openai = holo3 = None
        if get("ANTHROPIC_API_KEY"):
            claude = Endpoint(
                get("MANTIS_ANTHROPIC_BASE_URL") or None,
                get("ANTHROPIC_API_KEY"),
                get("MANTIS_CLAUDE_MODEL") or DEFAULT_CLAUDE_MODEL,
                timeout_s,
                retries,
            )
        if get("MANTIS_OPENAI_BASE_URL"):
            openai = Endpoint(
                get("MANTIS_OPENAI_BASE_URL"),
                get("MANTIS_OPENAI_API_KEY") or NO_KEY,
                get("MANTIS_OPENAI_MODEL"),
                timeout_s,
                retries,
            )
        if get("MANTIS_HOLO3_BASE_URL"):
            holo3 = Endpoint(
                get("MANTIS_HOLO3_BASE_URL"),
                get("MANTIS_HOLO3_API_KEY") or NO_KEY,
                get("MANTIS_HOLO3_MODEL") or DEFAULT_HOLO3_MODEL,
                timeout_s,
                retries,
            )
        space = get("MANTIS_HOLO3_COORDINATES") or "norm1000"
        if space not in COORDINATE_SPACES:
            raise SettingsError(f"MANTIS_HOLO3_COORDINATES must be one of {', '.join(COORDINATE_SPACES)}")
        effort = env.get("MANTIS_CLAUDE_EFFORT", "low").strip() or None
        return cls(claude, openai, holo3, effort, space)


def _number(raw: str, name: str, default: float) -> float:
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value

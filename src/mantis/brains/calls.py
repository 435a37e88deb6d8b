"""Every model call goes through a `Ledger`: reserved at its worst case, charged at the provider's usage,
answered from memory when repeated, and turned into a step failure with a reason when it goes wrong."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anthropic
import openai

from mantis.brains.base import PlanningError
from mantis.brains.cost import Meter, ModelCall
from mantis.brains.pricing import Price

R = TypeVar("R")

# An upper bound, not a guess: no tokenizer in use spends fewer than 2 bytes of UTF-8 per token on average,
# so a reservation made from it errs toward refusing a call rather than overshooting the cap.
BYTES_PER_TOKEN = 2
PIXELS_PER_IMAGE_TOKEN = 750
# Providers add their own prompt for tools (the computer tool's is the largest), unseen in the request.
HIDDEN_PROMPT_TOKENS = 2000


class ModelCallError(PlanningError):
    """A model call failed or its answer was unusable; the step fails with this code and reason."""


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Image:
    """An image as sent: its encoded payload (which the text estimate leaves out) and its size."""

    data: str
    width: int
    height: int

    @property
    def tokens(self) -> int:
        return math.ceil(self.width * self.height / PIXELS_PER_IMAGE_TOKEN)


@dataclass
class Ledger(Generic[R]):
    """One per brain: its meter, the model's price, and the answers it already paid for."""

    meter: Meter
    provider: str
    model: str
    price: Price
    usage_of: Callable[[R], Usage | None]
    _answers: dict[str, R] = field(default_factory=dict)

    async def call(
        self,
        purpose: str,
        request: dict[str, Any],
        send: Callable[[dict[str, Any]], Awaitable[R]],
        *,
        max_tokens: int,
        images: Sequence[Image] = (),
    ) -> R:
        """Sends `request` once per run: a repeat is answered from memory, charged $0 and marked cached."""
        body = json.dumps(request, sort_keys=True, default=str)
        key = hashlib.sha256(body.encode()).hexdigest()
        if key in self._answers:
            self.meter.charge(ModelCall(self.provider, self.model, purpose, cached=True))
            return self._answers[key]
        text_bytes = len(body.encode()) - sum(len(image.data) for image in images)
        worst_input = (
            math.ceil(text_bytes / BYTES_PER_TOKEN)
            + sum(image.tokens for image in images)
            + HIDDEN_PROMPT_TOKENS
        )
        worst = self.price.usd(worst_input, max_tokens, len(images))
        self.meter.reserve(worst)
        began = time.monotonic()
        try:
            answer = await send(request)
        except (anthropic.APIError, openai.APIError) as exc:
            raise failure(self.provider, self.model, exc) from exc
        usage = self.usage_of(answer)
        # A server that reports no usage is charged the reservation: the cap must hold either way.
        tokens = usage or Usage(worst_input, max_tokens)
        self.meter.charge(
            ModelCall(
                self.provider,
                self.model,
                purpose,
                input_tokens=tokens.input_tokens,
                output_tokens=tokens.output_tokens,
                images=len(images),
                usd=self.price.usd(tokens.input_tokens, tokens.output_tokens, len(images)),
                duration_ms=round((time.monotonic() - began) * 1000),
            )
        )
        self._answers[key] = answer
        return answer


def failure(provider: str, model: str, exc: Exception) -> ModelCallError:
    """The step failure for an SDK error, once the SDK's own retries are spent."""
    who = f"{provider} model {model}"
    if isinstance(exc, anthropic.APITimeoutError | openai.APITimeoutError):
        return ModelCallError(f"{who} did not answer in time", code="model_timeout")
    if isinstance(exc, anthropic.APIConnectionError | openai.APIConnectionError):
        return ModelCallError(f"{who} could not be reached: {exc}", code="model_error")
    status = getattr(exc, "status_code", None)
    detail = _detail(exc)
    if status in (401, 403):
        return ModelCallError(f"{who} refused the API key ({status}): {detail}", code="model_unavailable")
    if status == 404:
        return ModelCallError(f"{who} is not served there (404): {detail}", code="model_unavailable")
    if status == 429 or (status is not None and status >= 500):
        return ModelCallError(
            f"{who} is overloaded or rate limited ({status}) after retries: {detail}", code="model_error"
        )
    return ModelCallError(f"{who} rejected the request ({status}): {detail}", code="model_error")


def _detail(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", exc))

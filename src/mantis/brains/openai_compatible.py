"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, a hosted API) through the official
`openai` SDK. Structured answers come through `response_format` JSON schemas; a grounding model such as Holo3
answers a click point in free text, parsed by `grounding.parse_point`."""

from __future__ import annotations

from typing import Any, cast

from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion

from mantis.brains.base import Grounding, GroundingError
from mantis.brains.calls import Image, Ledger, ModelCallError, Usage
from mantis.brains.cost import Meter
from mantis.brains.grounding import on_screen, parse_point, pick, point_member, prepare, to_image_pixels
from mantis.brains.pricing import Price
from mantis.brains.prompts import PLAN_SYSTEM, SYSTEM, choice_prompt, extract_task, page_parts, visible_task
from mantis.brains.schemas import (
    VISIBLE_SCHEMA,
    choice_schema,
    lenient_json,
    plan_schema,
    plan_with_repair,
    repair_rows,
    rows_schema,
    visible_of,
)
from mantis.brains.settings import CoordinateSpace, Endpoint
from mantis.planes.base import ActionKind, Observation
from mantis.plans.models import ExtractSpec, Step

MAX_TOKENS = {"extract": 4096, "plan": 4096, "ground": 1024, "detect_visible": 512}
_SPACES = {
    "pixels": "pixels of the {w}×{h} screenshot",
    "norm1000": "units from 0 to 1000 across the screenshot's width and height",
    "norm1": "fractions from 0 to 1 of the screenshot's width and height",
}


class OpenAICompatibleBrain:
    """One run's client of an OpenAI-compatible endpoint; `coordinates` is the space its grounding model
    answers points in (see `grounding.to_image_pixels`)."""

    name = "openai-compatible"
    driver = None  # no computer-use protocol to drive with: intent-only tasks are decomposed

    def __init__(
        self,
        endpoint: Endpoint,
        price: Price,
        meter: Meter,
        *,
        coordinates: CoordinateSpace = "pixels",
        provider: str = "openai-compatible",
    ) -> None:
        self.model = endpoint.model
        self.notes: list[str] = []
        self._coordinates = coordinates
        self._client = AsyncOpenAI(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            timeout=endpoint.timeout_s,
            max_retries=endpoint.max_retries,
        )
        self._ledger: Ledger[ChatCompletion] = Ledger(meter, provider, self.model, price, _usage)

    async def extract(self, spec: ExtractSpec, observation: Observation, intent: str) -> list[dict[str, Any]]:
        parts, images = page_parts(observation, extract_task(spec, intent), _text, _image)
        return repair_rows(await self._json("extract", parts, images, "rows", rows_schema(spec)), spec)

    async def plan(self, text: str) -> list[Step]:
        async def ask(task: str) -> Any:
            return await self._json(
                "plan",
                [_text(task)],
                [],
                "plan",
                plan_schema(),
                strict=False,
                system=PLAN_SYSTEM,
                lenient=True,
            )

        return await plan_with_repair(ask, text)

    async def detect_visible(self, query: str, observation: Observation) -> bool:
        parts, images = page_parts(observation, visible_task(query), _text, _image)
        return visible_of(await self._json("detect_visible", parts, images, "visibility", VISIBLE_SCHEMA))

    async def ground(self, target: str, observation: Observation, action: ActionKind) -> Grounding:
        """Picks an element by number on a DOM-aware plane; reads a click point off a screenshot otherwise."""
        if any(element.ref for element in observation.elements):
            offered, texts = choice_prompt(target, observation, action)
            parts = [_text(text) for text in texts]
            answer = await self._json("ground", parts, [], "element", choice_schema(len(offered)))
            return pick(answer, offered, target, action)
        if observation.screenshot is None:
            raise GroundingError(f"no elements and no screenshot to find {target!r} on")
        point_member(action)
        shot = prepare(observation.screenshot)
        where = _SPACES[self._coordinates].format(w=shot.image.width, h=shot.image.height)
        task = (
            f'Task: {action} the target "{target}" on the screenshot. Answer only with its point as JSON '
            f'{{"x": …, "y": …}} in {where}, or NOT_FOUND when it is not on the screen.'
        )
        reply = await self._chat("ground", [_text(task), _image(shot.image)], [shot.image])
        point = parse_point(reply)
        if point is None:
            raise GroundingError(f"{target!r} was not found on the screen (the model said: {reply[:200]!r})")
        return Grounding(point=on_screen(shot, *to_image_pixels(point, self._coordinates, shot)))

    async def _json(
        self,
        purpose: str,
        parts: list[dict[str, Any]],
        images: list[Image],
        name: str,
        schema: dict[str, Any],
        *,
        strict: bool = True,
        system: str = SYSTEM,
        lenient: bool = False,
    ) -> Any:
        """The JSON answer to a `json_schema` response format, taken out of prose or a fence if need be."""
        fmt = {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}}
        reply = await self._chat(purpose, parts, images, system=system, response_format=fmt)
        parsed = lenient_json(reply)
        if parsed is None and not lenient:
            raise ModelCallError(
                f"the model's answer is not JSON: {reply[:200]!r}", code="model_invalid_output"
            )
        return reply if parsed is None else parsed

    async def _chat(
        self,
        purpose: str,
        parts: list[dict[str, Any]],
        images: list[Image],
        *,
        system: str = SYSTEM,
        **options: Any,
    ) -> str:
        # Text-only content goes as a plain string, which every compatible server accepts.
        content: Any = parts if images else "\n\n".join(part["text"] for part in parts)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": content}],
            "max_tokens": MAX_TOKENS[purpose],
            "temperature": 0,
            **options,
        }
        completion = await self._ledger.call(
            purpose, request, self._create, max_tokens=MAX_TOKENS[purpose], images=images
        )
        if not getattr(completion, "choices", None):
            raise ModelCallError("the answer has no choices", code="model_invalid_output")
        message = completion.choices[0].message
        if message.refusal:
            raise ModelCallError(f"the model refused: {message.refusal[:200]}", code="model_invalid_output")
        return message.content or ""

    async def _create(self, request: dict[str, Any]) -> ChatCompletion:
        return cast(ChatCompletion, await self._client.chat.completions.create(**request))


def _usage(completion: ChatCompletion) -> Usage | None:
    usage = getattr(completion, "usage", None)
    if (
        usage is None
        or not isinstance(usage.prompt_tokens, int)
        or not isinstance(usage.completion_tokens, int)
    ):
        return None
    return Usage(usage.prompt_tokens, usage.completion_tokens)


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image(image: Image) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image.data}"}}

"""Claude through the official `anthropic` SDK: every answer comes back through a tool whose schema is built
from the plan models, and every call is metered, cached and retried by the SDK on 429, 5xx and 529."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import ComputerToolsetConfigsParam, ContentBlock, Message

from mantis.brains.base import Driver, Grounding, GroundingError, Move
from mantis.brains.calls import Image, Ledger, ModelCallError, Usage
from mantis.brains.cost import Meter
from mantis.brains.grounding import pick, point_member, prepare
from mantis.brains.moves import (
    FINISH_SCHEMA,
    GO_BACK_SCHEMA,
    MEMBERS,
    NAVIGATE_SCHEMA,
    computer_move,
    point_of,
    tool_move,
)
from mantis.brains.pricing import Price
from mantis.brains.prompts import (
    AGENT_SYSTEM,
    PLAN_SYSTEM,
    SYSTEM,
    agent_task,
    choice_prompt,
    extract_task,
    page_parts,
    visible_task,
)
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
from mantis.brains.settings import Endpoint
from mantis.planes.base import ActionKind, Observation
from mantis.plans.models import ExtractSpec, Step

MAX_TOKENS = {"extract": 8192, "plan": 8192, "ground": 2048, "detect_visible": 1024, "move": 2048}
COMPUTER_TOOLSET = "computer_toolset_20260801"
_MEMBERS = sorted(ComputerToolsetConfigsParam.__optional_keys__)
# These answer a forced `tool_choice` with a 400; any other model that does is learned from that 400.
_FORCING_REFUSED = ("claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5")


class ClaudeBrain:
    """One run's Claude: a brain instance holds the run's meter, its answers so far, and what it learned
    about the model (whether it takes a forced tool choice, an `effort`)."""

    name = "claude"

    def __init__(self, endpoint: Endpoint, price: Price, meter: Meter, *, effort: str | None = None) -> None:
        self.model = endpoint.model
        self.notes: list[str] = []
        self._effort = effort
        self._forcing = not self.model.startswith(_FORCING_REFUSED)
        self._client = AsyncAnthropic(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            timeout=endpoint.timeout_s,
            max_retries=endpoint.max_retries,
        )
        self._ledger: Ledger[Message] = Ledger(meter, "anthropic", self.model, price, _usage)

    @property
    def driver(self) -> Driver:
        return self

    async def extract(self, spec: ExtractSpec, observation: Observation, intent: str) -> list[dict[str, Any]]:
        tool = _tool(
            "record_rows", f"Record the {spec.entity_name} records read from the page.", rows_schema(spec)
        )
        content, images = page_parts(observation, extract_task(spec, intent), _text, _image)
        return repair_rows(await self._answer("extract", content, tool, images), spec)

    async def plan(self, text: str) -> list[Step]:
        tool = _tool("submit_plan", "Submit the micro-plan.", plan_schema())

        async def ask(task: str) -> Any:
            return await self._answer("plan", [_text(task)], tool, system=PLAN_SYSTEM, lenient=True)

        return await plan_with_repair(ask, text)

    async def detect_visible(self, query: str, observation: Observation) -> bool:
        tool = _tool("answer", "Say whether it is visible.", VISIBLE_SCHEMA)
        content, images = page_parts(observation, visible_task(query), _text, _image)
        return visible_of(await self._answer("detect_visible", content, tool, images))

    async def ground(self, target: str, observation: Observation, action: ActionKind) -> Grounding:
        """Picks an element by number on a DOM-aware plane; points with the computer tool on a screenshot."""
        if any(element.ref for element in observation.elements):
            offered, texts = choice_prompt(target, observation, action)
            tool = _tool(
                "choose_element", "Give the number of the target element.", choice_schema(len(offered))
            )
            answer = await self._answer("ground", [_text(text) for text in texts], tool)
            return pick(answer, offered, target, action)
        if observation.screenshot is None:
            raise GroundingError(f"no elements and no screenshot to find {target!r} on")
        return await self._point(target, observation.screenshot, action)

    async def _point(self, target: str, screenshot: bytes, action: ActionKind) -> Grounding:
        member = point_member(action)
        shot = prepare(screenshot)
        task = (
            f'Task: {action} the target "{target}" on this {shot.image.width}×{shot.image.height} '
            f"screenshot: call {member} with its coordinate in the screenshot's pixels. If it is not on "
            "the screen, call no tool and answer NOT_FOUND."
        )
        request = self._request("ground", [_text(task), _image(shot.image)], [_toolset({member})], SYSTEM)
        message = await self._send("ground", request, [shot.image])
        for block in _content(message):
            if block.type == "tool_use":
                if block.name != member or block.toolset_name != "computer":
                    raise GroundingError(f"the model answered {block.name}, where only {member} was allowed")
                return Grounding(point=point_of(_input(block), shot, member))
        raise GroundingError(f"{target!r} is not on the screen (the model said: {_said(message)[:200]})")

    async def next_move(self, goal: str, observation: Observation, history: Sequence[str]) -> Move:
        """One turn of the agent loop, stateless: the task, the moves so far as text, and one screenshot,
        so a long task costs the same per turn as a short one."""
        if observation.screenshot is None:
            raise GroundingError("no screenshot to choose a move on")
        shot = prepare(observation.screenshot)
        task = agent_task(goal, observation.url, history, shot.image.width, shot.image.height)
        tools = [
            _toolset(MEMBERS),
            _tool("navigate", "Open a URL in the current tab.", NAVIGATE_SCHEMA),
            _tool("go_back", "Go back to the previous page.", GO_BACK_SCHEMA),
            _tool("finish", "End the task: done (success true) or impossible (false).", FINISH_SCHEMA),
        ]
        request = self._request("move", [_text(task), _image(shot.image)], tools, AGENT_SYSTEM)
        message = await self._send("move", request, [shot.image])
        said = _said(message)
        for block in _content(message):
            if block.type == "tool_use":
                if block.toolset_name == "computer":
                    return computer_move(block.name, _input(block), shot, said)
                return tool_move(block.name, _input(block), said)
        return Move("done", said=said)  # a turn with no tool call is the model's last word

    async def _answer(
        self,
        purpose: str,
        content: list[dict[str, Any]],
        tool: dict[str, Any],
        images: list[Image] | None = None,
        *,
        system: str = SYSTEM,
        lenient: bool = False,
    ) -> Any:
        """The input of the tool call the model answers with; JSON in its text is accepted in its place."""
        message = await self._send(purpose, self._request(purpose, content, [tool], system), images or [])
        for block in _content(message):
            if block.type == "tool_use" and block.name == tool["name"]:
                return block.input
        said = _said(message)
        parsed = lenient_json(said)
        if parsed is not None or lenient:
            return said if parsed is None else parsed
        why = "ran out of max_tokens" if message.stop_reason == "max_tokens" else f"said: {said[:200]!r}"
        raise ModelCallError(f"the model did not call {tool['name']} ({why})", code="model_invalid_output")

    def _request(
        self, purpose: str, content: list[dict[str, Any]], tools: list[dict[str, Any]], system: str
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": MAX_TOKENS[purpose],
            "system": system,
            "messages": [{"role": "user", "content": content}],
            "tools": tools,
            "tool_choice": self._choice(tools),
        }
        if self._effort:
            request["output_config"] = {"effort": self._effort}
        return request

    def _choice(self, tools: list[dict[str, Any]]) -> dict[str, str]:
        if not self._forcing:
            return {"type": "auto"}
        if len(tools) == 1 and "name" in tools[0]:
            return {"type": "tool", "name": tools[0]["name"]}
        return {"type": "any"}

    async def _send(self, purpose: str, request: dict[str, Any], images: list[Image]) -> Message:
        """Sends a request; a 400 refusing forced tool use or `effort` drops it for this model and resends."""
        while True:
            try:
                return await self._ledger.call(
                    purpose, request, self._create, max_tokens=request["max_tokens"], images=images
                )
            except ModelCallError as exc:
                if not self._relax(exc.__cause__):
                    raise
            request = {**request, "tool_choice": {"type": "auto"}} if not self._forcing else dict(request)
            if not self._effort:
                request.pop("output_config", None)

    def _relax(self, cause: BaseException | None) -> bool:
        said = str(cause) if isinstance(cause, anthropic.BadRequestError) else ""
        if self._forcing and "tool_choice" in said:
            self._forcing = False
            return True
        if self._effort and "effort" in said:
            self._effort = None
            return True
        return False

    async def _create(self, request: dict[str, Any]) -> Message:
        return cast(Message, await self._client.messages.create(**request))


def _usage(message: Message) -> Usage | None:
    usage = getattr(message, "usage", None)
    if usage is None or not isinstance(usage.input_tokens, int) or not isinstance(usage.output_tokens, int):
        return None
    cached = (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
    return Usage(usage.input_tokens + cached, usage.output_tokens)


def _content(message: Message) -> list[ContentBlock]:
    content = getattr(message, "content", None)
    if not isinstance(content, list):
        raise ModelCallError("the answer is not a Messages API response", code="model_invalid_output")
    return content


def _said(message: Message) -> str:
    return "".join(block.text for block in _content(message) if block.type == "text")


def _input(block: ContentBlock) -> dict[str, Any]:
    data = getattr(block, "input", None)
    return data if isinstance(data, dict) else {}


def _toolset(enabled: set[str] | frozenset[str]) -> dict[str, Any]:
    """The computer tool with only the members a call may use."""
    return {"type": COMPUTER_TOOLSET, "configs": {name: {"enabled": name in enabled} for name in _MEMBERS}}


def _tool(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "description": description, "input_schema": schema}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image(image: Image) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image.data}}

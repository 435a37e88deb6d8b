"""Steps that move the browser without a target on the page: navigate, back, wait, scroll, press."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from mantis.planes.base import Action
from mantis.steps.base import ActionStep, Params

if TYPE_CHECKING:
    from mantis.runner.steprun import StepRun


class NavigateParams(Params):
    url: str | None = Field(None, description="The URL to load; `{name}` is filled from `inputs`.")
    url_from: str | None = Field(
        None, description="A list variable (from collect_urls) whose next unvisited URL is loaded."
    )

    @model_validator(mode="after")
    def _one_source(self) -> NavigateParams:
        if not self.url and not self.url_from:
            raise ValueError("a navigate step needs params.url or params.url_from")
        return self


class Navigate(ActionStep):
    """Loads a URL. With `url_from`, takes the next unvisited URL of a list variable and sets
    `<var>_exhausted` when none is left (then it does not navigate)."""

    type: Literal["navigate"]
    params: NavigateParams

    async def run(self, run: StepRun) -> str:
        ctx, url = run.ctx, self.params.url
        if not url:
            var = self.params.url_from or ""
            seen = ctx.visited.setdefault(var, set())
            pending = [u for u in ctx.state_vars.get(var) or [] if u not in seen]
            if not pending:
                ctx.state_vars[f"{var}_exhausted"] = True
                return f"{var} exhausted"
            seen.add(pending[0])
            ctx.state_vars[f"{var}_exhausted"] = len(pending) == 1
            url = str(pending[0])
        else:
            url = str(ctx.fill(url))
        absolute = ctx.absolute(url, run.base)
        ctx.check_url(absolute)
        await run.session.navigate(absolute, run.timeout_s)
        return f"at {await run.session.current_url()}"


class GoBack(ActionStep):
    """The browser's back button."""

    type: Literal["go_back"]

    async def run(self, run: StepRun) -> str:
        await run.session.go_back(run.timeout_s)
        return f"back at {await run.session.current_url()}"


class WaitParams(Params):
    seconds: float = Field(1, ge=0, description="How long to wait.")


class Wait(ActionStep):
    """Waits `seconds` (default 1), within the step's timeout and the run's time cap."""

    type: Literal["wait"]
    params: WaitParams = Field(default_factory=WaitParams)

    async def run(self, run: StepRun) -> str:
        seconds = min(self.params.seconds, run.timeout_s)
        await run.session.wait(seconds)
        return f"waited {seconds:g} s"


class ScrollParams(Params):
    amount: int = Field(1, ge=1, description="Scroll actions when `budget` is unset.")


class Scroll(ActionStep):
    """Scrolls down `budget` times (one screen-ish each)."""

    type: Literal["scroll"]
    budget: int | None = Field(None, ge=0, description="The number of scroll actions.")
    params: ScrollParams = Field(default_factory=ScrollParams)

    async def run(self, run: StepRun) -> str:
        amount = max(self.budget if self.budget is not None else self.params.amount, 1)
        run.ctx.marks.scroll = amount
        await run.session.act(Action("scroll", amount=amount), run.timeout_s)
        return f"scrolled {amount}"


class PressParams(Params):
    key: str = Field(min_length=1, description="A key or chord: `Enter`, `Tab`, `Escape`, `Control+a`.")


class Press(ActionStep):
    """Presses a key or chord on the focused element."""

    type: Literal["press"]
    params: PressParams

    async def run(self, run: StepRun) -> str:
        await run.session.act(Action("press", key=self.params.key), run.timeout_s)
        return f"pressed {self.params.key}"

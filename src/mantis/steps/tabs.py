"""DOM-aware tab steps: only a DOM-aware plane runs them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mantis.steps.base import ActionStep, Params
from mantis.steps.targets import RoleStep

if TYPE_CHECKING:
    from mantis.runner.steprun import StepRun


class CaptureLinkInNewTab(RoleStep):
    """Reads the target link's href without clicking it and opens it in a new tab, which becomes
    current; the URL goes to `out_var`."""

    dom_aware = True
    type: Literal["capture_link_in_new_tab"]
    out_var: str | None = Field(None, min_length=1, description="The variable that gets the link's URL.")

    async def run(self, run: StepRun) -> str:
        dom = run.dom(self)
        url = await run.link_url(self)
        run.ctx.check_url(url)
        index = await dom.open_tab(url, run.timeout_s)
        if self.out_var:
            run.ctx.state_vars[self.out_var] = url
        return f"opened tab {index} at {url}"


class SwitchTabParams(Params):
    index: int = Field(0, description="The tab: 0 is the first, -1 the last.")


class SwitchTab(ActionStep):
    """Makes tab `index` current."""

    dom_aware = True
    type: Literal["switch_tab"]
    params: SwitchTabParams = Field(default_factory=SwitchTabParams)

    async def run(self, run: StepRun) -> str:
        return f"on tab at {await run.dom(self).switch_tab(self.params.index)}"


class CloseTab(ActionStep):
    """Closes the current tab and returns to the last one left."""

    dom_aware = True
    type: Literal["close_tab"]

    async def run(self, run: StepRun) -> str:
        return f"closed the tab; on {await run.dom(self).close_tab()}"

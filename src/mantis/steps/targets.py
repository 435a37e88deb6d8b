"""Steps aimed at one control on the page, found by its label (else the intent) or a recipe's role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from mantis.steps.base import ActionStep, Params

if TYPE_CHECKING:
    from mantis.runner.steprun import StepRun


class TargetParams(Params):
    label: str | None = Field(
        None, description="The visible text or accessible name of the target; else the intent names it."
    )


class RoleParams(TargetParams):
    index: int = Field(1, ge=1, description="With `target_role`: which of the role's elements (1-based).")


class TargetedStep(ActionStep):
    """A step with a target on the page."""

    params: TargetParams = Field(default_factory=TargetParams)


class RoleStep(TargetedStep):
    """A step whose target may be a role the plan's recipe maps to elements."""

    params: RoleParams = Field(default_factory=RoleParams)
    target_role: str | None = Field(
        None, description="A semantic role the plan's recipe maps to an element (DOM-aware planes only)."
    )

    def needs_dom(self) -> bool:
        return self.dom_aware or self.target_role is not None


class Clicking(RoleStep):
    """A click on the target, or on the recipe's element for `target_role`."""

    async def run(self, run: StepRun) -> str:
        if self.target_role:
            return await run.click_role(self)
        return await run.ground_and_act(self, "click")


class Click(Clicking):
    """Clicks the element whose accessible name matches `label` (else the intent's target); with
    `target_role`, the recipe's element for that role."""

    type: Literal["click"]


class Submit(Clicking):
    """Clicks the button that submits a form; the same grounding as `click`."""

    type: Literal["submit"]


class FillParams(TargetParams):
    text: str = Field(description="What to type; `{name}` is filled from `inputs`.")
    secret: bool = Field(
        False, description="Never show the text: the recording and the trace show it masked."
    )


class Fill(TargetedStep):
    """Types `text` into the field named `label` (its previous content is replaced)."""

    type: Literal["fill"]
    params: FillParams

    async def run(self, run: StepRun) -> str:
        return await run.ground_and_act(self, "fill", str(run.ctx.fill(self.params.text)))


class SelectParams(TargetParams):
    option: str | None = Field(None, description="The option's visible text (else its value).")
    value: str | None = Field(None, description="The same as `option`, when only the value is known.")

    @model_validator(mode="after")
    def _one_choice(self) -> SelectParams:
        if not self.option and not self.value:
            raise ValueError("a select step needs params.option or params.value")
        return self


class Select(TargetedStep):
    """Picks `option` (its visible text, else its value) in the drop-down named `label`."""

    type: Literal["select"]
    params: SelectParams

    async def run(self, run: StepRun) -> str:
        option = str(run.ctx.fill(self.params.option or self.params.value))
        return await run.ground_and_act(self, "select", option)


class DetectVisible(TargetedStep):
    """Writes to `out_var` whether what `label` (else the intent) names is visible."""

    type: Literal["detect_visible"]
    out_var: str = Field(min_length=1, description="The variable that gets true or false.")

    async def run(self, run: StepRun) -> str:
        query = str(run.ctx.fill(self.params.label or self.intent))
        visible = await run.brain.detect_visible(query, await run.session.observe())
        run.ctx.state_vars[self.out_var] = visible
        return f"{self.out_var}={visible}"

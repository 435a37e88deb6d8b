"""Steps that read the page into rows or variables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from mantis.plans.extract import ExtractSpec
from mantis.steps.base import ActionStep, Params

if TYPE_CHECKING:
    from mantis.runner.steprun import StepRun


class Extracting(ActionStep):
    """An extraction step: the inline block wins over the task's, which wins over the recipe's."""

    extract: ExtractSpec | None = Field(
        None, description="The inline extraction schema of an extraction step."
    )
    claude_only: bool = Field(
        False, description="Accepted for compatibility: extraction always uses the run's brain."
    )

    async def run(self, run: StepRun) -> str:
        return await run.extract(self)


class ExtractData(Extracting):
    """Extracts rows with the step's `extract` block (else the task's, else the recipe's; else a
    WARNING and every row is rejected `no_schema_configured`)."""

    type: Literal["extract_data"]


class Claude(Extracting):
    """A model step; it extracts like `extract_data` (offline only with an `extract` block)."""

    type: Literal["claude"]


class ExtractUrl(ActionStep):
    """Writes the current page's URL to `out_var` (default `current_url`)."""

    type: Literal["extract_url"]
    out_var: str = Field("current_url", min_length=1, description="The variable that gets the URL.")

    async def run(self, run: StepRun) -> str:
        url = await run.session.current_url()
        run.ctx.state_vars[self.out_var] = url
        return url


class CollectUrlsParams(Params):
    var: str | None = Field(None, min_length=1, description="The same as the step's `out_var`.")
    max: int = Field(0, ge=0, description="At most this many URLs; 0 for all found.")


class CollectUrls(ActionStep):
    """Puts the links of a list page's items into a list variable (at most `max`); a recipe's excluded
    cards and the page's own address are left out. A later navigate with `url_from` visits them in turn.
    DOM-aware: where a link leads is in the page's markup, which the computer plane never reads."""

    dom_aware = True
    type: Literal["collect_urls"]
    out_var: str | None = Field(None, min_length=1, description="The list variable the URLs go to.")
    params: CollectUrlsParams = Field(default_factory=CollectUrlsParams)

    @model_validator(mode="after")
    def _one_variable(self) -> CollectUrls:
        if not (self.out_var or self.params.var):
            raise ValueError("a collect_urls step needs out_var (or params.var)")
        if self.out_var and self.params.var and self.out_var != self.params.var:
            raise ValueError("out_var and params.var name different variables")
        return self

    @property
    def var(self) -> str:
        return self.out_var or self.params.var or ""

    async def run(self, run: StepRun) -> str:
        return await run.collect_urls(self)


# The roles of the accessibility tree a step can act on (WAI-ARIA widget roles); the computer plane has no
# tree, so its controls are the texts it reads, each with the role `text`.
CONTROL_ROLES = frozenset({"button", "link", "textbox", "searchbox", "combobox", "listbox", "option",
                           "checkbox", "radio", "switch", "slider", "spinbutton", "menuitem", "tab", "text"})


class Observe(ActionStep):
    """Lists the page's controls, each with its role and name, into `out_var`: on a DOM-aware plane the
    accessibility tree's widgets, on the computer plane the texts it reads on the screen. What it lists
    is what a step's `label` can name."""

    type: Literal["observe"]
    out_var: str = Field("controls", min_length=1, description="The variable that gets the list.")

    async def run(self, run: StepRun) -> str:
        observation = await run.session.observe()
        controls = [
            {"role": e.role, "name": e.name, **({"disabled": True} if e.disabled else {})}
            for e in observation.elements
            if e.role in CONTROL_ROLES and e.name.strip()
        ]
        run.ctx.state_vars[self.out_var] = controls
        shown = "; ".join(f"{c['role']} {c['name']!r}" for c in controls[:OBSERVE_SHOWN])
        more = f"; … {len(controls) - OBSERVE_SHOWN} more" if len(controls) > OBSERVE_SHOWN else ""
        return f"{len(controls)} controls into {self.out_var}: {shown}{more}"


OBSERVE_SHOWN = 12  # controls named in the trace line; the variable holds them all


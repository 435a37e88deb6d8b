"""DOM-aware steps: tabs, anchor reads and `target_role` lookups. Only a DOM-aware plane runs them."""

from __future__ import annotations

from urllib.parse import urljoin

from mantis.brains.base import Brain
from mantis.planes.base import DomAwareSession, Session
from mantis.plans.models import Step
from mantis.recipes.schema import ExtractionSchema
from mantis.runner.actions import target_of
from mantis.runner.context import RunContext, StepFailure


def dom_session(session: Session, step: Step) -> DomAwareSession:
    if not isinstance(session, DomAwareSession):
        raise StepFailure(
            f"{step.type} needs a DOM-aware plane (browser_use_plane)", code="capability_missing"
        )
    return session


def role_selector(step: Step, recipe: ExtractionSchema | None) -> tuple[str, int]:
    """The CSS selector and 0-based index a `target_role` names through the plan's recipe."""
    role = step.target_role or ""
    if recipe is None or role not in recipe.target_roles:
        known = ", ".join(sorted(recipe.target_roles)) if recipe else "no recipe on this plan"
        raise StepFailure(f"target_role {role!r} is not defined by the plan's recipe ({known})")
    return recipe.target_roles[role], max(int(step.params.get("index", 1)), 1) - 1


async def click_role(step: Step, session: Session, recipe: ExtractionSchema | None, timeout_s: float) -> str:
    css, index = role_selector(step, recipe)
    name = await dom_session(session, step).click_css(css, index, timeout_s)
    return f"clicked {step.target_role} #{index + 1}: {name!r}"


async def link_url(
    step: Step, ctx: RunContext, session: Session, brain: Brain, recipe: ExtractionSchema | None
) -> str:
    dom = dom_session(session, step)
    if step.target_role:
        css, index = role_selector(step, recipe)
        href = await dom.peek_href(css=css, index=index)
    else:
        observation = await session.observe()
        grounding = await brain.ground(target_of(step, ctx), observation, "click")
        element = grounding.element
        href = urljoin(observation.url, element.url) if element and element.url else None
        if href is None and element is not None and element.ref:
            href = await dom.peek_href(ref=element.ref)
    if not href:
        raise StepFailure("the step's target is not a link")
    return href


async def run(
    step: Step,
    ctx: RunContext,
    session: Session,
    brain: Brain,
    recipe: ExtractionSchema | None,
    timeout_s: float,
) -> str:
    dom = dom_session(session, step)
    if step.type == "capture_link_in_new_tab":
        url = await link_url(step, ctx, session, brain, recipe)
        ctx.check_url(url)
        index = await dom.open_tab(url, timeout_s)
        if step.out_var:
            ctx.state_vars[step.out_var] = url
        return f"opened tab {index} at {url}"
    if step.type == "switch_tab":
        return f"on tab at {await dom.switch_tab(int(step.params.get('index', 0)))}"
    return f"closed the tab; on {await dom.close_tab()}"

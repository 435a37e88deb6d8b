"""What DOM-aware steps need of the plane: anchor reads and `target_role` lookups."""

from __future__ import annotations

from urllib.parse import urljoin

from mantis.brains.base import Brain
from mantis.planes.base import DomAwareSession, Session
from mantis.recipes.schema import ExtractionSchema
from mantis.runner.actions import target_of
from mantis.runner.context import RunContext, StepFailure
from mantis.steps.base import StepBase
from mantis.steps.targets import RoleStep


def dom_session(session: Session, step: StepBase) -> DomAwareSession:
    if not isinstance(session, DomAwareSession):
        raise StepFailure(
            f"{step.type} needs a DOM-aware plane (browser_use_plane)", code="capability_missing"
        )
    return session


def role_selector(step: RoleStep, recipe: ExtractionSchema | None) -> tuple[str, int]:
    """The CSS selector and 0-based index a `target_role` names through the plan's recipe."""
    role = step.target_role or ""
    if recipe is None or role not in recipe.target_roles:
        known = ", ".join(sorted(recipe.target_roles)) if recipe else "no recipe on this plan"
        raise StepFailure(f"target_role {role!r} is not defined by the plan's recipe ({known})")
    return recipe.target_roles[role], step.params.index - 1


async def click_role(
    step: RoleStep, session: Session, recipe: ExtractionSchema | None, timeout_s: float
) -> str:
    css, index = role_selector(step, recipe)
    name = await dom_session(session, step).click_css(css, index, timeout_s)
    return f"clicked {step.target_role} #{index + 1}: {name!r}"


async def link_url(
    step: RoleStep, ctx: RunContext, session: Session, brain: Brain, recipe: ExtractionSchema | None
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


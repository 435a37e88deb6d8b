"""Steps that act on the page: each grounds its target through the brain, then acts on the plane."""

from __future__ import annotations

from mantis.brains.base import Grounding
from mantis.brains.offline.ground import target_from_intent
from mantis.planes.base import Action, ActionKind, Session
from mantis.plans.models import Step
from mantis.runner.context import Deps, RunContext, StepFailure


def target_of(step: Step, ctx: RunContext) -> str:
    label = ctx.fill(step.params.get("label") or "")
    target = str(label).strip() or target_from_intent(step.intent)
    if not target:
        raise StepFailure(f"a {step.type} step needs params.label or an intent that names its target")
    return target


async def ground_and_act(
    step: Step, ctx: RunContext, deps: Deps, kind: ActionKind, timeout_s: float, text: str = ""
) -> str:
    target = target_of(step, ctx)
    observation = await deps.session.observe()
    grounding = await deps.brain.ground(target, observation, kind)
    control = grounding.element.name if grounding.element else target
    if kind == "click" and deps.recipe is not None and (refusal := deps.recipe.control_refusal(control)):
        raise StepFailure(refusal, code="forbidden_control")
    await deps.session.act(_action(kind, grounding, text), timeout_s)
    element = grounding.element
    where = f'{element.role} "{element.name}"' if element else str(grounding.point)
    return f"{kind} {where}"


def _action(kind: ActionKind, grounding: Grounding, text: str) -> Action:
    element = grounding.element
    if grounding.point is not None:
        return Action(kind, point=grounding.point, text=text)
    if element is not None and element.ref:
        return Action(kind, ref=element.ref, text=text)
    if element is not None and element.box is not None:
        x, y, w, h = element.box
        return Action(kind, point=(round(x + w / 2), round(y + h / 2)), text=text)
    raise StepFailure("the brain found the target but not where it is")


async def navigate(step: Step, ctx: RunContext, session: Session, timeout_s: float, base: str | None) -> str:
    if "url_from" in step.params and not step.params.get("url"):
        var = str(step.params["url_from"])
        pending = [u for u in ctx.state_vars.get(var) or [] if u not in ctx.visited.setdefault(var, set())]
        if not pending:
            ctx.state_vars[f"{var}_exhausted"] = True
            return f"{var} exhausted"
        url = ctx.absolute(str(pending[0]), base)
        ctx.visited[var].add(pending[0])
        ctx.state_vars[f"{var}_exhausted"] = len(pending) == 1
    else:
        url = ctx.absolute(str(ctx.fill(step.params["url"])), base)
    ctx.check_url(url)
    await session.navigate(url, timeout_s)
    return f"at {await session.current_url()}"

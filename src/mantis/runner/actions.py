"""Steps that act on the page: each grounds its target (from its replay record, else through the brain),
then acts on the plane."""

from __future__ import annotations

from mantis.brains.base import Grounding
from mantis.brains.offline.ground import target_from_intent
from mantis.planes.base import Action, ActionKind, DomAwareSession, Observation
from mantis.replay import actions as learned
from mantis.runner.context import Deps, RunContext, StepFailure
from mantis.runner.marks import MASK, centre, place, secret
from mantis.steps.targets import TargetedStep


def target_of(step: TargetedStep, ctx: RunContext) -> str:
    label = ctx.fill(step.params.label or "")
    target = str(label).strip() or target_from_intent(step.intent)
    if not target:
        raise StepFailure(f"a {step.type} step needs params.label or an intent that names its target")
    return target


async def ground_and_act(
    step: TargetedStep,
    index: int,
    ctx: RunContext,
    deps: Deps,
    kind: ActionKind,
    timeout_s: float,
    text: str = "",
) -> str:
    target = target_of(step, ctx)
    observation = await _observe(ctx, deps)
    resolved = await learned.ground(ctx.replay, ctx.replay.path(index), target, kind, observation, deps.brain)
    grounding = resolved.grounding
    control = grounding.element.name if grounding.element else target
    if kind == "click" and deps.recipe is not None and (refusal := deps.recipe.control_refusal(control)):
        raise StepFailure(refusal, code="forbidden_control")
    placement = await place(deps.session, grounding, observation.elements)
    action = _action(kind, grounding, text)
    ctx.marks.box = placement.box if placement else None
    ctx.marks.point = action.point or (centre(placement.box) if placement else None)
    if kind in ("fill", "select"):
        flagged = bool(getattr(step.params, "secret", False))
        ctx.marks.typed = MASK if secret(flagged, f"{target} {control}", placement) else text
    await deps.session.act(action, timeout_s)
    ctx.marks.replay = ctx.replay.outcome(resolved.replayed, resolved.had_record)
    element = grounding.element
    where = f'{element.role} "{element.name}"' if element else str(grounding.point)
    return f"{kind} {where}"


async def _observe(ctx: RunContext, deps: Deps) -> Observation:
    """The page as the step's grounding needs it: a model on a plane without a DOM points at pixels, and
    its records are checked on them, so the screenshot comes along; the offline brain reads the text."""
    pixels = ctx.replay.models and not isinstance(deps.session, DomAwareSession)
    return await deps.session.observe(screenshot=pixels)


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

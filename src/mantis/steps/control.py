"""Control flow: a branch on a variable and a bounded loop. A target that does not resolve falls
through to the next step, as the seed promises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from mantis.steps.base import ControlStep, Target

if TYPE_CHECKING:
    from mantis.runner.steprun import Flow


class IfElse(ControlStep):
    """Jumps to `then_target` when `condition_var` is truthy, else to `else_target`; a missing
    variable, -1 or an out-of-range target falls through to the next step."""

    type: Literal["if_else"]
    condition_var: str = Field(min_length=1, description="The variable the step reads.")
    then_target: Target = Field(-1, description="The step (index or id) to jump to when truthy.")
    else_target: Target = Field(-1, description="The step (index or id) to jump to when falsy.")

    def targets(self) -> dict[str, Target]:
        return {"then_target": self.then_target, "else_target": self.else_target}

    def next_index(self, at: int, flow: Flow) -> int:
        var, known = self.condition_var, flow.ctx.state_vars
        value = known.get(var)
        target = flow.jump(self.then_target if value else self.else_target, at) if var in known else at + 1
        flow.record(at, self, f"{var}={value}→{target}", var=var, value=value, target=target)
        return target


class Loop(ControlStep):
    """Jumps to `loop_target` up to `loop_count` times (clamped to MANTIS_MAX_LOOP_ITERATIONS); a
    truthy `stop_var` exits early."""

    type: Literal["loop"]
    loop_target: Target = Field(-1, description="The step (index or id) to jump back to.")
    loop_count: int = Field(0, ge=0, description="How many times to jump (clamped to the server's cap).")
    stop_var: str | None = Field(None, description="A variable that ends the loop early when truthy.")

    def targets(self) -> dict[str, Target]:
        return {"loop_target": self.loop_target}

    def next_index(self, at: int, flow: Flow) -> int:
        ctx = flow.ctx
        limit = min(self.loop_count, ctx.limits.max_loop_iterations)
        data: dict[str, object] = {}
        if self.loop_count > limit:
            data["loop_count_requested"] = self.loop_count
            data["loop_count_clamped"] = limit
        stop = bool(self.stop_var and ctx.state_vars.get(self.stop_var))
        done = flow.loop_counts.get(at, 0)
        target = flow.resolve(self.loop_target)
        if stop or done >= limit or target is None:
            flow.loop_counts.pop(at, None)
            var, value = (
                (self.stop_var, ctx.state_vars.get(self.stop_var)) if self.stop_var else ("iteration", done)
            )
            flow.record(at, self, f"{var}={value}→{at + 1}", target=at + 1, iterations=done, **data)
            return at + 1
        flow.loop_counts[at] = done + 1
        message = f"iteration={done + 1}/{limit}→{target}"
        flow.record(at, self, message, target=target, iteration=done + 1, **data)
        return target

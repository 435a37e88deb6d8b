"""Step ids and the jumps that name them, checked before a run: an unknown or repeated id is an error;
a numeric target past the last step is only a warning, since the seed defines it to fall through."""

from __future__ import annotations

from collections.abc import Sequence

from mantis.steps.base import ControlStep, StepBase


def label_errors(steps: Sequence[StepBase], prefix: str = "steps") -> list[dict[str, str]]:
    """`{path, message}` for each repeated id and each target naming an id no step has."""
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.id is not None and step.id in seen:
            errors.append({"path": f"{prefix}[{i}].id", "message": f"the id {step.id!r} is used twice"})
        if step.id is not None:
            seen.add(step.id)
    ids = {step.id for step in steps if step.id is not None}
    known = ", ".join(sorted(ids)) or "none"
    for i, step in enumerate(steps):
        if not isinstance(step, ControlStep):
            continue
        for name, target in step.targets().items():
            if isinstance(target, str) and target not in ids:
                message = f"no step has the id {target!r} (ids in this plan: {known})"
                errors.append({"path": f"{prefix}[{i}].{name}", "message": message})
    return errors


def jump_warnings(steps: Sequence[StepBase], total: int, prefix: str = "steps") -> list[str]:
    """A warning for each numeric target at or past `total`, the length of the list the run executes."""
    warnings = []
    for i, step in enumerate(steps):
        if not isinstance(step, ControlStep):
            continue
        for name, target in step.targets().items():
            if isinstance(target, int) and target >= total:
                warnings.append(
                    f"{prefix}[{i}].{name}: {target} is past the last step (index {total - 1}); "
                    "the run falls through to the next step"
                )
    return warnings

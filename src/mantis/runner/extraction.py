"""Extraction steps: schema precedence, the no-schema diagnostic, and rows judged by the contract."""

from __future__ import annotations

import logging

from mantis.brains.base import Brain
from mantis.planes.base import Session
from mantis.plans.models import ExtractField, ExtractSpec, Step
from mantis.runner.context import RunContext, StepFailure
from mantis.runner.rows import judge, write_artifacts

log = logging.getLogger("mantis.runner")

NO_SCHEMA_WARNING = (
    "[claude_step] {step_type} step has no extraction schema\n"
    "  (no `extract` block on the step, no recipe-bound `extractor.schema`).\n"
    "  The validator will reject every extracted row with `no_schema_configured`.\n"
    "  Either add an inline `extract` block to this step\n"
    "  (see docs/client/plans.md#inline-extraction-schema) or configure a recipe\n"
    "  at executor startup."
)

_URL_SPEC = ExtractSpec(schema_name="urls", entity_name="link", fields=[ExtractField(name="url")])


async def extract(
    step: Step, index: int, ctx: RunContext, session: Session, brain: Brain, fallback: ExtractSpec | None
) -> str:
    """Runs an extraction step; the inline block wins over the task's or recipe's schema."""
    spec = step.extract or fallback
    if spec is None:
        warning = NO_SCHEMA_WARNING.format(step_type=step.type)
        log.warning("%s", warning)
        ctx.emit("extract.no_schema", warning, level="warning", step_index=index)
    observation = await session.observe(html=True)
    if spec is None:
        rows = [judge({"url": observation.url, "title": observation.title}, None)]
    else:
        found = await brain.extract(spec, observation, step.intent)
        rows = [judge(values, spec) for values in found[: spec.max_items or 1]]
    for row in rows:
        row.source = {"url": observation.url, "step_index": index}
    ctx.rows.extend(rows)
    write_artifacts(ctx.run_dir, ctx.rows)
    viable = sum(row.viable for row in rows)
    ctx.emit(
        "extract.rows",
        f"{len(rows)} rows ({viable} viable) from {observation.url}",
        step_index=index,
        schema_name=spec.schema_name if spec else None,
        rows=len(rows),
        viable=viable,
    )
    return f"{len(rows)} rows, {viable} viable"


async def collect_urls(step: Step, index: int, ctx: RunContext, session: Session, brain: Brain) -> str:
    """Puts the links of a list page's items into a list variable, for a navigate `url_from` loop."""
    var = str(step.params["var"])
    limit = int(step.params.get("max", step.params.get("max_items", 0)) or 0)
    spec = _URL_SPEC.model_copy(update={"max_items": limit or 1000})
    observation = await session.observe(html=True)
    found = await brain.extract(spec, observation, step.intent)
    urls = list(dict.fromkeys(str(v["url"]) for v in found if v.get("url")))
    if limit:
        urls = urls[:limit]
    if not urls:
        raise StepFailure(f"no item links found on {observation.url}")
    ctx.state_vars[var] = urls
    ctx.state_vars[f"{var}_exhausted"] = False
    return f"{len(urls)} URLs into {var}"

"""Extraction steps: schema precedence, the no-schema diagnostic, and rows judged by the contract."""

from __future__ import annotations

import logging
from typing import Any

from mantis.brains.base import Rows
from mantis.planes.base import Observation, Reading
from mantis.plans.extract import ExtractField, ExtractSpec
from mantis.recipes.schema import ExtractionSchema
from mantis.replay import extraction as learned
from mantis.runner.context import Deps, RunContext, StepFailure
from mantis.runner.marks import record_boxes, record_values
from mantis.runner.rows import Row, is_empty, judge, reject, write_artifacts
from mantis.steps.extraction import CollectUrls, Extracting

log = logging.getLogger("mantis.runner")

NO_SCHEMA_WARNING = (
    "[claude_step] {step_type} step has no extraction schema\n"
    "  (no `extract` block on the step, no recipe-bound `extractor.schema`).\n"
    "  The validator will reject every extracted row with `no_schema_configured`.\n"
    "  Either add an inline `extract` block to this step\n"
    "  (see docs/client/plans.md#inline-extraction-schema) or configure a recipe\n"
    "  at executor startup."
)

URL_WORDS = frozenset({"url", "link", "href", "permalink"})

_URL_SPEC = ExtractSpec(
    schema_name="urls",
    entity_name="link",
    max_items=1000,
    fields=[ExtractField(name="url"), ExtractField(name="title", required=False)],
)


# The share of an extraction step's timeout that reading the page may take where reading costs (OCR of the
# whole page on the computer plane: planes/pageread.py); the rest is for extracting and marking the rows.
PAGE_READ_SHARE = 0.5


async def extract(
    step: Extracting,
    index: int,
    ctx: RunContext,
    deps: Deps,
    task_extract: ExtractSpec | None,
    timeout_s: float = 0.0,
) -> str:
    """Runs an extraction step; the inline block wins over the task's, which wins over the recipe's."""
    recipe = deps.recipe
    spec = step.extract or task_extract or (recipe.spec if recipe else None)
    if spec is None:
        warning = NO_SCHEMA_WARNING.format(step_type=step.type)
        log.warning("%s", warning)
        ctx.emit("extract.no_schema", warning, level="warning", step_index=index)
    reading: Reading = "page" if spec is not None else "none"
    observation = await deps.session.observe(html=True, read=reading, within_s=PAGE_READ_SHARE * timeout_s)
    shown: int | None = None
    if spec is None:
        rows = [judge({"url": observation.url, "title": observation.title}, None)]
    else:
        found = await _extracted(spec, observation, step.intent, index, ctx, deps)
        shown = found.shown if isinstance(found, Rows) else None
        if spec.max_items is None:
            found = [_own_url(values, spec, observation.url) for values in found[:1]]
        rows = [judge(values, spec) for values in found[: spec.max_items or 1]]
        if recipe is not None:
            rows = [_apply_recipe(row, recipe) for row in rows]
    for row in rows:
        row.source = {"url": observation.url, "step_index": index}
    ctx.marks.record_count = len(rows)
    ctx.marks.records = await record_boxes(
        deps.session, observation.elements, [record_values(row.values) for row in rows]
    )
    ctx.rows.extend(rows)
    write_artifacts(ctx.run_dir, ctx.rows)
    viable = sum(row.viable for row in rows)
    of_shown = f" of {shown} records shown" if shown is not None and shown != len(rows) else ""
    ctx.emit(
        "extract.rows",
        f"{len(rows)} rows ({viable} viable){of_shown} from {observation.url}",
        step_index=index,
        schema_name=spec.schema_name if spec else None,
        rows=len(rows),
        viable=viable,
        shown=shown,
    )
    if spec is not None:
        _warn(ctx, index, spec, rows, viable, shown)
    return f"{len(rows)} rows, {viable} viable{of_shown}"


async def _extracted(
    spec: ExtractSpec, observation: Observation, intent: str, index: int, ctx: RunContext, deps: Deps
) -> list[dict[str, Any]]:
    """The step's rows: its learned program's when the page fits it, else the brain's (which teach it);
    the trace marks which."""
    got = await learned.extract(ctx.replay, ctx.replay.path(index), spec, observation, intent, deps.brain)
    ctx.marks.replay = ctx.replay.outcome(got.replayed, got.had_record)
    return got.rows


# A list returned with fewer rows than this share of what the page showed (and than max_items allowed)
# is "far fewer": a third lost is more than a stray banner or a last half-loaded card explains.
_FAR_FEWER = 2 / 3


def _warn(ctx: RunContext, index: int, spec: ExtractSpec, rows: list[Row], viable: int,
          shown: int | None) -> None:
    """Rows that are there but unusable, or far fewer than the page showed, are said, never passed off."""
    found: list[str] = []
    if rows and not viable:
        reasons = sorted({row.rejection or "" for row in rows} - {""})
        found.append(f"step {index} extracted {len(rows)} rows and none is viable ({', '.join(reasons)})")
    wanted = min(shown, spec.max_items) if shown is not None and spec.max_items else None
    if wanted is not None and len(rows) < _FAR_FEWER * wanted:
        found.append(f"step {index} returned {len(rows)} rows of the {shown} records the page showed")
    for warning in found:
        ctx.warnings.append(warning)
        ctx.emit("extract.warning", warning, level="warning", step_index=index)


def _own_url(values: dict[str, Any], spec: ExtractSpec, url: str) -> dict[str, Any]:
    """On a detail page the record's URL is the page's own: a URL field nothing filled takes it."""
    for field in spec.fields:
        words = set(field.name.casefold().replace("-", "_").split("_"))
        if field.type == "str" and words & URL_WORDS and is_empty(values.get(field.name)):
            values = {**values, field.name: url}
    return values


def _apply_recipe(row: Row, recipe: ExtractionSchema) -> Row:
    reason = recipe.row_rejection(row.values) if row.viable else None
    return reject(row, reason) if reason else row


async def collect_urls(step: CollectUrls, index: int, ctx: RunContext, deps: Deps) -> str:
    """Puts the links of a list page's items into a list variable; a recipe's excluded cards stay out."""
    var, limit = step.var, step.params.max
    observation = await deps.session.observe(html=True)
    found = await _extracted(_URL_SPEC, observation, step.intent, index, ctx, deps)
    excluded = [v for v in found if deps.recipe and deps.recipe.card_excluded(" ".join(map(str, v.values())))]
    if excluded:
        ctx.emit(
            "collect.excluded",
            f"{len(excluded)} cards excluded by the recipe",
            urls=[v["url"] for v in excluded],
        )
    here = observation.url.split("#", 1)[0]
    urls = list(dict.fromkeys(
        str(v["url"]) for v in found
        if v.get("url") and v not in excluded and str(v["url"]).split("#", 1)[0] != here
    ))
    if limit:
        urls = urls[:limit]
    if not urls:
        raise StepFailure(f"no item links found on {observation.url}")
    ctx.state_vars[var] = urls
    ctx.state_vars[f"{var}_exhausted"] = False
    return f"{len(urls)} URLs into {var}"

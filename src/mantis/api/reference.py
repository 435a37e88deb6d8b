"""docs/reference/http-api.md, rendered from the server's own OpenAPI document so it cannot drift from it.

`python -m mantis.api.reference > docs/reference/http-api.md`; a test fails when the committed file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from mantis.api.app import create_app
from mantis.config import Settings

METHODS = ("get", "post", "put", "patch", "delete")

UNAUTHENTICATED = """\
Without a token: `GET /healthz` (200 once the server serves), `GET /readyz` (also checks the run store;
`503 unavailable` when it is down), `GET /metrics` (Prometheus text) and `GET /openapi.json` (this document's
source).
"""

ACTIONS = """\
## Action answers

`POST /v1/predict` with an `ActionRequest` answers with the body of that action: `status`, `result`, `logs`,
`cancel`, `recording`, `list`, `profiles`, `delete_profile`, `replays` or `clear_replays`. Their fields, and
the queued handle a submission answers with, are described in
[runs and polling](../client/runs-and-polling.md#actions); what each error code means and whether to retry
it, in [errors](../client/errors.md); the plan formats a submission carries, in
[sending plans](../client/plans.md) and [plan steps](steps.md).
"""


def openapi_document() -> dict[str, Any]:
    """The document `/openapi.json` serves; building it touches no database."""
    app = create_app(Settings(home=Path("."), plans_dir=Path("."), database_url="sqlite://"))
    assert isinstance(app, FastAPI)
    return app.openapi()


def type_of(schema: dict[str, Any]) -> str:
    """A JSON Schema as a short type expression: `string | null`, `array of object`, `Submission`."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema or "oneOf" in schema:
        return " \\| ".join(type_of(option) for option in schema.get("anyOf") or schema["oneOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = str(schema.get("type", "any"))
    if kind == "array" and "items" in schema:
        return f"array of {type_of(schema['items'])}"
    return kind


def limits_of(schema: dict[str, Any]) -> str:
    """The constraints of a field, e.g. `≥ 0`, `1–200 chars`."""
    notes = []
    for option in [schema, *schema.get("anyOf", [])]:
        if "minLength" in option:
            notes.append(f"{option['minLength']}–{option.get('maxLength', '∞')} chars")
        elif "maxLength" in option:
            notes.append(f"≤ {option['maxLength']} chars")
        for key, sign in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
        ):
            if key in option:
                notes.append(f"{sign} {option[key]}")
    return ", ".join(notes)


def default_of(name: str, schema: dict[str, Any], required: set[str]) -> str:
    if name in required:
        return "required"
    if "default" not in schema:
        return "-"
    default = schema["default"]
    return (
        "none" if default is None else f"`{str(default).lower() if isinstance(default, bool) else default}`"
    )


def render_operation(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", "", f"{operation.get('summary', '')}.", ""]
    if operation.get("description"):
        lines += [operation["description"], ""]
    if operation.get("security"):
        lines += ["Auth: `X-Mantis-Token`, and `Authorization: Api-Key …` where the server asks for it.", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type |", "| --- | --- | --- |"]
        lines += [f"| `{p['name']}` | {p['in']} | {type_of(p['schema'])} |" for p in parameters]
        lines.append("")
    body = operation.get("requestBody")
    if body:
        schema = body["content"]["application/json"]["schema"]
        options = schema.get("oneOf", [schema])
        lines += ["Body (JSON): " + " or ".join(type_of(option) for option in options) + ".", ""]
    lines += ["| status | answer |", "| --- | --- |"]
    for status, response in operation["responses"].items():
        content = ", ".join(f"`{media}`" for media in response.get("content", {}))
        lines.append(f"| {status} | {response['description']}{f' ({content})' if content else ''} |")
    return [*lines, ""]


def render_schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [schema["description"], ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | default | limits | meaning |", "| --- | --- | --- | --- | --- |"]
    for field, spec in schema.get("properties", {}).items():
        lines.append(
            f"| `{field}` | {type_of(spec)} | {default_of(field, spec, required)} | {limits_of(spec)} "
            f"| {spec.get('description', '')} |"
        )
    return [*lines, ""]


def render(document: dict[str, Any] | None = None) -> str:
    document = document or openapi_document()
    info = document["info"]
    lines = [
        "# Reference: HTTP API",
        "",
        f"{info['title']} {info['version']}: {info['summary']}",
        "",
        "Generated from the server's `/openapi.json` "
        "(`python -m mantis.api.reference > docs/reference/http-api.md`). The contract in prose, errors and "
        "all, is the client guide's; every error answer is an [ErrorBody](#errorbody).",
        "",
        UNAUTHENTICATED,
        "## Operations",
        "",
    ]
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                lines += render_operation(path, method, operations[method])
    lines += ["## Bodies", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += render_schema(name, schema)
    lines.append(ACTIONS)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())

"""The OpenAPI document: what FastAPI derives from the routes, plus what it cannot see.

`POST /v1/predict` reads its body by hand (so bad JSON and huge bodies get the contract's codes), so its
body schema, a oneOf of a submission and an action, is declared here; so are the two auth headers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from mantis.api.errors import CODES
from mantis.api.schemas import ActionRequest, ErrorBody, Submission, ValidateRequest

REQUEST_MODELS: tuple[type[BaseModel], ...] = (Submission, ActionRequest, ValidateRequest)

SECURITY_SCHEMES = {
    "MantisToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Mantis-Token",
        "description": "The tenant's token, on every `/v1` call.",
    },
    "PlatformKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Api-Key <key>`: required when the operator sets `MANTIS_PLATFORM_API_KEY`.",
    },
}
# The token, with the platform key where the server asks for one.
SECURITY: list[dict[str, list[str]]] = [{"MantisToken": [], "PlatformKey": []}, {"MantisToken": []}]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


PREDICT_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"oneOf": [ref(model.__name__) for model in REQUEST_MODELS]}}},
}


# What any `/v1` call may answer: its auth, its rate, and a store that is down.
CALL_ERRORS = ("unauthorized", "platform_key_required", "rate_limited", "unavailable")


def error_responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, by status, each naming the codes the route gives."""
    given = set(codes) | set(CALL_ERRORS)
    return {
        status: {
            "model": ErrorBody,
            "description": "Codes: " + ", ".join(f"`{code}`" for code in known if code in given),
        }
        for status, known in CODES.items()
        if given.intersection(known)
    }


def install(api: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = get_openapi(
                title=api.title,
                version=api.version,
                summary=api.summary,
                description=api.description,
                routes=api.routes,
            )
            components = schema.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            for model in REQUEST_MODELS:
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(body.pop("$defs", {}))
                schemas[model.__name__] = body
            components["securitySchemes"] = SECURITY_SCHEMES
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    # a request that fails validation gets 400 invalid_request here, never FastAPI's 422
                    operation["responses"].pop("422", None)
                    if path.startswith("/v1/"):
                        operation.setdefault("security", SECURITY)  # a public route sets it empty
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]

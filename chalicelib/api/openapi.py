"""The API as an OpenAPI 3.1 document, read from the routes themselves (served at /openapi.json).

Nothing here is written by hand per route, so the document cannot drift from the code:
- paths, methods and path parameters come from the app's route table;
- who may call a route comes from its `@staff` / `@public_route` declaration;
- request bodies are the pydantic models the view validates with `parse_body`, query parameters the
  names it reads with `query_param` / `date_param`;
- answers are what the view's source returns: JSON, HTML pages, PDFs, CSV or redirects, with the
  status codes it names, and every refusal as an RFC 9457 problem (`4XX`).
The fuzz run (`scripts/fuzz`) holds the running stack to this document.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

from pydantic.json_schema import models_json_schema

from ..web.auth import API_KEY_HEADER, SCOPES, access_of
from ..web.http import MAX_PATH_PARAMETER, MAX_QUERY_VALUE
from . import schemas

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "required": ["field", "code", "message"]}},
    },
}
_MEDIA = {  # what a view's source says it answers with -> media type
    "json_response": "application/json",
    "application/pdf": "application/pdf",
    "text/csv": "text/csv",
    "text/html": "text/html",
    ".html(": "text/html",
    "text/calendar": "text/calendar",
    "application/javascript": "application/javascript",
}
_STATUS = re.compile(r"(?:json_response\([^\n]*?,\s*|status_code=|status=)(\d{3})\b")


def document(app: Any, version: str = "1") -> dict[str, Any]:
    """The OpenAPI document of every route of `app`."""
    return _document(app, version)


@functools.lru_cache(maxsize=4)
def _document(app: Any, version: str) -> dict[str, Any]:
    models: dict[str, type] = {}
    paths: dict[str, dict[str, Any]] = {}
    for path, entries in sorted(app.routes.items()):
        for method, entry in sorted(entries.items()):
            operation, model = _operation(path, method, entry)
            if model is not None:
                models[model.__name__] = model
            paths.setdefault(path, {})[method.lower()] = operation
    _, definitions = models_json_schema(
        [(model, "validation") for model in models.values()], ref_template="#/components/schemas/{model}"
    )
    components = dict(definitions.get("$defs", {}))
    components["Problem"] = PROBLEM
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Podium",
            "version": version,
            "description": "Ticketing for a cluster of performing-arts houses: the buyers' public API, "
            "the staff API, the hosted pages and the payment webhook. Refusals are RFC 9457 "
            "problem details in the caller's language (Accept-Language: nl, fr, en).",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "staffToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A staff member's token (the stage's issuer or its Cognito user pool).",
                },
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": "A house's API key; scopes: "
                    + "; ".join(f"{name} ({meaning})" for name, meaning in SCOPES.items()),
                },
            },
        },
    }


def _operation(path: str, method: str, entry: Any) -> tuple[dict[str, Any], type | None]:
    view = entry.view_function
    source = _source(view)
    calls = _calls(source)
    access = access_of(view)
    area = view.__module__.rsplit(".", 1)[-1]
    if view.__module__.startswith("chalicelib.pages."):  # a page family may share its name with an API area
        area = f"pages_{area}"
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{area}_{entry.view_name}",
        "tags": [area],
        "summary": (inspect.getdoc(inspect.unwrap(view)) or entry.view_name).split("\n")[0][:200],
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAMETER},
            }
            for name in re.findall(r"{(\w+)}", path)
        ],
    }
    for name in calls.get("query_param", []) + calls.get("date_param", []):
        schema: dict[str, Any] = {"type": "string", "maxLength": MAX_QUERY_VALUE}
        if name in calls.get("date_param", []):
            schema["description"] = "ISO 8601 date or date-time; without an offset it is Brussels time."
        operation["parameters"].append({"name": name, "in": "query", "required": False, "schema": schema})
    if "buyer_session(" in source:  # the buyer's session (POST /sessions makes one)
        operation["parameters"].append(
            {
                "name": "X-Podium-Session",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"},
            }
        )
    if "opened_subscription(" in source:  # a subscription's secret: in a header, never in its URL
        operation["parameters"].append(
            {
                "name": "X-Podium-Subscription-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 100},
            }
        )
    if access is not None and not access.public:
        operation["security"] = [{"staffToken": []}] + ([{"apiKey": []}] if access.scope else [])
        operation["x-roles"] = [role.value for role in access.roles]
        if access.scope:
            operation["x-scope"] = access.scope
    elif access is not None:
        operation["security"] = []
    model = _body_model(calls, view)
    if model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                content_type: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
                for content_type in entry.content_types
            },
        }
    elif method in ("POST", "PUT", "PATCH") and "application/x-www-form-urlencoded" in entry.content_types:
        operation["requestBody"] = {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            }
        }
    # A hosted page answers with HTML unless its source says otherwise (a PDF, a redirect).
    operation["responses"] = _responses(
        source,
        getattr(view, "answers", None)
        or (["text/html"] if view.__module__.startswith("chalicelib.pages") else ["application/json"]),
    )
    return operation, model


def _responses(source: str, default_media: list[str]) -> dict[str, Any]:
    media = sorted({media for marker, media in _MEDIA.items() if marker in source}) or default_media
    statuses = sorted({status for status in _STATUS.findall(source) if status.startswith("2")}) or ["200"]
    content = {
        kind: {"schema": {"type": ["object", "array"]} if kind == "application/json" else {"type": "string"}}
        for kind in media
    }
    responses: dict[str, Any] = {status: {"description": "Done.", "content": content} for status in statuses}
    if ".redirect(" in source:
        responses["303"] = {
            "description": "On to the next page.",
            "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
        }
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    refusal: dict[str, Any] = {
        "description": "Refused: a problem in the caller's language; nothing changed.",
        "content": {"application/problem+json": problem},
    }
    if "text/html" in media:  # a page answers a browser's refusal with a page
        refusal["content"]["text/html"] = {"schema": {"type": "string"}}
    responses["4XX"] = refusal
    return responses


def _source(view: Callable) -> str:
    try:
        return textwrap.dedent(inspect.getsource(inspect.unwrap(view)))
    except (OSError, TypeError):
        return ""


def _calls(source: str) -> dict[str, list[Any]]:
    """The calls that shape a request: parse_body's model and the query parameters the view reads."""
    found: dict[str, list[Any]] = {}
    if not source:
        return found
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        argument = node.args[-1]
        if name == "parse_body":
            model = argument.attr if isinstance(argument, ast.Attribute) else getattr(argument, "id", "")
            found.setdefault(name, []).append(model)
        elif name.endswith("_param") and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            # query_param(request, "house"), date_param(request, "from") or a view's own wrapper of them
            found.setdefault("date_param" if "date" in name else "query_param", []).append(argument.value)
    return found


def _body_model(calls: dict[str, list[Any]], view: Callable) -> type | None:
    """The model the view parses its body with: one of `schemas`, or one its own module defines."""
    names = calls.get("parse_body", [])
    if not names:
        return None
    return getattr(schemas, names[0], None) or getattr(inspect.unwrap(view), "__globals__", {}).get(names[0])

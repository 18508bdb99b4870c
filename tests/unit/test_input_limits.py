"""Every field a request body may carry is bounded: strings in length, lists and maps in size,
numbers in range. The walk is over the JSON schema of every request model, so a new model or
field that forgets its limit fails here."""

from __future__ import annotations

import re

import pytest

import app  # noqa: F401  (every blueprint imported: every request model defined)
from chalicelib.api.schemas import Body

# Where a value is deliberately open, and what bounds it instead.
EXEMPT = {
    # A seat map's inside is checked by `parse_seatmap` (its own limits on sections, rows, seats and
    # texts), and the body as a whole by MAX_BODY_BYTES.
    ("VenueBody", "seatmap.*"),
}
UNBOUNDED_QUANTIFIER = re.compile(r"(?<!\\)[+*]|\{\d+,\}")


def request_models() -> list[type[Body]]:
    found, todo = [], list(Body.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return sorted(found, key=lambda model: model.__name__)


def bounded_pattern(pattern: str) -> bool:
    return pattern.startswith("^") and pattern.endswith("$") and not UNBOUNDED_QUANTIFIER.search(pattern)


def problems_in(schema: dict, definitions: dict, path: str, model: str) -> list[str]:
    if (model, path) in EXEMPT:
        return []
    if "$ref" in schema:
        return problems_in(definitions[schema["$ref"].split("/")[-1]], definitions, path, model)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return [
                problem for option in schema[combinator] for problem in problems_in(option, definitions, path, model)
            ]
    if "enum" in schema or "const" in schema:
        return []
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date-time" or "maxLength" in schema:
            return []
        if "pattern" in schema and bounded_pattern(schema["pattern"]):
            return []
        return [f"{model}.{path}: a string without maxLength"]
    if kind == "integer" or kind == "number":
        return (
            []
            if ("maximum" in schema or "exclusiveMaximum" in schema)
            and ("minimum" in schema or "exclusiveMinimum" in schema)
            else [f"{model}.{path}: a number without bounds"]
        )
    if kind == "array":
        found = [] if "maxItems" in schema else [f"{model}.{path}: a list without maxItems"]
        return found + problems_in(schema.get("items", {}), definitions, f"{path}[]", model)
    if kind == "object":
        found = []
        for name, field in schema.get("properties", {}).items():
            found += problems_in(field, definitions, f"{path}.{name}" if path else name, model)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                found.append(f"{model}.{path}: a map without maxProperties")
            # JSON keys are strings; a map's keys must be bounded like any string.
            names = {"type": "string", **schema.get("propertyNames", {})}
            found += problems_in(names, definitions, f"{path}.<key>", model)
            found += problems_in(extra, definitions, f"{path}.*", model)
        return found
    if kind in ("boolean", "null"):
        return []
    return [f"{model}.{path}: open value ({schema or 'any'})"]


def test_every_field_of_every_request_body_is_bounded():
    models = request_models()
    assert len(models) >= 20, [model.__name__ for model in models]
    problems = []
    for model in models:
        schema = model.model_json_schema()
        problems += problems_in(schema, schema.get("$defs", {}), "", model.__name__)
    assert problems == []


@pytest.mark.parametrize(
    "schema, expected",
    [
        ({"type": "string"}, 1),
        ({"type": "string", "pattern": "^[a-z]+$"}, 1),
        ({"type": "string", "pattern": "^[a-z]{1,9}$"}, 0),
        ({"type": "integer", "minimum": 0}, 1),
        ({"type": "array", "items": {"type": "string", "maxLength": 3}}, 1),
        ({"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1}}, 2),
        ({"type": "object", "maxProperties": 2, "additionalProperties": {"type": "string"}}, 2),
        ({}, 1),
        (
            {
                "type": "object",
                "maxProperties": 2,
                "propertyNames": {"maxLength": 9},
                "additionalProperties": {"type": "boolean"},
            },
            0,
        ),
    ],
)
def test_the_walk_finds_an_unbounded_field(schema, expected):
    assert len(problems_in(schema, {}, "field", "Model")) == expected

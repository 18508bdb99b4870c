"""What API Gateway answers itself is problem JSON too: the template's gateway responses, and an ANY method on
every path so that a known path asked with another method reaches the app (405) instead of looking unknown."""
from __future__ import annotations

import json

import pytest

from app import app
from scripts.embedded.resources import load_template


@pytest.fixture(scope="module")
def resources() -> dict:
    return load_template()["Resources"]


def gateway_responses(resources: dict) -> dict[str, dict]:
    return {r["Properties"]["ResponseType"]: r["Properties"] for r in resources.values()
            if r.get("Type") == "AWS::ApiGateway::GatewayResponse"}


def test_every_answer_of_api_gateway_itself_is_a_problem(resources):
    answers = gateway_responses(resources)
    assert {"MISSING_AUTHENTICATION_TOKEN", "INCOMPLETE_SIGNATURE", "THROTTLED", "DEFAULT_4XX",
            "DEFAULT_5XX"} <= set(answers)
    for response_type, properties in answers.items():
        assert properties["RestApiId"] == {"Ref": "RestAPI"}
        headers = properties["ResponseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'", response_type
        # Only simple $context substitution happens (no VTL): with a sample message the body is valid JSON.
        body = json.loads(properties["ResponseTemplates"]["application/json"]
                          .replace("$context.error.messageString", '"a message"'))
        assert body["type"] == "urn:podium:problem:" + body["code"] and body["title"] and body["detail"]
        assert body.get("status", 0) == int(properties.get("StatusCode", 0)), response_type
    assert answers["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert json.loads(answers["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])["code"] \
        == "not_found"
    # the fall-backs keep each refusal's own status (413, 415, 502 …)
    assert "StatusCode" not in answers["DEFAULT_4XX"] and "StatusCode" not in answers["DEFAULT_5XX"]


def test_every_route_has_an_any_method_into_the_app_so_a_wrong_method_is_405(resources):
    paths = resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert set(paths) == set(app.routes), "run .venv/bin/python -m scripts.cluster_template after adding a route"
    for path, methods in paths.items():
        integration = methods["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy" and "${APIHandler.Arn}" in integration["uri"]["Fn::Sub"]
        declared = {p["name"] for p in methods["x-amazon-apigateway-any-method"].get("parameters", [])}
        assert declared == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path

"""What API Gateway answers itself is problem JSON too: the template's gateway responses, and an ANY method on
every path of the packaged API so that a known path asked with another method reaches the app (405) instead of
looking unknown."""

from __future__ import annotations

import json

import pytest

from scripts.embedded.resources import load_template


@pytest.fixture(scope="module")
def resources() -> dict:
    return load_template()["Resources"]


def gateway_responses(resources: dict) -> dict[str, dict]:
    # In the API's definition: SAM re-imports it whole, dropping AWS::ApiGateway::GatewayResponse resources.
    assert not [r for r in resources.values() if r.get("Type") == "AWS::ApiGateway::GatewayResponse"]
    return resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]


def test_every_answer_of_api_gateway_itself_is_a_problem(resources):
    answers = gateway_responses(resources)
    assert {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(answers)
    # only types API Gateway has (an unknown one fails the deployment)
    assert set(answers) <= {
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "RESOURCE_NOT_FOUND",
        "UNAUTHORIZED",
        "INVALID_API_KEY",
        "ACCESS_DENIED",
        "AUTHORIZER_FAILURE",
        "AUTHORIZER_CONFIGURATION_ERROR",
        "INVALID_SIGNATURE",
        "EXPIRED_TOKEN",
        "MISSING_AUTHENTICATION_TOKEN",
        "INTEGRATION_FAILURE",
        "INTEGRATION_TIMEOUT",
        "API_CONFIGURATION_ERROR",
        "UNSUPPORTED_MEDIA_TYPE",
        "BAD_REQUEST_PARAMETERS",
        "BAD_REQUEST_BODY",
        "REQUEST_TOO_LARGE",
        "THROTTLED",
        "QUOTA_EXCEEDED",
        "WAF_FILTERED",
    }
    # a 4xx never echoes API Gateway's message: it can quote the request's Authorization header
    assert "$context.error.messageString" not in answers["DEFAULT_4XX"]["responseTemplates"]["application/json"]
    for response_type, answer in answers.items():
        headers = answer["responseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'", response_type
        # Only simple $context substitution happens (no VTL): with a sample message the body is valid JSON.
        body = json.loads(
            answer["responseTemplates"]["application/json"].replace("$context.error.messageString", '"a message"')
        )
        assert body["type"] == "urn:podium:problem:" + body["code"] and body["title"] and body["detail"]
        assert body.get("status", 0) == int(answer.get("statusCode", 0)), response_type
    assert answers["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert (
        json.loads(answers["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"])["code"]
        == "not_found"
    )
    # the fall-backs keep each refusal's own status (413, 415, 502 …)
    assert "statusCode" not in answers["DEFAULT_4XX"] and "statusCode" not in answers["DEFAULT_5XX"]


def test_packaging_gives_every_path_an_any_method_into_its_function_so_a_wrong_method_is_405():
    from scripts.package import answer_every_method

    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": {"Fn::Sub": "…${APIHandler.Arn}/invocations"}}
    parameter = {"name": "cart_id", "in": "path", "required": True, "type": "string"}
    paths = {
        "/agenda": {"get": {"x-amazon-apigateway-integration": integration}},  # chalice's shape
        "/carts/{cart_id}": {
            "get": {"parameters": [parameter], "x-amazon-apigateway-integration": integration},
            "delete": {"parameters": [parameter], "x-amazon-apigateway-integration": integration},
        },
    }
    template = {"Resources": {"RestAPI": {"Properties": {"DefinitionBody": {"paths": paths}}}}}
    answer_every_method(template)
    for path, methods in paths.items():
        any_method = methods["x-amazon-apigateway-any-method"]
        assert any_method["x-amazon-apigateway-integration"] == integration, path
        assert "get" in methods  # declared methods stay (API Gateway prefers them over ANY)
    assert paths["/carts/{cart_id}"]["x-amazon-apigateway-any-method"]["parameters"] == [parameter]
    assert "parameters" not in paths["/agenda"]["x-amazon-apigateway-any-method"]

"""A cluster stage reaches only its own resources: every IAM policy of the stage template names
resources of the same stack (`Ref`, `Fn::GetAtt`, or a `Fn::Sub` built on `${AWS::StackName}` or on
one of the stack's resources), never a literal ARN (another stage's, or anyone's) and never `*` on a
data service. Names are left to CloudFormation or built on the stack's name, so two stages in one
account never share a table, queue, topic, secret, state machine or user pool.

Every policy is in `infra/template.json` (chalice manages no role: `tests/integration/test_package.py`
checks the packaged functions have no policies of their own), so the file is read as it is merged."""

from __future__ import annotations

import json
import re

import pytest

from scripts.embedded.resources import load_template

DATA_SERVICES = (
    "dynamodb:",
    "sqs:",
    "sns:",
    "secretsmanager:",
    "states:",
    "ses:",
    "s3:",
    "kms:",
    "lambda:",
    "cognito-idp:",
    "events:",
    "logs:",
)
# Services without resource-level permissions for these actions (AWS documents `*` as their only resource).
RESOURCELESS_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData"}
# SES sending identities belong to the account (a verified domain), not to a stage: documented exception.
ACCOUNT_WIDE = {"ses:SendRawEmail", "ses:SendEmail"}
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Cognito::UserPool": "UserPoolName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::Serverless::Function": "FunctionName",
}


@pytest.fixture(scope="module")
def template():
    return load_template()


def policy_statements(template: dict):
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [
            p["PolicyDocument"] for p in properties.get("Policies", []) if isinstance(p, dict) and "PolicyDocument" in p
        ]
        if resource.get("Type") in (
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
        ):
            documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                yield name, statement
        # SAM policy templates (a state machine's LambdaInvokePolicy …): the resource is their parameter.
        for policy in (
            properties.get("Policies", []) if resource.get("Type", "").startswith("AWS::Serverless::") else []
        ):
            if isinstance(policy, str):
                yield name, {"Action": [f"managed:{policy}"], "Resource": policy}
            elif "PolicyDocument" not in policy:
                for template_name, parameters in policy.items():
                    for value in parameters.values():
                        yield name, {"Action": [f"sam:{template_name}"], "Resource": value}


def listed(value) -> list:
    return value if isinstance(value, list) else [value]


def own_resource(value, resources: set[str]) -> bool:
    """Whether a policy's Resource can only be one of this stack's resources."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return value["Ref"] in resources
        if set(value) == {"Fn::GetAtt"}:
            return value["Fn::GetAtt"][0] in resources
        if set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            if re.search(r"arn:aws[a-z-]*:", text):
                return False  # a literal partition: written for one account, not built for this stack
            names = set(re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", text))
            return "${AWS::StackName}" in text or bool(names & resources)
    return False


def test_every_policy_names_only_this_stage_s_own_resources(template):
    resources = set(template["Resources"])
    checked = 0
    for name, statement in policy_statements(template):
        actions = listed(statement.get("Action", []))
        for resource in listed(statement.get("Resource", [])):
            context = f"{name}: {actions} on {resource}"
            if resource == "*":
                assert set(actions) <= RESOURCELESS_ACTIONS, context
                continue
            if set(actions) <= ACCOUNT_WIDE:
                assert isinstance(resource, dict) and ":identity/" in json.dumps(resource), context
                continue
            assert own_resource(resource, resources), context
            assert not any(a == "*" or a.endswith(":*") for a in actions), context
            checked += 1
    assert checked >= 20


def test_no_resource_has_a_fixed_name_that_another_stage_would_share(template):
    for name, resource in template["Resources"].items():
        field = NAME_PROPERTIES.get(resource.get("Type"))
        value = resource.get("Properties", {}).get(field) if field else None
        if value is None:
            continue
        assert isinstance(value, dict) and "${AWS::StackName}" in json.dumps(value), (
            f"{name} has the fixed name {value!r}: two stages in one account would share it"
        )


def test_the_checks_catch_another_stage_s_resource():
    resources = {"MainTable"}
    assert own_resource({"Fn::GetAtt": ["MainTable", "Arn"]}, resources)
    assert own_resource({"Fn::Sub": "${MainTable.Arn}/index/*"}, resources)
    assert own_resource(
        {
            "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
            "${AWS::StackName}-Checkout"
        },
        resources,
    )
    assert not own_resource("arn:aws:dynamodb:eu-west-1:123456789012:table/podium-antwerpen-MainTable", resources)
    assert not own_resource(
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/podium-antwerpen-*"},
        resources,
    )
    assert not own_resource(
        {"Fn::Sub": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}"}, resources
    )
    assert not own_resource({"Ref": "OtherTable"}, resources)

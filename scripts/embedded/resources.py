"""Create a stage's AWS resources in moto from infra/template.json, the file CloudFormation merges.

Only what differs locally is decided here: physical names (`podium-{stage}-{LogicalId}`,
where CloudFormation would generate them) and secret values.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.json"
REGION = "eu-west-1"


def load_template() -> dict:
    return json.loads(TEMPLATE.read_text())


def physical_name(stage: str, logical_id: str) -> str:
    return f"podium-{stage}-{logical_id}"


def client(service: str, endpoint_url: str):
    return boto3.client(service, endpoint_url=endpoint_url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def create_resources(endpoint_url: str, stage: str, secret_values: dict[str, str]) -> dict[str, str]:
    """Create every resource of the template; returns what `Ref` gives for each logical id.

    `secret_values` maps a secret's logical id to its value; missing ones are generated and added.
    """
    refs: dict[str, str] = {}
    for logical_id, resource in load_template()["Resources"].items():
        kind, properties = resource.get("Type"), resource.get("Properties", {})
        name = physical_name(stage, logical_id)
        if kind == "AWS::DynamoDB::Table":
            refs[logical_id] = _table(endpoint_url, name, properties)
        elif kind == "AWS::SNS::Topic":
            refs[logical_id] = client("sns", endpoint_url).create_topic(Name=name)["TopicArn"]
        elif kind == "AWS::SQS::Queue":
            refs[logical_id] = client("sqs", endpoint_url).create_queue(QueueName=name)["QueueUrl"]
        elif kind == "AWS::SecretsManager::Secret":
            value = secret_values.setdefault(logical_id, secrets.token_urlsafe(48))
            refs[logical_id] = _secret(endpoint_url, name, value)
    return refs


def _table(endpoint_url: str, name: str, properties: dict[str, Any]) -> str:
    dynamodb = client("dynamodb", endpoint_url)
    arguments = {key: properties[key] for key in ("AttributeDefinitions", "KeySchema", "BillingMode",
                                                  "GlobalSecondaryIndexes") if key in properties}
    try:
        dynamodb.create_table(TableName=name, **arguments)
    except dynamodb.exceptions.ResourceInUseException:
        return name
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return name


def _secret(endpoint_url: str, name: str, value: str) -> str:
    manager = client("secretsmanager", endpoint_url)
    try:
        return manager.create_secret(Name=name, SecretString=value)["ARN"]
    except manager.exceptions.ResourceExistsException:
        return manager.describe_secret(SecretId=name)["ARN"]


def function_environment(refs: dict[str, str], function: str = "APIHandler") -> dict[str, str]:
    """The environment variables the template gives a function, with each `Ref` resolved."""
    resource = load_template()["Resources"].get(function, {})
    variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
    return {name: refs[value["Ref"]] if isinstance(value, dict) else str(value) for name, value in variables.items()}


def table_names(refs: dict[str, str]) -> list[str]:
    template = load_template()["Resources"]
    return [refs[logical] for logical, resource in template.items() if resource.get("Type") == "AWS::DynamoDB::Table"]

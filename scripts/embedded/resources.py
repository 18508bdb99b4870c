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
ACCOUNT = "123456789012"  # moto's default account
# Staff sign in through Cognito on AWS; locally `scripts/run` issues their tokens, so the user pool,
# its client and groups are not made, and the variables naming them stay unset (no Cognito path).
NOT_CREATED_LOCALLY = ("AWS::Cognito::",)


def load_template() -> dict:
    return json.loads(TEMPLATE.read_text())


def physical_name(stage: str, logical_id: str) -> str:
    return f"podium-{stage}-{logical_id}"


def client(service: str, endpoint_url: str):
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_resources(endpoint_url: str, stage: str, secret_values: dict[str, str]) -> dict[str, str]:
    """Create every resource of the template; returns what `Ref` gives for each logical id.

    `secret_values` maps a secret's logical id to its value; missing ones are generated and added.
    """
    refs: dict[str, str] = {}
    for logical_id, resource in creation_order(load_template()["Resources"]):
        kind, properties = resource.get("Type"), resource.get("Properties", {})
        name = physical_name(stage, logical_id)
        if kind == "AWS::DynamoDB::Table":
            refs[logical_id] = _table(endpoint_url, name, properties)
        elif kind == "AWS::SNS::Topic":
            refs[logical_id] = client("sns", endpoint_url).create_topic(Name=name)["TopicArn"]
        elif kind == "AWS::SQS::Queue":
            refs[logical_id], refs[f"{logical_id}.Arn"] = _queue(endpoint_url, name, resolve(properties, refs))
        elif kind == "AWS::SNS::Subscription":
            refs[logical_id] = _subscription(endpoint_url, resolve(properties, refs))
        elif kind == "AWS::SQS::QueuePolicy":
            _queue_policy(endpoint_url, resolve(properties, refs))
            refs[logical_id] = name
        elif kind == "AWS::SecretsManager::Secret":
            value = secret_values.setdefault(logical_id, generated_secret(properties))
            refs[logical_id] = _secret(endpoint_url, name, value)
        elif kind == "AWS::Serverless::StateMachine":
            # Created later (workflows.setup, once the functions exist); its ARN is known from its name.
            refs[logical_id] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    return refs


# Queues before what names them (a dead-letter queue before its source queue), then subscriptions and policies.
_CREATION_RANK = {
    "AWS::SQS::Queue": 1,
    "AWS::SNS::Subscription": 2,
    "AWS::SQS::QueuePolicy": 3,
    "AWS::Serverless::StateMachine": 4,
}


def creation_order(template_resources: dict[str, Any]) -> list[tuple[str, dict]]:
    """The template's resources in an order where each exists before a resource that refers to it."""

    def rank(entry: tuple[str, dict]) -> tuple[int, int]:
        resource = entry[1]
        kind = resource.get("Type")
        redrive = 1 if "RedrivePolicy" in resource.get("Properties", {}) else 0
        return _CREATION_RANK.get(kind, 0), redrive

    return sorted(template_resources.items(), key=rank)  # stable: the template's order within a rank


def resolve(value: Any, refs: dict[str, str]) -> Any:
    """`Ref` and `Fn::GetAtt [X, Arn]` replaced by what the local resources give, in any nesting."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return refs[value["Ref"]]
        if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "Arn":
            return refs[f"{value['Fn::GetAtt'][0]}.Arn"]
        return {key: resolve(item, refs) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    return value


def _queue(endpoint_url: str, name: str, properties: dict[str, Any]) -> tuple[str, str]:
    """An SQS queue with the template's attributes (redrive to its dead-letter queue included)."""
    sqs = client("sqs", endpoint_url)
    attributes = {
        key: json.dumps(value)
        if isinstance(value, dict)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in properties.items()
        if key in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy", "DelaySeconds")
    }
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _subscription(endpoint_url: str, properties: dict[str, Any]) -> str:
    """An SNS subscription (raw delivery, filter policy) as CloudFormation makes it."""
    attributes = {}
    if "RawMessageDelivery" in properties:
        attributes["RawMessageDelivery"] = str(properties["RawMessageDelivery"]).lower()
    if "FilterPolicy" in properties:
        attributes["FilterPolicy"] = json.dumps(properties["FilterPolicy"])
    return client("sns", endpoint_url).subscribe(
        TopicArn=properties["TopicArn"],
        Protocol=properties["Protocol"],
        Endpoint=properties["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]


def _queue_policy(endpoint_url: str, properties: dict[str, Any]) -> None:
    sqs = client("sqs", endpoint_url)
    for url in properties["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])})


def generated_secret(properties: dict[str, Any]) -> str:
    """A value as Secrets Manager's GenerateSecretString makes it (a JSON template plus a random key)."""
    generate = properties.get("GenerateSecretString", {})
    value = secrets.token_urlsafe(48)
    if "SecretStringTemplate" in generate:
        document = json.loads(generate["SecretStringTemplate"])
        document[generate["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def _table(endpoint_url: str, name: str, properties: dict[str, Any]) -> str:
    dynamodb = client("dynamodb", endpoint_url)
    arguments = {
        key: properties[key]
        for key in ("AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes")
        if key in properties
    }
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
    """The environment variables the template gives a function (Globals, then its own), each `Ref` resolved."""
    template = load_template()
    variables = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    resource = template["Resources"].get(function, {})
    variables.update(resource.get("Properties", {}).get("Environment", {}).get("Variables", {}))
    absent = {
        logical
        for logical, resource in template["Resources"].items()
        if str(resource.get("Type", "")).startswith(NOT_CREATED_LOCALLY)
    }
    return {
        name: refs[value["Ref"]] if isinstance(value, dict) else str(value)
        for name, value in variables.items()
        if not (isinstance(value, dict) and _names_any(value, absent))
    }


def _names_any(value: Any, logical_ids: set[str]) -> bool:
    """Whether a template value (`Ref`, `Fn::Sub` …) refers to one of `logical_ids`."""
    text = json.dumps(value)
    return any(
        f'"{logical}"' in text or "${" + logical + "}" in text or "${" + logical + "." in text
        for logical in logical_ids
    )


def table_names(refs: dict[str, str]) -> list[str]:
    template = load_template()["Resources"]
    return [refs[logical] for logical, resource in template.items() if resource.get("Type") == "AWS::DynamoDB::Table"]

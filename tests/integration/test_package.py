"""The CloudFormation of a cluster stage: `chalice package --merge-template` passes cfn-lint and
gives every function the resources the embedded stack creates from the same template."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from scripts.embedded import resources
from scripts.package import package

ROOT = resources.ROOT


def test_the_cluster_stage_packages_and_passes_cfn_lint(tmp_path):
    package("gent", tmp_path, lint=False)  # what scripts/package runs: chalice package, ASL files copied
    template = json.loads((tmp_path / "sam.json").read_text())
    check_environment_against_template(template)
    check_least_privilege(template)
    check_alarms_and_dashboard(template)
    parameters = {
        p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "parameters.json").read_text())
    }
    assert parameters["MetricsNamespace"] == "Podium/gent"
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(tmp_path / "sam.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    functions = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert {"APIHandler", "SweepExpiredHolds", "CheckoutPrice", "CheckoutAwaitPayment"} <= set(functions)
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    for name, function in functions.items():
        # SAM merges Globals' variables into each function's own (chalice writes the stage's there).
        variables = {**shared, **function["Properties"]["Environment"]["Variables"]}
        for variable, logical_id in resources.function_environment(
            {n: n for n in template["Resources"]}, "Shared"
        ).items():
            assert variables.get(variable) == {"Ref": logical_id}, (name, variable)
        assert variables["PODIUM_STAGE"] == "gent"
    # Only the API starts checkouts; the tasks the state machine invokes must not refer back to it (a cycle).
    assert functions["APIHandler"]["Properties"]["Environment"]["Variables"]["CHECKOUT_STATE_MACHINE_ARN"] == {
        "Ref": "CheckoutStateMachine"
    }
    machine = template["Resources"]["CheckoutStateMachine"]["Properties"]
    invoked = {value["Fn::GetAtt"][0] for value in machine["DefinitionSubstitutions"].values()}
    assert invoked <= set(functions)
    asl = json.loads((tmp_path / machine["DefinitionUri"]).read_text())  # next to sam.json, as deployed
    used = {state["Parameters"]["FunctionName"][2:-1] for state in asl["States"].values() if state["Type"] == "Task"}
    assert used == set(machine["DefinitionSubstitutions"])
    # The settlement's gather reads every house's ledger in one invocation (~9 s of one core for 100,000
    # tickets, docs/benchmarks.md): one full vCPU and Lambda's longest timeout, not the 128 MB / 60 s default.
    gather = functions["SettlementGather"]["Properties"]
    assert (gather["MemorySize"], gather["Timeout"]) == (1769, 900)
    assert functions["CheckoutPrice"]["Properties"]["Timeout"] == 60
    # Every path keeps its own methods and gains ANY into the same function (a wrong method: 405 by the app).
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert {"get", "x-amazon-apigateway-any-method"} <= set(paths["/agenda"])
    assert {"post", "x-amazon-apigateway-any-method"} <= set(paths["/carts/{cart_id}/checkout"])
    answers = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(answers)


DATA_SERVICES = ("dynamodb:", "sqs:", "sns:", "secretsmanager:", "states:", "ses:", "s3:", "kms:", "lambda:")
DATA_TYPES = {
    "AWS::DynamoDB::Table": "table",
    "AWS::SNS::Topic": "topic",
    "AWS::SQS::Queue": "queue",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::Serverless::StateMachine": "state machine",
}


def variables_the_code_reads() -> set[str]:
    """Every environment variable chalicelib reads that names an AWS resource (a table name or an ARN)."""
    names = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        names |= set(
            re.findall(r"""(?:env|environ)\.get\(\s*["']([A-Z0-9_]*(?:TABLE_NAME|_ARN))["']""", path.read_text())
        )
    return names


def check_environment_against_template(template: dict) -> None:
    """Every table, topic, secret and state machine the code reads from its environment is a resource of
    the template, and each such resource is read by the code (queues: consumed by a function or a DLQ)."""
    res = template["Resources"]
    functions = {n: r for n, r in res.items() if r["Type"] == "AWS::Serverless::Function"}
    given: dict[str, set[str]] = {}
    for function in functions.values():
        variables = {
            **template["Globals"]["Function"]["Environment"]["Variables"],
            **function["Properties"]["Environment"]["Variables"],
        }
        for variable, value in variables.items():
            if isinstance(value, dict) and "Ref" in value:
                given.setdefault(variable, set()).add(value["Ref"])
    read = variables_the_code_reads()
    assert {"TABLE_NAME", "EVENTS_TOPIC_ARN", "PAYMENT_SECRET_ARN", "CHECKOUT_STATE_MACHINE_ARN"} <= read
    for variable in read:
        assert variable in given, f"the code reads {variable}, no function of the template is given it"
        for logical_id in given[variable]:
            assert res[logical_id]["Type"] in DATA_TYPES, (variable, logical_id)
    referenced = {logical_id for variable in read for logical_id in given[variable]}
    consumed = set()
    for function in functions.values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]
                consumed.add(queue["Fn::Sub"][2 : -len(".Arn}")] if "Fn::Sub" in queue else queue["Fn::GetAtt"][0])
    dead_letter = {
        r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for n, r in res.items()
        if n in consumed and "RedrivePolicy" in r["Properties"]
    }
    alarm_topics = {
        action["Ref"]
        for r in res.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        for action in r["Properties"].get("AlarmActions", [])
    }
    for logical_id, resource in res.items():
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            assert logical_id in consumed | dead_letter, f"{logical_id}: no consumer reads it, no queue redrives to it"
            assert logical_id in dead_letter or "RedrivePolicy" in resource["Properties"], f"{logical_id} has no DLQ"
        elif kind in DATA_TYPES and logical_id not in alarm_topics:
            assert logical_id in referenced, f"{logical_id} ({DATA_TYPES[kind]}) is in the template, no code reads it"


def _statements(role: dict) -> list[dict]:
    return [s for policy in role["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def check_least_privilege(template: dict) -> None:
    """Each function runs as a role of infra/template.json; no role grants a data action on `*`."""
    res = template["Resources"]
    roles = {n: r for n, r in res.items() if r["Type"] == "AWS::IAM::Role"}
    assert "DefaultRole" not in res, "chalice generated its role (autogen policies name Resource '*')"
    functions_of_role: dict[str, list[str]] = {}
    for name, resource in res.items():
        if resource["Type"] == "AWS::Serverless::Function":
            role = resource["Properties"]["Role"]
            assert isinstance(role, dict) and role["Fn::GetAtt"][0] in roles, (name, role)
            assert "Policies" not in resource["Properties"], name
            functions_of_role.setdefault(role["Fn::GetAtt"][0], []).append(name)
    assert all(len(functions) == 1 for functions in functions_of_role.values()), (
        f"roles shared between functions: {functions_of_role}"
    )
    assert set(functions_of_role) == set(roles), "a role no function uses"
    for name, role in roles.items():
        assert not role["Properties"].get("ManagedPolicyArns"), name
        for statement in _statements(role):
            assert statement["Effect"] == "Allow"
            actions = _listed(statement["Action"])
            data = [a for a in actions if a.startswith(DATA_SERVICES) or a == "*"]
            for resource in _listed(statement["Resource"]):
                if data:
                    assert resource != "*" and not (isinstance(resource, str) and resource.endswith(":*")), (
                        name,
                        data,
                        resource,
                    )
            assert "*" not in actions and not any(a.endswith(":*") for a in actions), (name, actions)
    api = _statements(roles[res["APIHandler"]["Properties"]["Role"]["Fn::GetAtt"][0]])
    assert any("states:StartExecution" in _listed(s["Action"]) for s in api)
    consumer = _statements(roles[res["AvailabilityConsumer"]["Properties"]["Role"]["Fn::GetAtt"][0]])
    assert [s["Resource"] for s in consumer if "sqs:ReceiveMessage" in s["Action"]] == [
        [{"Fn::GetAtt": ["AvailabilityQueue", "Arn"]}]
    ]
    throttle = res["RestAPI"]["Properties"]["MethodSettings"][0]
    assert throttle["ThrottlingRateLimit"] and throttle["ThrottlingBurstLimit"]
    # Pages and API answers are compressed for clients that accept it (a 1,000-seat map: ~450 KB → ~45 KB).
    assert res["RestAPI"]["Properties"]["MinimumCompressionSize"] == 1024


def check_alarms_and_dashboard(template: dict) -> None:
    res = template["Resources"]
    alarms = [n for n, r in res.items() if r["Type"] == "AWS::CloudWatch::Alarm"]
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    assert len(alarms) >= 10
    for alarm in alarms:
        assert f"`{alarm}`" in runbook, f"{alarm} has no entry in docs/runbook.md"
        assert res[alarm]["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    dashboards = [r for r in res.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert len(dashboards) == 1
    body = dashboards[0]["Properties"]["DashboardBody"]["Fn::Sub"]
    titles = {w["properties"]["title"] for w in json.loads(body)["widgets"]}
    for title in (
        "Tickets and revenue per minute",
        "Checkout funnel",
        "Hold conflicts",
        "Payment failures",
        "Queue depth",
        "Dead-letter queue depth",
        "Lambda errors",
        "Lambda throttles",
        "Lambda p99 duration (ms)",
        "DynamoDB throttles",
        "State machine failures",
    ):
        assert title in titles
    metrics = (ROOT / "docs" / "metrics.md").read_text()
    for name in re.findall(
        r'\bcount\(\s*"([A-Za-z]+)"', "".join(p.read_text() for p in (ROOT / "chalicelib").rglob("*.py"))
    ):
        assert f"`{name}`" in metrics, f"metric {name} is not documented in docs/metrics.md"

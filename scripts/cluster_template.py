"""Generate the IAM roles, alarms, dashboard and API answers of `infra/template.json` (run after changing them here).

    .venv/bin/python -m scripts.cluster_template      # rewrites only the resources it owns

The template stays the one file `chalice package --merge-template` merges and the embedded
stack reads; this script owns the `…Role` resources, `Alarm…` resources, `OpsDashboard`,
`AlarmTopic`, the `MetricsNamespace`/`Api…Limit` parameters, each function's `Role`, and the
RestAPI's gateway responses (`scripts/package` adds an ANY method to each path of the packaged API).
Every policy names the stage's own resources (`Ref` / `Fn::GetAtt` / `Fn::Sub`); only X-Ray,
which has no resource-level permissions, gets `*`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "template.json"

TABLES = ("MainTable", "CustomerTable", "IdempotencyTable")
MACHINES = ("CheckoutStateMachine", "RefundStateMachine", "SettlementStateMachine", "ErasureStateMachine")
CONSUMERS = ("Availability", "Uitdatabank", "Uitpas", "Exchange")

# One role per function, granting what that function does (recorded by the embedded stack:
# `scripts/embedded/access.py`; a run of the test suite fails when a function does more than its
# role allows). Tables are "read" or "write" (with their indexes), secrets read, the topic, e-mail,
# the state machines a function starts, those whose task tokens it answers, the queue it consumes.
# Every function that e-mails a buyer reads CustomerKeySecret: the preferences link in the footer is signed.
MAIN, CUSTOMERS_READ = {"MainTable": "write"}, {"CustomerTable": "read"}
ROLES: dict[str, dict[str, Any]] = {
    "ApiRole": {
        "functions": ["APIHandler"],
        "tables": {"MainTable": "write", "CustomerTable": "write"},
        "secrets": [
            "StaffTokenSecret",
            "CustomerKeySecret",
            "PaymentSecret",
            "TicketKeySecret",
            "AdmissionKeySecret",
            "PubliqSecret",
        ],
        "publish": True,
        "email": True,
        "start": list(MACHINES),
        "answer": ["CheckoutStateMachine"],
    },
    "SweepExpiredHoldsRole": {"functions": ["SweepExpiredHolds"], "tables": MAIN, "publish": True},
    # checkout
    "CheckoutPriceRole": {"functions": ["CheckoutPrice"], "tables": MAIN},
    # Social-tariff places: registered at UiTPAS before the payment, cancelled by Release/Refund.
    "CheckoutRegisterUitpasRole": {
        "functions": ["CheckoutRegisterUitpas"],
        "tables": MAIN,
        "secrets": ["PubliqSecret"],
    },
    "CheckoutCreatePaymentRole": {"functions": ["CheckoutCreatePayment"], "tables": MAIN, "secrets": ["PaymentSecret"]},
    "CheckoutAwaitPaymentRole": {
        "functions": ["CheckoutAwaitPayment"],
        "tables": MAIN,
        "answer": ["CheckoutStateMachine"],
    },
    "CheckoutConfirmSeatsRole": {"functions": ["CheckoutConfirmSeats"], "tables": MAIN},
    "CheckoutIssueTicketsRole": {"functions": ["CheckoutIssueTickets"], "tables": MAIN, "secrets": ["TicketKeySecret"]},
    "CheckoutEmailTicketsRole": {
        "functions": ["CheckoutEmailTickets"],
        "tables": {**MAIN, **CUSTOMERS_READ},
        "secrets": ["TicketKeySecret", "CustomerKeySecret"],
        "email": True,
    },
    "CheckoutPublishOrderRole": {"functions": ["CheckoutPublishOrder"], "tables": MAIN, "publish": True},
    "CheckoutReleaseRole": {
        "functions": ["CheckoutRelease"],
        "tables": MAIN,
        "secrets": ["PaymentSecret", "PubliqSecret"],
    },
    "CheckoutRefundRole": {
        "functions": ["CheckoutRefund"],
        "tables": {**MAIN, **CUSTOMERS_READ},
        "secrets": ["PaymentSecret", "CustomerKeySecret", "PubliqSecret"],
        "email": True,
    },
    # refunds
    "RefundPayBackRole": {"functions": ["RefundPayBack"], "tables": MAIN, "secrets": ["PaymentSecret"]},
    "RefundVoidTicketsRole": {"functions": ["RefundVoidTickets"], "tables": MAIN},
    "RefundNotifyRole": {
        "functions": ["RefundNotify"],
        "tables": {**MAIN, **CUSTOMERS_READ},
        "secrets": ["CustomerKeySecret"],
        "email": True,
        "publish": True,
    },
    # settlement
    "SettlementGatherRole": {"functions": ["SettlementGather"], "tables": MAIN},
    "SettlementPayHouseRole": {"functions": ["SettlementPayHouse"], "tables": MAIN, "secrets": ["PaymentSecret"]},
    "SettlementCloseRole": {"functions": ["SettlementClose"], "tables": MAIN},
    # erasure: Pseudonymise rewrites orders and moves purchases (the links in CustomerTable say which);
    # Forget reads the links and deletes the records
    # and links; Complete only writes the receipt.
    "ErasurePseudonymiseRole": {
        "functions": ["ErasurePseudonymise"],
        "tables": {"MainTable": "write", "CustomerTable": "write"},
        "secrets": ["CustomerKeySecret"],
    },
    "ErasureForgetRole": {"functions": ["ErasureForget"], "tables": {"CustomerTable": "write"}},
    "ErasureCompleteRole": {"functions": ["ErasureComplete"], "tables": MAIN},
    # fan-out consumers
    "AvailabilityConsumerRole": {
        "functions": ["AvailabilityConsumer"],
        "queue": "AvailabilityQueue",
        "tables": {**MAIN, "IdempotencyTable": "write"},
        "publish": True,
    },
    "UitdatabankConsumerRole": {
        "functions": ["UitdatabankConsumer"],
        "queue": "UitdatabankQueue",
        "tables": {"MainTable": "read", "IdempotencyTable": "write"},
        "secrets": ["PubliqSecret"],
    },
    "UitpasConsumerRole": {
        "functions": ["UitpasConsumer"],
        "queue": "UitpasQueue",
        "tables": {**MAIN, **CUSTOMERS_READ, "IdempotencyTable": "write"},
        "secrets": ["PubliqSecret"],
    },
    "ExchangeConsumerRole": {
        "functions": ["ExchangeConsumer"],
        "queue": "ExchangeQueue",
        "tables": {"MainTable": "read", **CUSTOMERS_READ, "IdempotencyTable": "write"},
        "secrets": ["ExchangeSecret", "CustomerKeySecret"],
    },
}

READ_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]
WRITE_ACTIONS = READ_ACTIONS + [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
]


def machine_arn(logical_id: str) -> dict:
    """The ARN of a state machine by its fixed name: a `Ref` would make task roles depend on the
    machine that depends on their functions (a cycle)."""
    return {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
        "${AWS::StackName}-" + logical_id
    }


def machine_name(logical_id: str) -> dict:
    return {"Fn::Sub": "${AWS::StackName}-" + logical_id}


def role(spec: dict[str, Any]) -> dict:
    # A function's generated name is `<stack>-<logical id>-<suffix>`: its role writes only that log group.
    [function] = spec["functions"]
    group = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${AWS::StackName}-"
    statements: list[dict] = [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [{"Fn::Sub": group + function + "-*"}, {"Fn::Sub": group + function + "-*:*"}],
        },
        {
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },  # X-Ray has no resource-level permissions
    ]
    for level, actions in (("read", READ_ACTIONS), ("write", WRITE_ACTIONS)):
        tables = [table for table, wanted in spec.get("tables", {}).items() if wanted == level]
        if tables:
            resources = []
            for table in tables:
                resources += [{"Fn::GetAtt": [table, "Arn"]}, {"Fn::Sub": "${" + table + ".Arn}/index/*"}]
            statements.append(
                {"Sid": f"Tables{level.title()}", "Effect": "Allow", "Action": actions, "Resource": resources}
            )
    if spec.get("secrets"):
        statements.append(
            {
                "Sid": "Secrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": [{"Ref": secret} for secret in spec["secrets"]],
            }
        )
    if spec.get("publish"):
        statements.append(
            {"Sid": "Events", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "EventsTopic"}]}
        )
    if spec.get("email"):
        statements.append(
            {
                "Sid": "Email",
                "Effect": "Allow",
                "Action": ["ses:SendRawEmail", "ses:SendEmail"],
                "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}],
            }
        )
    if spec.get("start"):
        statements.append(
            {
                "Sid": "StartWorkflows",
                "Effect": "Allow",
                "Action": ["states:StartExecution"],
                "Resource": [machine_arn(m) for m in spec["start"]],
            }
        )
    if spec.get("answer"):
        statements.append(
            {
                "Sid": "AnswerTaskTokens",
                "Effect": "Allow",
                "Action": ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                "Resource": [machine_arn(m) for m in spec["answer"]],
            }
        )
    if spec.get("queue"):
        statements.append(
            {
                "Sid": "ConsumeQueue",
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                ],
                "Resource": [{"Fn::GetAtt": [spec["queue"], "Arn"]}],
            }
        )
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [
                {"PolicyName": "podium", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        },
    }


# ---- alarms ---------------------------------------------------------------------------------------
def _podium_metric(name: str) -> dict:
    return {
        "Namespace": {"Ref": "MetricsNamespace"},
        "MetricName": name,
        "Dimensions": [{"Name": "service", "Value": "podium"}],
    }


def _alarm(
    description: str,
    metric: dict,
    statistic: str,
    threshold: float,
    periods: int = 1,
    period: int = 60,
    comparison: str = "GreaterThanOrEqualToThreshold",
    extended: str | None = None,
) -> dict:
    properties = {
        "AlarmDescription": description + " Runbook: docs/runbook.md",
        **metric,
        "Period": period,
        "EvaluationPeriods": periods,
        "Threshold": threshold,
        "ComparisonOperator": comparison,
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlarmTopic"}],
        "OKActions": [{"Ref": "AlarmTopic"}],
    }
    if extended:
        properties["ExtendedStatistic"] = extended
    else:
        properties["Statistic"] = statistic
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def alarms() -> dict[str, dict]:
    result = {
        "AlarmPaymentFailures": _alarm(
            "Payments failing: 5 or more PaymentFailures in 5 minutes.",
            _podium_metric("PaymentFailures"),
            "Sum",
            5,
            period=300,
        ),
        "AlarmPaidPlacesLost": _alarm(
            "A buyer paid but the places were gone (PaidPlacesLost); refunded automatically.",
            _podium_metric("PaidPlacesLost"),
            "Sum",
            1,
            period=300,
        ),
        "AlarmCheckoutsFailed": _alarm(
            "10 or more CheckoutsFailed in 5 minutes.", _podium_metric("CheckoutsFailed"), "Sum", 10, period=300
        ),
        "AlarmPaymentWebhooksRejected": _alarm(
            "Stripe webhooks rejected (bad signature): 3 or more in 5 minutes.",
            _podium_metric("PaymentWebhooksRejected"),
            "Sum",
            3,
            period=300,
        ),
        "AlarmHoldConflicts": _alarm(
            "Hold conflicts above 200 a minute for 5 minutes (a rush or a stuck seat map).",
            _podium_metric("HoldConflicts"),
            "Sum",
            200,
            periods=5,
        ),
        "AlarmApiErrors": _alarm(
            "APIHandler errors: 5 or more a minute for 3 minutes.",
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "APIHandler"}}],
            },
            "Sum",
            5,
            periods=3,
        ),
        "AlarmApiThrottles": _alarm(
            "APIHandler throttled by Lambda concurrency.",
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "Throttles",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "APIHandler"}}],
            },
            "Sum",
            1,
            periods=3,
        ),
        "AlarmApiLatencyP99": _alarm(
            "APIHandler p99 duration above 3 s for 5 minutes.",
            {
                "Namespace": "AWS/Lambda",
                "MetricName": "Duration",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "APIHandler"}}],
            },
            "",
            3000,
            periods=5,
            extended="p99",
        ),
        "AlarmMainTableThrottles": _alarm(
            "DynamoDB throttled requests on MainTable.",
            {
                "Namespace": "AWS/DynamoDB",
                "MetricName": "ThrottledRequests",
                "Dimensions": [{"Name": "TableName", "Value": {"Ref": "MainTable"}}],
            },
            "Sum",
            1,
            periods=3,
        ),
    }
    for machine in MACHINES:
        result[f"Alarm{machine.replace('StateMachine', '')}ExecutionsFailed"] = _alarm(
            f"{machine} executions failed, timed out or aborted.",
            {
                "Namespace": "AWS/States",
                "MetricName": "ExecutionsFailed",
                "Dimensions": [{"Name": "StateMachineArn", "Value": {"Ref": machine}}],
            },
            "Sum",
            1,
            period=300,
        )
    for consumer in CONSUMERS:
        result[f"Alarm{consumer}DeadLetters"] = _alarm(
            f"Messages in {consumer}DeadLetterQueue: the {consumer.lower()} consumer gave up on them.",
            {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {"Name": "QueueName", "Value": {"Fn::GetAtt": [f"{consumer}DeadLetterQueue", "QueueName"]}}
                ],
            },
            "Maximum",
            1,
        )
        result[f"Alarm{consumer}QueueAge"] = _alarm(
            f"Oldest message in {consumer}Queue older than 15 minutes: the consumer is stuck or failing.",
            {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [f"{consumer}Queue", "QueueName"]}}],
            },
            "Maximum",
            900,
            periods=3,
        )
    return result


# ---- dashboard ------------------------------------------------------------------------------------
FUNCTIONS_ON_DASHBOARD = (
    "APIHandler",
    "SweepExpiredHolds",
    "CheckoutAwaitPayment",
    "CheckoutIssueTickets",
    "CheckoutEmailTickets",
    "AvailabilityConsumer",
    "UitdatabankConsumer",
    "UitpasConsumer",
    "ExchangeConsumer",
)


def _widget(
    title: str, metrics: list, stat: str = "Sum", x: int = 0, y: int = 0, width: int = 12, view: str = "timeSeries"
) -> dict:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "stat": stat,
            "period": 60,
            "view": view,
            "metrics": metrics,
        },
    }


def dashboard_widgets() -> list[dict]:
    ns = "${MetricsNamespace}"
    podium = lambda name: [ns, name, "service", "podium"]  # noqa: E731
    widgets = [
        _widget(
            "Tickets and revenue per minute",
            [podium("TicketsIssued"), [*podium("RevenueCents"), {"yAxis": "right"}]],
            x=0,
            y=0,
        ),
        _widget(
            "Checkout funnel",
            [
                podium(n)
                for n in ("HoldsCreated", "CheckoutsStarted", "OrdersCompleted", "CheckoutsFailed", "CheckoutsRefunded")
            ],
            x=12,
            y=0,
        ),
        _widget("Hold conflicts", [podium("HoldConflicts"), podium("HoldsExpired")], x=0, y=6),
        _widget(
            "Payment failures",
            [
                podium(n)
                for n in ("PaymentFailures", "PaymentWebhooksRejected", "PaidPlacesLost", "LatePaymentsRefunded")
            ],
            x=12,
            y=6,
        ),
        _widget(
            "Queue depth",
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${" + c + "Queue.QueueName}"]
                for c in CONSUMERS
            ],
            stat="Maximum",
            x=0,
            y=12,
        ),
        _widget(
            "Oldest message age (s)",
            [
                ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "${" + c + "Queue.QueueName}"]
                for c in CONSUMERS
            ],
            stat="Maximum",
            x=12,
            y=12,
        ),
        _widget(
            "Dead-letter queue depth",
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${" + c + "DeadLetterQueue.QueueName}"]
                for c in CONSUMERS
            ],
            stat="Maximum",
            x=0,
            y=18,
        ),
        _widget(
            "State machine failures",
            [
                ["AWS/States", m, "StateMachineArn", "${" + s + "}"]
                for s in MACHINES
                for m in ("ExecutionsFailed", "ExecutionsTimedOut")
            ],
            x=12,
            y=18,
        ),
        _widget(
            "Lambda errors",
            [["AWS/Lambda", "Errors", "FunctionName", "${" + f + "}"] for f in FUNCTIONS_ON_DASHBOARD],
            x=0,
            y=24,
        ),
        _widget(
            "Lambda throttles",
            [["AWS/Lambda", "Throttles", "FunctionName", "${" + f + "}"] for f in FUNCTIONS_ON_DASHBOARD],
            x=12,
            y=24,
        ),
        _widget(
            "Lambda p99 duration (ms)",
            [["AWS/Lambda", "Duration", "FunctionName", "${" + f + "}"] for f in FUNCTIONS_ON_DASHBOARD],
            stat="p99",
            x=0,
            y=30,
        ),
        _widget(
            "DynamoDB throttles",
            [["AWS/DynamoDB", "ThrottledRequests", "TableName", "${" + t + "}"] for t in TABLES]
            + [
                ["AWS/DynamoDB", m, "TableName", "${" + t + "}"]
                for t in TABLES
                for m in ("ReadThrottleEvents", "WriteThrottleEvents")
            ],
            x=12,
            y=30,
        ),
    ]
    return widgets


def dashboard() -> dict:
    body = json.dumps({"widgets": dashboard_widgets()}, separators=(",", ":"))
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {"DashboardName": {"Fn::Sub": "${AWS::StackName}-podium"}, "DashboardBody": {"Fn::Sub": body}},
    }


PARAMETERS = {
    "MetricsNamespace": {
        "Type": "String",
        "Default": "Podium",
        "Description": "The stage's POWERTOOLS_METRICS_NAMESPACE (scripts/package writes it)",
    },
    "ApiThrottlingRateLimit": {"Type": "Number", "Default": 200, "Description": "API requests per second"},
    "ApiThrottlingBurstLimit": {"Type": "Number", "Default": 400, "Description": "API burst"},
}


# API Gateway answers some requests itself, without the app: it has no error format of its own to follow,
# so each answer is given the problem shape (RFC 9457) here. Gateway response templates are not VTL (only
# `$context` substitution), so they cannot negotiate a language: they speak the cluster's default, Dutch.
PROBLEM_TYPE = "urn:podium:problem:"
GATEWAY_PROBLEMS = {
    # An unknown path. (A known path with another method reaches the app through the ANY method
    # scripts/package gives every path: 405.)
    "MISSING_AUTHENTICATION_TOKEN": {"status": 404, "code": "not_found", "detail": '"There is no such resource."'},
    "THROTTLED": {
        "status": 429,
        "code": "rate_limited",
        "detail": '"Too many requests; try again shortly."',
        "headers": {"Retry-After": "'1'"},
    },
    # Every other refusal keeps its own status (413, 403 …): DEFAULT_* set none, and the body leaves `status`
    # out (RFC 9457 makes it optional) rather than state a wrong one. The 4xx detail is fixed: API Gateway's
    # own message can quote the request's Authorization header (an unknown path asked with a staff token is
    # read as a malformed AWS signature), and a credential is never written back.
    "DEFAULT_4XX": {
        "code": "malformed_request",
        "detail": '"The gateway refused this request before it reached the API."',
    },
    "DEFAULT_5XX": {"code": "internal_error", "detail": "$context.error.messageString"},
}


def gateway_responses() -> dict[str, dict]:
    """The RestAPI's `x-amazon-apigateway-gateway-responses`, one per entry of GATEWAY_PROBLEMS: problem JSON,
    never API Gateway's own. They sit in the API's definition rather than in `AWS::ApiGateway::GatewayResponse`
    resources: SAM deploys the definition as a whole (each import overwrites it), which drops gateway responses
    defined beside it, and a change to such a resource would not make a new deployment."""
    from chalicelib.i18n import buyer_message, problem_title

    answers = {}
    for response_type, spec in GATEWAY_PROBLEMS.items():
        code = spec["code"]
        fields = [f'"type": "{PROBLEM_TYPE}{code}"', f'"title": {json.dumps(problem_title(code, "nl"))}']
        if "status" in spec:
            fields.append(f'"status": {spec["status"]}')
        fields += [f'"detail": {spec["detail"]}', f'"code": "{code}"']
        if buyer_message(code, "nl"):
            fields.append(f'"message": {json.dumps(buyer_message(code, "nl"))}')
        fields += ['"instance": "$context.path"', '"request_id": "$context.requestId"']
        headers = {
            "Content-Type": "'application/problem+json'",
            "Content-Language": "'nl'",
            "X-Content-Type-Options": "'nosniff'",
            **spec.get("headers", {}),
        }
        answer = {
            "responseParameters": {f"gatewayresponse.header.{name}": value for name, value in headers.items()},
            "responseTemplates": {"application/json": "{" + ", ".join(fields) + "}"},
        }
        if "status" in spec:
            answer["statusCode"] = str(spec["status"])
        answers[response_type] = answer
    return answers


def update(template: dict) -> dict:
    template.setdefault("Parameters", {}).update(PARAMETERS)
    resources = template["Resources"]
    for name in [
        n
        for n, r in resources.items()
        if r.get("Type") in ("AWS::CloudWatch::Alarm",) or n.endswith("Role") and r.get("Type") == "AWS::IAM::Role"
    ]:
        del resources[name]
    for name, spec in ROLES.items():
        resources[name] = role(spec)
        for function in spec["functions"]:
            resources.setdefault(function, {}).setdefault("Properties", {})["Role"] = {"Fn::GetAtt": [name, "Arn"]}
    for machine in MACHINES:
        resources[machine]["Properties"]["Name"] = machine_name(machine)
    resources["RestAPI"] = {
        "Properties": {
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
                    "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
                    "MetricsEnabled": True,
                }
            ],
            "DefinitionBody": {"x-amazon-apigateway-gateway-responses": gateway_responses()},
        }
    }
    for name in [n for n, r in resources.items() if r.get("Type") == "AWS::ApiGateway::GatewayResponse"]:
        del resources[name]  # they belong in the definition (gateway_responses)
    resources["AlarmTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"DisplayName": {"Fn::Sub": "Podium ${AWS::StackName} alarms"}},
    }
    resources.update(alarms())
    resources["OpsDashboard"] = dashboard()
    return template


def main() -> None:
    template = json.loads(TEMPLATE.read_text())
    TEMPLATE.write_text(json.dumps(update(template), indent=2, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()

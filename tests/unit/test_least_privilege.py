"""The least-privilege check of the embedded stack: recorded AWS calls against each function's own role.

(The check itself runs over everything the whole suite did: the `stack` fixture's teardown.)"""

from __future__ import annotations

from scripts.embedded import access, permissions, resources

REFS = {
    "MainTable": "podium-demo-MainTable",
    "CustomerTable": "podium-demo-CustomerTable",
    "PaymentSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:podium-demo-PaymentSecret-AbCdEf",
    "TicketKeySecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:podium-demo-TicketKeySecret-x",
    "EventsTopic": "arn:aws:sns:eu-west-1:123456789012:podium-demo-EventsTopic",
    "CheckoutStateMachine": "arn:aws:states:eu-west-1:123456789012:stateMachine:podium-demo-CheckoutStateMachine",
    "RefundStateMachine": "arn:aws:states:eu-west-1:123456789012:stateMachine:podium-demo-RefundStateMachine",
}


def call(function: str, action: str, logical: str = "") -> dict[str, str]:
    return {"function": function, "action": action, "resource": REFS.get(logical, logical)}


def test_what_each_function_does_in_the_suite_is_what_its_role_allows():
    template = resources.load_template()
    allowed = [
        call("CheckoutCreatePayment", "secretsmanager:GetSecretValue", "PaymentSecret"),
        call("CheckoutCreatePayment", "dynamodb:UpdateItem", "MainTable"),
        call("CheckoutEmailTickets", "dynamodb:GetItem", "CustomerTable"),
        call("CheckoutEmailTickets", "ses:SendRawEmail"),
        call("CheckoutAwaitPayment", "states:SendTaskSuccess"),
        call("APIHandler", "states:StartExecution", "RefundStateMachine"),
    ]
    assert permissions.violations(allowed, template, REFS) == []

    refused = [
        call("CheckoutPrice", "secretsmanager:GetSecretValue", "PaymentSecret"),  # another task's secret
        call("CheckoutEmailTickets", "dynamodb:UpdateItem", "CustomerTable"),  # read-only there
        call("CheckoutPrice", "sns:Publish", "EventsTopic"),
        call("CheckoutPrice", "states:SendTaskSuccess"),
        call("CheckoutAwaitPayment", "states:StartExecution", "CheckoutStateMachine"),
        call("SettlementGather", "dynamodb:GetItem", "podium-gent-MainTable"),  # another stage's table
        call("Unknown", "dynamodb:GetItem", "MainTable"),
    ]
    problems = permissions.violations(refused, template, REFS)
    assert len(problems) == len(refused), problems
    assert "CheckoutPrice did secretsmanager:GetSecretValue on PaymentSecret, which its role does not allow" in problems
    assert "Unknown has no role of its own in the template (it did dynamodb:GetItem on MainTable)" in problems


def test_a_call_is_noted_per_item_of_a_transaction_and_per_table_of_a_batch():
    items = {
        "TransactItems": [
            {"Put": {"TableName": "A"}},
            {"ConditionCheck": {"TableName": "B"}},
            {"Update": {"TableName": "A"}},
        ]
    }
    assert access.accesses("dynamodb", "TransactWriteItems", items) == [
        ("dynamodb:PutItem", "A"),
        ("dynamodb:ConditionCheckItem", "B"),
        ("dynamodb:UpdateItem", "A"),
    ]
    assert access.accesses("dynamodb", "BatchGetItem", {"RequestItems": {"A": {}, "B": {}}}) == [
        ("dynamodb:BatchGetItem", "A"),
        ("dynamodb:BatchGetItem", "B"),
    ]
    assert access.accesses("stepfunctions", "StartExecution", {"stateMachineArn": "arn:m"}) == [
        ("states:StartExecution", "arn:m")
    ]

"""State machines run for real in the embedded stack, their Lambda tasks running project code."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from scripts.embedded import resources, workflows

from .conftest import unique

FIXTURE = Path(__file__).parent / "fixtures" / "retry_wait_catch.asl.json"


class TransientError(Exception):
    pass


@pytest.fixture(scope="module")
def machine(stack):
    """The fixture state machine with three handlers of this module behind its Lambda tasks."""
    attempts: dict[str, int] = {}
    tokens: dict[str, str] = {}

    def flaky(event, context):
        attempts[event["order"]] = attempts.get(event["order"], 0) + 1
        if attempts[event["order"]] < 3:
            raise TransientError("try again")
        return {"attempts": attempts[event["order"]], "function": context.function_name}

    def record_token(event, context):
        tokens[event["order"]] = event["token"]
        return {}

    def validate(event, context):
        if event["signal"].get("amount", 0) <= 0:
            raise ValueError("amount must be positive")
        return {"ok": True}

    role = workflows.execution_role(stack.moto.url, stack.stage)
    arns = {
        name: workflows.create_function(stack.moto.url, unique(name), role, handler)
        for name, handler in (("FlakyArn", flaky), ("RecordTokenArn", record_token), ("ValidateArn", validate))
    }
    arn = workflows.create_state_machine(stack.moto.url, unique("fixture"), FIXTURE, arns, role)
    return arn, attempts, tokens


def run(stack, machine, order: str, signal=None, timeout: float = 40) -> dict:
    """Start an execution, answer its task token with `signal` once it is there, wait for the end."""
    sfn = resources.client("stepfunctions", stack.moto.url)
    arn, _, tokens = machine
    execution = sfn.start_execution(stateMachineArn=arn, name=f"{order}", input=json.dumps({"order": order}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if signal and order in tokens:
            signal(sfn, tokens.pop(order))
            signal = None
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"execution {order} still running after {timeout} s")


def test_a_task_is_retried_then_the_workflow_waits_for_its_token_and_finishes(stack, machine):
    _, attempts, _ = machine
    order = unique("order")
    result = run(
        stack,
        machine,
        order,
        signal=lambda sfn, token: sfn.send_task_success(taskToken=token, output=json.dumps({"amount": 2500})),
    )
    assert result["status"] == "SUCCEEDED"
    output = json.loads(result["output"])
    assert attempts[order] == 3 and output["flaky"]["value"]["attempts"] == 3
    assert output["flaky"]["value"]["function"].startswith("FlakyArn-")  # the function moto invoked
    assert output["signal"] == {"amount": 2500} and output["validated"]["value"] == {"ok": True}


def test_a_python_exception_in_a_task_is_caught_by_its_name(stack, machine):
    result = run(
        stack,
        machine,
        unique("order"),
        signal=lambda sfn, token: sfn.send_task_success(taskToken=token, output=json.dumps({"amount": 0})),
    )
    output = json.loads(result["output"])
    assert result["status"] == "SUCCEEDED" and output["outcome"] == "rejected"
    assert output["error"]["Error"] == "ValueError" and "amount must be positive" in output["error"]["Cause"]


def test_a_failure_sent_for_the_token_takes_the_catch(stack, machine):
    result = run(
        stack,
        machine,
        unique("order"),
        signal=lambda sfn, token: sfn.send_task_failure(
            taskToken=token, error="PaymentDeclined", cause="card_declined"
        ),
    )
    output = json.loads(result["output"])
    # moto 5.2.5 drops the Cause of send_task_failure (AWS keeps it); the Error is what Catch matches.
    assert output["outcome"] == "declined" and output["error"]["Error"] == "PaymentDeclined"


def test_an_unanswered_token_times_out_into_the_catch(stack, machine):
    result = run(stack, machine, unique("order"))
    output = json.loads(result["output"])
    assert result["status"] == "SUCCEEDED" and output["outcome"] == "timed_out"
    assert output["error"]["Error"] == "States.Timeout"


def test_the_app_s_task_functions_run_in_the_local_lambda_service_and_fail_as_lambda_does(stack):
    """moto's Lambda hands the app's functions to the functions process; a test's own stay here."""
    assert stack.functions is not None and stack.functions.poll() is None
    name = resources.physical_name(stack.stage, "CheckoutPrice")
    ran_here = []
    original = workflows.dispatcher._handlers[name]
    workflows.dispatcher.register(name, lambda event, context: ran_here.append(event))
    try:
        answer = resources.client("lambda", stack.moto.url).invoke(
            FunctionName=name, Payload=json.dumps({"order_id": "o_nowhere"})
        )
    finally:
        workflows.dispatcher.register(name, original)
    assert ran_here == [] and answer.get("FunctionError")  # moto says "Handled" where Lambda says "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "NotFound"
    assert workflows.dispatcher.invocations[-1] == (name, {"order_id": "o_nowhere"})
    # the service answers as Lambda does: (payload, errored, logs)
    direct = requests.post(
        f"{workflows.dispatcher.remote_url}/invocations/{name}", data=json.dumps({"order_id": "o_nowhere"}), timeout=30
    ).json()
    assert direct["errored"] is True and json.loads(direct["payload"])["errorType"] == "NotFound"
    assert requests.get(f"{workflows.dispatcher.remote_url}/invocations/{name}", timeout=30).status_code == 404


def test_executions_of_one_machine_at_once_keep_their_own_state(stack, machine):
    """The parsed program is shared by every execution of a definition; their retries, tokens and
    outputs stay their own."""
    from concurrent.futures import ThreadPoolExecutor

    _, attempts, _ = machine
    orders = {unique("order"): amount for amount in (0, 100, 0, 250, 300, 0, 75, 1)}

    def one(order: str) -> dict:
        return run(
            stack,
            machine,
            order,
            timeout=90,
            signal=lambda sfn, token: sfn.send_task_success(
                taskToken=token, output=json.dumps({"amount": orders[order]})
            ),
        )

    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        results = dict(zip(orders, pool.map(one, orders)))
    for order, amount in orders.items():
        output = json.loads(results[order]["output"])
        assert attempts[order] == 3 and output["flaky"]["value"]["attempts"] == 3
        if amount > 0:
            assert output["signal"] == {"amount": amount} and output["validated"]["value"] == {"ok": True}
        else:
            assert output["outcome"] == "rejected" and output["error"]["Error"] == "ValueError"

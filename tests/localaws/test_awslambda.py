"""Lambda without Docker: an invocation through moto runs the installed Python callable and answers as Lambda
does (scripts/localaws/awslambda.py)."""

from __future__ import annotations

import io
import json
import secrets
import zipfile

import pytest

from scripts.localaws import awslambda


@pytest.fixture
def function(client):
    iam, lambdas = client("iam"), client("lambda")
    name = f"localaws-{secrets.token_hex(4)}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("handler.py", "")
    lambdas.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
        Timeout=30,
    )
    previous = awslambda.current()  # the embedded stack's dispatcher when one runs in this process
    yield name
    if previous is None:
        awslambda.uninstall()
    else:
        awslambda.install(previous)
    lambdas.delete_function(FunctionName=name)
    iam.delete_role(RoleName=name)


def test_an_invocation_runs_the_installed_callable_with_the_function_and_its_event(client, function):
    calls = []

    def invoke(lambda_function, event):
        calls.append((lambda_function.function_name, int(lambda_function.timeout), event))
        return json.dumps({"seats": 2}), False, ""

    awslambda.install(invoke)
    answer = client("lambda").invoke(FunctionName=function, Payload=json.dumps({"hold_id": "h1"}))
    assert "FunctionError" not in answer and json.loads(answer["Payload"].read()) == {"seats": 2}
    assert calls == [(function, 30, {"hold_id": "h1"})]


def test_an_error_the_callable_reports_is_the_function_s_error(client, function):
    error = {"errorType": "SeatsUnavailable", "errorMessage": "seat B-12 was just taken"}
    awslambda.install(lambda lambda_function, event: (json.dumps(error), True, ""))
    answer = client("lambda").invoke(FunctionName=function, Payload=b"{}")
    assert answer["FunctionError"] == "Handled" and json.loads(answer["Payload"].read()) == error

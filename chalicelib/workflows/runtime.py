"""Starting executions and answering task tokens (the Step Functions API, through boto3)."""
from __future__ import annotations

import json

from ..aws import client


def start(state_machine_arn: str, name: str, payload: dict) -> str:
    """Start an execution named `name` once: a second start with that name changes nothing."""
    sfn = client("stepfunctions")
    try:
        return sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return arn


def send_success(token: str, output: dict) -> bool:
    """Resume a waiting task; False if the token is spent (answered before, timed out or the run ended)."""
    sfn = client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
        return False
    return True


def send_failure(token: str, error: str, cause: str) -> bool:
    sfn = client("stepfunctions")
    try:
        sfn.send_task_failure(taskToken=token, error=error, cause=cause[:32000])
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
        return False
    return True

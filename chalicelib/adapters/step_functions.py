"""Workflows port on AWS: starting Step Functions executions and answering task tokens, through boto3."""

from __future__ import annotations

import json

from ..ports import Workflow
from ..settings import Settings, get_settings
from .aws_clients import client


def state_machine_arn(workflow: Workflow, settings: Settings) -> str:
    arns = {
        "checkout": settings.checkout_state_machine_arn,
        "refund": settings.refund_state_machine_arn,
        "settlement": settings.settlement_state_machine_arn,
        "erasure": settings.erasure_state_machine_arn,
    }
    return arns[workflow]


class StepFunctionsWorkflows:
    def start(self, workflow: Workflow, name: str, payload: dict) -> str:
        """Start an execution named `name` once: a second start with that name changes nothing."""
        arn = state_machine_arn(workflow, get_settings())
        sfn = client("stepfunctions")
        try:
            return sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]
        except sfn.exceptions.ExecutionAlreadyExists:
            return arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def send_success(self, token: str, output: dict) -> bool:
        """Resume a waiting task; False if the token is spent (answered before, timed out or the run ended)."""
        sfn = client("stepfunctions")
        try:
            sfn.send_task_success(taskToken=token, output=json.dumps(output))
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
            return False
        return True

    def send_failure(self, token: str, error: str, cause: str) -> bool:
        sfn = client("stepfunctions")
        try:
            sfn.send_task_failure(taskToken=token, error=error, cause=cause[:32000])
        except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
            return False
        return True

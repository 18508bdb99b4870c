"""Step Functions with Lambda tasks in the embedded stack, running the project's own code.

moto runs state machines for real once `execute_state_machine` is on (its copy of an ASL
interpreter: Retry, Catch, timeouts, `.waitForTaskToken`). Its Lambda needs Docker, which we
do not have, so `LambdaFunction._invoke_lambda` is replaced (scripts/localaws/awslambda.py) by a
dispatcher that calls the project's handler for that function name — in the local Lambda service's process
(`functions.py`) when the stack runs one, else in-process — and answers as Lambda does
(`(payload, errored, logs)`; an exception becomes `{"errorType", "errorMessage"}` so the ASL's
`ErrorEquals` match on the Python exception's name, as on AWS). The invoke request is served
without moto's global lock (see scripts/localaws/server.py), because the handler calls moto back.

State machines are created from the template's `AWS::Serverless::StateMachine` resources: the
ASL file named by `DefinitionUri` is the same file deployed to AWS, and its
`DefinitionSubstitutions` are resolved here as CloudFormation resolves them there.
"""

from __future__ import annotations

import io
import json
import threading
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from moto.awslambda.models import LambdaFunction

from scripts.localaws import awslambda

from . import access, background, resources
from .lambda_context import LocalLambdaContext

Handler = Callable[[Any, Any], Any]


class LambdaDispatcher:
    """Function name → the project's handler, for every Lambda invocation moto receives.

    Functions named by `serve_remotely` run in the local Lambda service (`functions.py`, a process of
    its own) instead of here; the dispatcher still records what ran.
    """

    def __init__(self, record: bool = True) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.record = record  # the supervisor's records what ran; the functions process's need not keep it twice
        self.invocations: list[tuple[str, Any]] = []  # (function name, event): tests read what ran
        self.remote_url: str | None = None
        self._remote_names: frozenset[str] = frozenset()
        self._sessions = threading.local()

    def serve_remotely(self, url: str | None, names=()) -> None:
        """Send the invocations of `names` to the local Lambda service at `url` (None: run everything here)."""
        self.remote_url, self._remote_names = url, frozenset(names if url else ())

    def register(self, function_name: str, handler: Handler) -> None:
        with self._lock:
            self._handlers[function_name] = handler

    def names(self) -> list[str]:
        with self._lock:
            return list(self._handlers)

    def _invoke_remote(self, function_name: str, event: Any, timeout_seconds: int) -> tuple[str, bool, str]:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        try:
            response = session.post(
                f"{self.remote_url}/invocations/{function_name}",
                params={"timeout": timeout_seconds},
                data=json.dumps(event),
                timeout=timeout_seconds + 30,
            )
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as error:  # as Lambda's own service failing
            return _error("ServiceException", f"the local Lambda service did not answer: {error}"), True, ""
        return answer["payload"], answer["errored"], answer["logs"]

    def install(self) -> None:
        """Run every Lambda invocation moto receives in this process through this dispatcher."""

        def invoke(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            return self.invoke(function.function_name, event, int(function.timeout or 60))

        awslambda.install(invoke)

    def invoke(self, function_name: str, event: Any, timeout_seconds: int = 60) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        with self._lock:
            handler = self._handlers.get(function_name)
            if self.record:
                self.invocations.append((function_name, event))
        if function_name in self._remote_names:
            return self._invoke_remote(function_name, event, timeout_seconds)
        if handler is None:
            return _error("ResourceNotFoundException", f"No local handler for {function_name}"), True, ""
        try:
            with background.work():  # a workflow step: no buyer waits on this very request
                result = handler(event, LocalLambdaContext(function_name, timeout_seconds))
        except Exception as error:  # Lambda reports a handler's exception as the function's error
            return _error(type(error).__name__, str(error), traceback.format_exc()), True, traceback.format_exc()
        return json.dumps(result, default=str), False, ""


def _error(kind: str, message: str, trace: str = "") -> str:
    return json.dumps({"errorType": kind, "errorMessage": message, "stackTrace": trace.splitlines()[-20:]})


dispatcher = LambdaDispatcher()


def enable_step_functions(moto_url: str) -> None:
    """Make moto execute state machines instead of only recording them."""
    response = requests.post(
        f"{moto_url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10
    )
    response.raise_for_status()


def execution_role(moto_url: str, stage: str) -> str:
    iam = resources.client("iam", moto_url)
    name = resources.physical_name(stage, "WorkflowRole")
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def create_function(moto_url: str, name: str, role_arn: str, handler: Handler, timeout: int = 60) -> str:
    """A Lambda function in moto whose invocations run `handler` in this process."""
    lambdas = resources.client("lambda", moto_url)
    dispatcher.register(name, handler)
    try:
        return lambdas.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    except lambdas.exceptions.ResourceNotFoundException:
        pass
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as package:
        package.writestr("handler.py", "# runs in the embedded stack's process\n")
    return lambdas.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
        Timeout=timeout,
    )["FunctionArn"]


def substitute(definition: str, substitutions: dict[str, str]) -> str:
    """Replace `${Name}` placeholders as Step Functions' DefinitionSubstitutions do."""
    for name, value in substitutions.items():
        definition = definition.replace("${" + name + "}", value)
    return definition


def resolve(value: Any, refs: dict[str, str], arns: dict[str, str]) -> str:
    """A substitution value: a literal, `{"Ref": X}` or `{"Fn::GetAtt": [X, "Arn"]}`."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return refs[value["Ref"]]
    if "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
        return arns[value["Fn::GetAtt"][0]]
    raise ValueError(f"cannot resolve {value!r} locally")


def create_state_machine(
    moto_url: str, name: str, definition_file: Path, substitutions: dict[str, str], role_arn: str
) -> str:
    """Create (or update) a Standard state machine from an ASL file."""
    sfn = resources.client("stepfunctions", moto_url)
    definition = substitute(Path(definition_file).read_text(), substitutions)
    json.loads(definition)  # a broken file fails here, not at the first execution
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine["name"] == name:
            sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
            return machine["stateMachineArn"]
    return sfn.create_state_machine(name=name, definition=definition, roleArn=role_arn, type="STANDARD")[
        "stateMachineArn"
    ]


def setup(moto_url: str, stage: str, app, refs: dict[str, str], template: dict | None = None) -> dict[str, str]:
    """Functions for the app's Lambda functions and state machines from the template; returns ARNs by logical id."""
    from chalice.utils import to_cfn_resource_name

    dispatcher.install()
    enable_step_functions(moto_url)
    role = execution_role(moto_url, stage)
    arns: dict[str, str] = {}
    for function in app.pure_lambda_functions:
        logical_id = to_cfn_resource_name(function.name)
        arns[logical_id] = create_function(
            moto_url, resources.physical_name(stage, logical_id), role, access.as_function(logical_id, function)
        )
    template = template or resources.load_template()
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::StateMachine":
            continue
        properties = resource["Properties"]
        substitutions = {
            name: resolve(value, refs, arns) for name, value in properties.get("DefinitionSubstitutions", {}).items()
        }
        arns[logical_id] = create_state_machine(
            moto_url,
            resources.physical_name(stage, logical_id),
            resources.ROOT / properties["DefinitionUri"],
            substitutions,
            role,
        )
    return arns

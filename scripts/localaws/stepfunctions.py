"""Step Functions in moto 5.2.5: JSONPath expressions and state machine definitions parsed once, one Lambda client.

moto's Step Functions interpreter parses every InputPath/ResultPath/Parameters path with jsonpath_ng each
time a state runs, and jsonpath_ng builds a new PLY lexer and parser (compiling their regular expressions)
for every parse: ~10 % of the stack's process during a sale opening, more than the hold path's own DynamoDB
work. A parsed path is an immutable tree that `find` only reads, so each distinct path string is parsed once
per process. Likewise every Lambda task built a new boto3 client (and a new connection) to invoke its
function; a client is thread-safe, and moto's is always the same (fixed keys, no retries), so one per region
and port is kept. And every execution parsed its state machine's definition with ANTLR again (a fifth of the
process once the rest was fixed): the parsed program is the same for the same definition, and nothing of an
execution is kept in it (executions keep their state in their own `Environment`; the one lazily set
attribute, a component's heap key, is a constant id), so each definition is parsed once.
"""

from __future__ import annotations

import functools

from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path

from . import patching

# What the patches replace or rely on, as last reviewed (see dynamodb.UPSTREAM).
_ASL = "moto.stepfunctions.parser.asl"
UPSTREAM = {
    # Each module calls the `parse` it imported from jsonpath_ng; that name is what is memoized.
    f"{_ASL}.utils.json_path:extract_json": "932245247973780c",
    f"{_ASL}.component.common.path.result_path:ResultPath._eval_body": "d2e91c4e1de547ca",
    f"{_ASL}.component.state.exec.state_task.lambda_eval_utils:exec_lambda_function": "26ae15132de11b87",
    f"{_ASL}.component.state.exec.state_task.lambda_eval_utils:_invoke_lambda_function": "0ebcddb746e422b0",
    f"{_ASL}.utils.boto_client:boto_client_for": "1f44dc2ac8aa2179",
    f"{_ASL}.parse.asl_parser:AmazonStateLanguageParser.parse": "e08871c8420ad7a1",
}

JSON_PATH_MODULES = (json_path, result_path)


@functools.lru_cache(maxsize=16)
def _lambda_client(region: str, service: str, port: str, stubbed: bool):
    # The port and the stubber's state are part of the key: a test's second server, or moto's in-process
    # mode, gets a client of its own.
    return patching.original(lambda_eval_utils, "boto_client_for")(region=region, service=service)


def boto_client_for(region: str, service: str, state_credentials=None):
    """moto's `boto_client_for`, one client per region, service and moto port (the credentials are moto's)."""
    return _lambda_client(
        region, service, str(boto_client.moto_server_port()), bool(boto_client.botocore_stubber.enabled)
    )


def install_fast_step_functions() -> None:
    """Memoize the JSONPath parser, the ASL parser and the Lambda client (idempotent, process-wide)."""
    for module in JSON_PATH_MODULES:
        patching.replace(module, "parse", lambda original: functools.lru_cache(maxsize=4096)(original))
    patching.replace(lambda_eval_utils, "boto_client_for", lambda original: boto_client_for)
    patching.replace(
        AmazonStateLanguageParser,
        "parse",
        lambda original: staticmethod(functools.lru_cache(maxsize=64)(original.__func__)),
    )


def uninstall_fast_step_functions() -> None:
    for module in JSON_PATH_MODULES:
        patching.restore(module, "parse")
    patching.restore(lambda_eval_utils, "boto_client_for")
    patching.restore(AmazonStateLanguageParser, "parse")


def apply() -> None:
    install_fast_step_functions()

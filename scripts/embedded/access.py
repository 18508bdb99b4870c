"""Which AWS actions each Lambda function performs on which resource, recorded in the embedded stack.

Every botocore call of the gateway (the `APIHandler` function), of the task and consumer
functions (in the functions process) and of the sweeper (in the supervisor) is noted as
(function, IAM action, resource) — the resource as its physical name, ARN or URL — and appended once
per distinct triple to a JSON-lines file.
`least_privilege.violations` compares that record with the per-function roles of
`infra/template.json`: a call the function's role would not allow on AWS is a failure found
locally instead of at the first sale after a deploy.

The acting function is a context variable set around each handler call; the gateway process
acts as `APIHandler` throughout. Each process appends to the same file.
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scripts.localaws import botocore_hooks

_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("podium_acting_function", default=None)
_default_function: str | None = None
_log: Path | None = None
_seen: set[tuple[str, str, str]] = set()
_lock = threading.Lock()
_installed = False

# DynamoDB's transactions and batches are authorized per item, by the item's own action.
_TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_BATCH_ACTIONS = {"BatchWriteItem": "BatchWriteItem", "BatchGetItem": "BatchGetItem"}
# Parameters that name the resource an action is authorized on.
_RESOURCE_PARAMETERS = ("TableName", "SecretId", "TopicArn", "TargetArn", "QueueUrl", "stateMachineArn", "executionArn")


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """AWS calls made inside count for `function` (a logical id of the template)."""
    token = _acting.set(function)
    try:
        yield
    finally:
        _acting.reset(token)


def as_function(function: str, handler):
    """`handler`, acting as `function` whenever it is called."""

    def run(*args: Any, **kwargs: Any) -> Any:
        if _installed:
            _start_cold()
        with acting_as(function):
            return handler(*args, **kwargs)

    run.__wrapped__ = handler  # type: ignore[attr-defined]
    return run


def _start_cold() -> None:
    """Functions that share this process share its caches; on AWS each has its own. Without this, a secret or
    item one function read would be served from the cache to another, and that one's need would go unseen."""
    from aws_lambda_powertools.utilities import parameters

    from chalicelib.store import cache

    parameters.clear_caches()
    cache.clear_all()


def accesses(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource) pairs one API call needs."""
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                found.append((f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", body.get("TableName", "")))
        return found
    if service == "dynamodb" and operation in _BATCH_ACTIONS:
        return [(f"dynamodb:{_BATCH_ACTIONS[operation]}", table) for table in params.get("RequestItems", {})]
    prefix = {"stepfunctions": "states", "sesv2": "ses"}.get(service, service)
    resource = next((str(params[name]) for name in _RESOURCE_PARAMETERS if params.get(name)), "")
    return [(f"{prefix}:{operation}", resource)]


def _note(function: str, action: str, resource: str) -> None:
    key = (function, action, resource)
    if key in _seen:
        return
    with _lock:
        if key in _seen:
            return
        _seen.add(key)
        if _log is not None:
            with _log.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"function": function, "action": action, "resource": resource}) + "\n")


def install(log: Path, default_function: str | None = None) -> None:
    """Record this process's AWS calls into `log` (calls outside any function are not recorded)."""
    global _log, _default_function, _installed
    _log, _default_function = Path(log), default_function
    if _installed:
        return
    botocore_hooks.on_api_call(_record)
    _installed = True


def _record(client: Any, operation_name: str, api_params: dict[str, Any]) -> None:
    function = _acting.get() or _default_function
    if function is not None:
        for action, resource in accesses(client.meta.service_model.service_name, operation_name, api_params):
            _note(function, action, resource)


def read(log: Path) -> list[dict[str, str]]:
    if not Path(log).exists():
        return []
    return [json.loads(line) for line in Path(log).read_text(encoding="utf-8").splitlines() if line.strip()]

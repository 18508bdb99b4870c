"""Lambda in moto 5.2.5 without Docker: an invocation runs a Python handler chosen by the caller.

moto's `LambdaFunction._invoke_lambda` starts the function's code in a Docker container, which the local
stack does not have (and would be slow per invocation). `install(invoke)` puts `invoke(function, event)` in
its place; it must answer as moto's does, `(payload, errored, logs)`: the payload a JSON string (Lambda's
`{"errorType", "errorMessage"}` when the handler raised) and `errored` true then. moto's `invoke` (the
Invoke API, and Step Functions' Lambda tasks through it) turns that into the response as for a container.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.awslambda.models import LambdaFunction

from . import patching

# What the patch replaces or relies on, as last reviewed (see dynamodb.UPSTREAM).
UPSTREAM = {
    "moto.awslambda.models:LambdaFunction._invoke_lambda": "7476f46f72c171d0",
    # Calls `_invoke_lambda(event=body)` and builds the Invoke answer from its three values.
    "moto.awslambda.models:LambdaFunction.invoke": "4053e88205b7561b",
}

Invoke = Callable[[LambdaFunction, Any], "tuple[str, bool, str]"]

_invoke: Invoke | None = None


def _invoke_lambda(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    if _invoke is None:  # uninstalled while an invocation was on its way
        return patching.original(LambdaFunction, "_invoke_lambda")(function, event)
    return _invoke(function, event)


def install(invoke: Invoke) -> None:
    """Run every Lambda invocation of this process's moto through `invoke(function, event)`. The last
    installed `invoke` wins (a test's dispatcher after the stack's)."""
    global _invoke
    _invoke = invoke
    patching.replace(LambdaFunction, "_invoke_lambda", lambda original: _invoke_lambda)


def current() -> Invoke | None:
    """The installed `invoke` (None: moto's own, which needs Docker)."""
    return _invoke if patching.is_replaced(LambdaFunction, "_invoke_lambda") else None


def uninstall() -> None:
    global _invoke
    _invoke = None
    patching.restore(LambdaFunction, "_invoke_lambda")

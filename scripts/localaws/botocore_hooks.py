"""Hooks in botocore 1.44 for the stack's client processes: every API call seen, every HTTP request marked.

Two places of botocore are wrapped (the original still runs, unchanged):

- `BaseClient._make_api_call(self, operation_name, api_params)`: the one method every generated client
  operation goes through, with the operation's name and parameters before serialization. The stack records
  which function made which call, for the least-privilege check.
- `URLLib3Session.send(self, request)`: the last place a request passes before the wire, boto3's and
  PynamoDB's alike. The stack adds a header there that tells moto's lock the request is background work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.client import BaseClient
from botocore.httpsession import URLLib3Session

from . import patching

# What the hooks wrap, as last reviewed (see dynamodb.UPSTREAM).
UPSTREAM = {
    "botocore.client:BaseClient._make_api_call": "8cf5e08d8ddcae59",
    "botocore.httpsession:URLLib3Session.send": "df9e8973213ccc51",
}


_api_call_observers: list[Callable[[BaseClient, str, dict[str, Any]], None]] = []
_send_preparers: list[Callable[[Any], None]] = []


def _observed(original: Callable) -> Callable:
    def make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]):
        for observe in _api_call_observers:
            observe(self, operation_name, api_params or {})
        return original(self, operation_name, api_params)

    return make_api_call


def _prepared(original: Callable) -> Callable:
    def send(self: URLLib3Session, request: Any):
        for prepare in _send_preparers:
            prepare(request)
        return original(self, request)

    return send


def on_api_call(observe: Callable[[BaseClient, str, dict[str, Any]], None]) -> None:
    """Call `observe(client, operation_name, params)` before every API call of this process."""
    if observe not in _api_call_observers:
        _api_call_observers.append(observe)
    patching.replace(BaseClient, "_make_api_call", _observed)


def on_send(prepare: Callable[[Any], None]) -> None:
    """Call `prepare(request)` on every HTTP request of this process before it is sent (it may add headers)."""
    if prepare not in _send_preparers:
        _send_preparers.append(prepare)
    patching.replace(URLLib3Session, "send", _prepared)


def remove(hook: Callable) -> None:
    """Stop calling `hook` (the wrappers stay: with no hooks they only call the original)."""
    for hooks in (_api_call_observers, _send_preparers):
        if hook in hooks:
            hooks.remove(hook)

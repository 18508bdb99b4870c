"""Test support of the moto server process: a digest of whole DynamoDB tables, computed in the process.

Tests that prove a refused request writes nothing compare every table before and after. A Scan over HTTP
through botocore serializes, sends and parses every attribute of every item each time, and the tables grow
with everything earlier tests wrote. This route answers, per table, `{item key: sha256 of the item}` from
moto's own items, so a test fetches whole items (the same route, naming keys) only where a digest changed.

`POST /_localaws/dynamodb/digests` with JSON
`{"region": …, "account": …, "tables": [names], "skip_keys_containing": "RATE#", "items": {table: [keys]}}`
answers `{"tables": {name: {"count": n, "digests": {key: "sha256:…"}}}, "items": {table: {key: item}}}`.
A key is the JSON list of the key attributes' wire values (hash, then range); an item is its canonical JSON
(wire form, sorted keys) with every binary value by its digest (`"sha256:…"`), as a test prints it.
A table the account and region do not have is left out of the answer.

Emulator tooling only: no product code calls it. It runs inside `server.LockedMotoApp`, under the lock, so a
digest never sees half a transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

PATH = "/_localaws/dynamodb/digests"
DEFAULT_ACCOUNT = "123456789012"  # moto's


def binary_digest(value: bytes | str) -> str:
    """A binary value (moto keeps the request's base64 text) by the sha256 of its bytes."""
    raw = base64.b64decode(value) if isinstance(value, str) else bytes(value)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def wire(value: DynamoType) -> dict[str, Any]:
    """An attribute value in DynamoDB's wire form, binary values by digest."""
    kind = value.type
    if kind == "M":
        return {kind: {name: wire(nested) for name, nested in value.value.items()}}
    if kind == "L":
        return {kind: [wire(nested) for nested in value.value]}
    if kind == "B":
        return {kind: binary_digest(value.value)}
    if kind == "BS":
        return {kind: [binary_digest(member) for member in value.value]}
    return {kind: value.value}


def canonical(item: Item) -> str:
    """The item as one JSON text: wire form, keys sorted."""
    return json.dumps({name: wire(value) for name, value in item.attrs.items()}, sort_keys=True)


def item_key(table: Table, item: Item) -> str:
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return json.dumps([wire(item.attrs[name]) if name in item.attrs else None for name in names], sort_keys=True)


def stored_items(table: Table) -> Iterator[Item]:
    """Every item, in no particular order (moto's `all_items` sorts the whole table first)."""
    for bucket in table.items.values():
        if table.range_key_attr:
            yield from bucket.values()
        else:
            yield bucket


def digests(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one request (see the module's docstring). Call it under the server's lock."""
    backend = dynamodb_backends[request.get("account", DEFAULT_ACCOUNT)][request["region"]]
    skip = request.get("skip_keys_containing") or None
    tables = list(request.get("tables", []))
    wanted = {name: set(keys) for name, keys in (request.get("items") or {}).items()}
    answer: dict[str, Any] = {"tables": {}, "items": {}}
    for name in dict.fromkeys(tables + list(wanted)):
        table = backend.tables.get(name)
        if table is None:
            continue
        found: dict[str, str] = {}
        items: dict[str, str] = {}
        keys = wanted.get(name, set())
        for item in stored_items(table):
            key = item_key(table, item)
            if skip is not None and skip in key:
                continue
            if key in keys:
                items[key] = canonical(item)
            if name in tables:
                found[key] = "sha256:" + hashlib.sha256(canonical(item).encode()).hexdigest()
        if name in tables:
            answer["tables"][name] = {"count": len(found), "digests": found}
        if name in wanted:
            answer["items"][name] = items
    return answer


class DigestRoute:
    """A WSGI app: `PATH` answered here, every other path by moto's app. Serve it behind the lock."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            status, body = "200 OK", json.dumps(digests(request)).encode()
        except (KeyError, TypeError, ValueError) as error:
            status, body = "400 Bad Request", json.dumps({"message": f"{type(error).__name__}: {error}"}).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

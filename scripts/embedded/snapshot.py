"""Keep the embedded stack's data across restarts: moto holds state in memory only.

Tables are scanned into one JSON file (DynamoDB's typed JSON, written atomically) on shutdown
and periodically, and batch-written back on start.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path


def _encode(value):
    """DynamoDB typed JSON with binary (B, BS) as base64 text, nested maps and lists included."""
    if isinstance(value, dict):
        return {
            key: (
                base64.b64encode(item).decode()
                if key == "B"
                else [base64.b64encode(b).decode() for b in item]
                if key == "BS"
                else _encode(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


def _decode(value):
    if isinstance(value, dict):
        return {
            key: (
                base64.b64decode(item)
                if key == "B"
                else [base64.b64decode(b) for b in item]
                if key == "BS"
                else _decode(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def save(dynamodb, tables: list[str], path: Path, extra: dict | None = None) -> int:
    """Write every item of `tables` to `path`; returns the item count."""
    document = {"saved_at": time.time(), "tables": {}, "extra": extra or {}}
    total = 0
    for table in tables:
        items = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items.extend(_encode(item) for item in page["Items"])
        document["tables"][table] = items
        total += len(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, separators=(",", ":")))
    os.replace(temporary, path)  # never leave a half-written snapshot behind
    return total


def load_extra(path: Path) -> dict:
    if not path.exists():
        return {}
    return json.loads(path.read_text()).get("extra", {})


def restore(dynamodb, path: Path) -> int:
    """Batch-write a snapshot's items back; returns the item count (0 when there is none)."""
    if not path.exists():
        return 0
    document = json.loads(path.read_text())
    total = 0
    for table, items in document["tables"].items():
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": _decode(item)}} for item in items[start : start + 25]]
            pending = {table: requests}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        total += len(items)
    return total

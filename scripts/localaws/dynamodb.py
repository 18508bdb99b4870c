"""DynamoDB in moto 5.2.5: transactions, queries and answers that cost what they touch, not the whole table.

moto's DynamoDB is exact but slow on the tables a sale builds (thousands of seats in one partition):

1. `DynamoDBBackend.transact_write_items` deep-copies every table a transaction touches, to put the copy
   back if the transaction fails: ~2 tx/s on a 5,000-item table. `fast_transact_write_items` runs every
   check moto runs first, then the writes, and undoes a late failure with copies of only the items written.
2. `Table.query` lists and sorts the whole table before keeping the asked partition, deep-copies what it
   found, and `Item.project` round-trips every item through plain Python values.
3. `DynamoResult.execute_result` writes every answer through botocore's shape-walking serializer.

All three are only correct with moto served one request at a time (`server.LockedMotoApp`): the fast
transaction's state between its checks and its writes, and a query's borrowed `all_items`, must never be
seen by another request. `apply()` installs them; each `install_*` has an `uninstall_*` for comparisons.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models import table as moto_table_module
from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

from . import patching

# What the patches replace or copy the logic of, as last reviewed (patching.source_hash). An upgrade that
# changes one fails tests/localaws/test_upstream.py: read the upstream change, adapt the patch, record the hash.
UPSTREAM = {
    "moto.dynamodb.models:DynamoDBBackend.transact_write_items": "0b5c3b73cdccf326",
    "moto.dynamodb.models.table:Table.query": "c08e16587862d4ca",
    "moto.dynamodb.models.table:Table.all_items": "2091a7dc1699504c",
    "moto.dynamodb.models.dynamo_type:Item.project": "933f982ec59085b8",
    "moto.dynamodb.responses:DynamoResult.execute_result": "95ecd660ad7e0712",
}

# --------------------------------------------------------------------------------------------
# 1. Fast TransactWriteItems
# --------------------------------------------------------------------------------------------

_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


class _Fallback(Exception):
    """Two operations address the same stored item although moto's own duplicate check let them
    through (e.g. keys {"N": "1"} and {"N": "1.0"}, or a table named once by name, once by ARN).
    moto then evaluates the second against the first's write; only its sequential loop does that."""


class _ItemUndo:
    """Copies of the items a transaction wrote, to put back if moto rejects a later write.

    A write changes a table in two places: the item in `table.items` and, when the table has a
    stream, the records in `table.stream_shard.items`. Both are restored; nothing else is touched.
    """

    def __init__(self) -> None:
        self._items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, item before)
        self._streams: dict[int, tuple[Any, list]] = {}

    def remember(self, table: Any, hash_key: Any, range_key: Any, copy_item: bool) -> None:
        before = table.get_item(hash_key, range_key)
        # update_item changes the stored Item in place; put/delete replace or drop it.
        if before is not None and copy_item:
            before = copy.deepcopy(before)
        self._items.append((table, hash_key, range_key, before))
        shard = table.stream_shard
        if shard is not None and id(shard) not in self._streams:
            self._streams[id(shard)] = (shard, list(shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, before in reversed(self._items):
            if range_key is not None:
                bucket = table.items[hash_key]
                if before is None:
                    bucket.pop(range_key, None)
                else:
                    bucket[range_key] = before
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        for shard, records in self._streams.values():
            shard.items = records
        self._items.clear()
        self._streams.clear()


def _apply_write(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    """The write of one transaction item, with exactly the calls moto's own loop makes."""
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    condition = op.get("ConditionExpression")
    if op_type == "Put":
        backend.put_item(
            op["TableName"],
            op["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        backend.delete_item(
            op["TableName"],
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Update":
        backend.update_item(
            op["TableName"],
            key,
            update_expression=op["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def fast_transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's `transact_write_items` without the deep copy of whole tables.

    Phase 1 walks the items in moto's order and does everything moto does before an item's write
    (it only reads). Phase 2 performs the writes of the items that passed, in order, remembering
    the items it changes. Outcomes are decided exactly where moto's loop decides them: the first
    ValidationException wins (even over a ConditionalCheckFailed of an earlier item, because moto
    keeps going after those), other failures become CancellationReasons.

    Two deliberate differences, both where moto itself breaks all-or-nothing: moto raises its
    "one operation per item" error (an item with both "Put" and "Update") without putting back
    the writes of the items before it, and it never restores a table addressed by ARN (its backup
    is keyed by table name). Here both roll back like every other failed transaction.
    """
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    try:
        plan, errors, stop = _check_all(self, transact_items)
    except _Fallback:
        # Phase 1 has written nothing: moto's own implementation is still exact here (and safe,
        # since we run under the global lock).
        return moto_transact_write_items(self, transact_items)

    failing = stop is not None or any(code is not None for code, _, _ in errors)
    # ConditionCheck writes nothing, and a Delete whose condition held cannot fail any more. If
    # nothing else is planned and the transaction fails anyway, there is nothing to try.
    if failing and all(op_type in ("ConditionCheck", "Delete") for _, op_type, *_ in plan):
        plan = []

    undo = _ItemUndo()
    try:
        for index, op_type, op, key, table, hash_key, range_key in plan:
            if op_type == "ConditionCheck":
                continue
            undo.remember(table, hash_key, range_key, copy_item=(op_type == "Update"))
            try:
                _apply_write(self, op_type, op, key)
            except (MultipleTransactionsException, MockValidationException):
                raise
            except ConditionalCheckFailed as e:
                errors[index] = ("ConditionalCheckFailed", str(e.message), None)
            except Exception as e:  # moto records any other error as a cancellation reason
                errors[index] = (type(e).__name__, str(e), None)
    except BaseException:
        undo.restore()
        raise
    if stop is not None:
        undo.restore()
        raise stop
    if any(code is not None for code, _, _ in errors):
        undo.restore()
        raise TransactionCanceledException(errors)


def _check_all(self: DynamoDBBackend, transact_items: list[dict[str, Any]]):
    """Phase 1: moto's per-item checks, in moto's order, against the current state.

    Returns (plan, errors, stop): the items whose checks passed, with the table and stored key
    they address; one (code, message, item) per item examined, as moto collects them; and the
    exception moto's loop would raise at the first item it cannot get past (or None). Items after
    `stop` are never examined, as in moto.
    """
    target_items: set[tuple[str, str]] = set()  # moto's duplicate check, verbatim
    addressed: set[tuple[str, Any, Any]] = set()  # the stored items really addressed
    plan: list[tuple] = []
    errors: list[tuple] = []
    stop: Exception | None = None
    for item in transact_items:
        original_item = None
        if len(list(item.keys())) > 1:
            stop = TransactWriteSingleOpException()
            break
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in target_items:
                raise MultipleTransactionsException()
            target_items.add(unique)

            current = self.get_item(table_name, key)
            # get_item succeeded, so the table exists and the key resolves.
            table = self.get_table(table_name)
            hash_key, range_key = self.get_keys_value(table, key)
            if (table.name, hash_key, range_key) in addressed:
                raise _Fallback()
            addressed.add((table.name, hash_key, range_key))

            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            plan.append((len(errors), op_type, op, key, table, hash_key, range_key))
            errors.append((None, None, None))
        except _Fallback:
            raise
        except (MultipleTransactionsException, MockValidationException) as e:
            stop = e
            break
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # as moto: any other error is a cancellation reason
            errors.append((type(e).__name__, str(e), original_item))
    return plan, errors, stop


def install_fast_transactions() -> None:
    """Replace moto's DynamoDB `transact_write_items` with the fast one (idempotent, process-wide)."""
    patching.replace(DynamoDBBackend, "transact_write_items", lambda original: fast_transact_write_items)


def uninstall_fast_transactions() -> None:
    """Put moto's own implementation back (for comparisons and the baseline benchmark)."""
    patching.restore(DynamoDBBackend, "transact_write_items")


def moto_transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's own implementation, whether or not the fast one is installed."""
    return patching.original(DynamoDBBackend, "transact_write_items")(backend, transact_items)


def fast_transactions_installed() -> bool:
    return DynamoDBBackend.transact_write_items is fast_transact_write_items


# --------------------------------------------------------------------------------------------
# 2. Queries that cost the partition, not the table
# --------------------------------------------------------------------------------------------
# moto 5.2's `Table.query` starts from `Table.all_items()`, which lists EVERY item of the table and
# sorts them all by key (DynamoType comparisons) before keeping the asked partition: a Query of
# 1,000 seats cost ~100 ms in a table of ~10,000 items and grew with everything else the stack
# stored (orders, ledger, holds). `install_fast_queries()` hands `query` the asked partition only for
# a table Query (moto keeps items by hash key: `Table.items[hash][range]`), and the items unsorted
# for an index Query (moto sorts its candidates by the index's keys right after). Same items, same
# order, same filters, pages and errors: only the list moto starts from changes. Scans keep moto's
# sorted list (their pages follow it).


def fast_query(
    self: Table,
    hash_key,
    range_comparison,
    range_objs,
    limit,
    exclusive_start_key,
    scan_index_forward,
    projection_expressions,
    index_name=None,
    *more,
    **keywords,
):
    original = patching.original(Table, "query")
    if index_name is None and self.range_key_attr:
        partition = self.items.get(hash_key) or {}  # `get`: no empty partition left behind

        def candidates():
            return list(partition.values())
    else:

        def candidates():
            return [
                item for value in self.items.values() for item in (value.values() if self.range_key_attr else [value])
            ]

    self.all_items = candidates  # under the global lock: no other request sees it
    _ANSWERING.query = True
    try:
        return original(
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            *more,
            **keywords,
        )
    finally:
        _ANSWERING.query = False
        self.__dict__.pop("all_items", None)


# moto's `Table.query` deep-copies every item it found before projecting and answering (~20 % of the
# stack's process in a sale-opening run, with the projections below). The copy protects the stored
# items from the answer; here the answer is written in full under the global lock and nothing on
# that path changes an item (projections build new ones), so a Query hands out the stored items.
# Scans and every other `copy` of moto's table module are unchanged.
_ANSWERING = threading.local()


class _CopyForQueries:
    """Stands in for the `copy` module inside moto's table module."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value, memo=None):
        if getattr(_ANSWERING, "query", False):
            return value
        return copy.deepcopy(value, memo)


def fast_project(self: Item, projection_expressions: list[list[str]]) -> Item:
    """moto's projection goes through plain Python values and back for every item; top-level names
    (every projection the stack asks for, and the index projections) just pick the attributes."""
    if not all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
        return patching.original(Item, "project")(self, projection_expressions)
    projected = Item.__new__(Item)
    projected.hash_key, projected.range_key = self.hash_key, self.range_key
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)  # a subset of a stored item: no size check needed
    for (name,) in projection_expressions:
        if name in self.attrs and name not in attrs:
            dict.__setitem__(attrs, name, self.attrs[name])
    projected.attrs = attrs
    return projected


def install_fast_queries() -> None:
    """Replace moto's `Table.query` with the partition-sized one (idempotent, process-wide)."""
    patching.replace(Table, "query", lambda original: fast_query)
    patching.replace(Item, "project", lambda original: fast_project)
    patching.replace(moto_table_module, "copy", lambda original: _CopyForQueries)


def uninstall_fast_queries() -> None:
    patching.restore(Table, "query")
    patching.restore(Item, "project")
    patching.restore(moto_table_module, "copy")


# --------------------------------------------------------------------------------------------
# 3. DynamoDB answers written as JSON directly
# --------------------------------------------------------------------------------------------
# moto 5.2.5 writes every DynamoDB answer through its generic, model-driven serializer, which walks
# the botocore shape of each value: in a sale-opening benchmark 17–25 % of the stack's process went to
# it, most of it for the hall's 1,000-seat Query answers. The answers of the item operations are
# already in DynamoDB's wire form (`dynamo_to_dict`), so they are written with `json.dumps` instead.
# Anything that is not plain JSON (binary `B` values, timestamps) or holds a `None` the serializer
# would drop goes through moto's serializer as before; errors never take this path.
JSON_ANSWERED = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


def fast_execute_result(self: DynamoResult, context: Any):
    if context.operation_model.name in JSON_ANSWERED:
        try:
            body = json.dumps(self.result)
        except (TypeError, ValueError):
            body = None
        # Any None, as a value or in a list, goes to moto's serializer (which drops it); a string that
        # merely contains "null" only costs the slow path.
        if body is not None and "null" not in body:
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
    return patching.original(DynamoResult, "execute_result")(self, context)


def install_fast_answers() -> None:
    """JSON answers for DynamoDB's item operations (idempotent, process-wide)."""
    patching.replace(DynamoResult, "execute_result", lambda original: fast_execute_result)


def uninstall_fast_answers() -> None:
    patching.restore(DynamoResult, "execute_result")


def apply() -> None:
    """Every DynamoDB patch (idempotent, process-wide)."""
    install_fast_transactions()
    install_fast_queries()
    install_fast_answers()

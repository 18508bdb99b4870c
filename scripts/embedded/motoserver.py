"""moto's server, made safe for many concurrent clients (a sale opening) and fast on big tables.

Three problems of moto 5.2 in server mode, all measured:

1. **It is not safe under concurrent requests.** `werkzeug` serves each request in its own thread
   and moto's backends have no locks. The worst case is DynamoDB `TransactWriteItems`: moto
   deep-copies every table the transaction touches and, if the transaction fails, puts the
   copy back. A concurrent request's acknowledged write that landed in between is thereby
   silently lost, two racing transactions can both "win" the same seat (oversell), and readers
   iterating a table while it is swapped get 500s ("dictionary changed size during iteration").
   Fix: `LockedMotoApp` serves moto behind ONE process-wide lock, so requests run one at a time.
   Lambda invocations are the exception: the function calls back into moto, so holding the lock
   across an invoke would deadlock.

2. **Its transactions are slow on big tables** because of that deep copy: ~2 tx/s on a
   5,000-item table, all of it spent copying seats nobody touches. Fix:
   `install_fast_transactions()` replaces `DynamoDBBackend.transact_write_items` with a version
   that first runs every check moto runs (request shape, one-op-per-item, key handling,
   `ConditionExpression`s) against the current state, and only then performs the writes, with
   moto's own `put_item` / `update_item` / `delete_item`. Writes that moto can still reject at
   that point (update-expression type errors, invalid attribute values …) are undone by putting
   back a copy of just the ITEMS they touched. Under the global lock nobody can observe the
   state in between, so this has moto's all-or-nothing semantics and moto's exact errors; only
   the copy-and-restore strategy changes.

3. **Its queries and answers cost time proportional to the whole table and to every value's shape**:
   `install_fast_queries()` reads only the queried partition, `install_fast_answers()` writes the
   item operations' answers as JSON directly (sections 1b and 1c).

`start_moto_server()` puts them together; the embedded stack and the tests use it.
"""
from __future__ import annotations

import copy
import functools
import io
import json
import os
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from moto import backends
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
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

from . import background
from .fairness import FairLock, FairSemaphore
from .serving import BackgroundServer, serve_in_background

__all__ = [
    "LockedMotoApp",
    "MOTO_LOCK",
    "MotoServer",
    "fast_execute_result",
    "fast_query",
    "fast_transact_write_items",
    "fast_transactions_installed",
    "install_fast_answers",
    "install_fast_paths",
    "install_fast_queries",
    "install_fast_transactions",
    "is_lambda_invocation",
    "serve",
    "moto_transact_write_items",
    "start_moto_server",
    "uninstall_fast_answers",
    "uninstall_fast_queries",
    "uninstall_fast_transactions",
]


# --------------------------------------------------------------------------------------------
# 1. Fast TransactWriteItems
# --------------------------------------------------------------------------------------------

_ORIGINAL_ATTR = "_podium_original_transact_write_items"
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
        backend.put_item(op["TableName"], op["Item"], condition_expression=condition,
                         expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, condition_expression=condition,
                            expression_attribute_names=names, expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                            condition_expression=condition, expression_attribute_names=names,
                            expression_attribute_values=values)


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
                    condition_expression, op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"))
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
    if _ORIGINAL_ATTR not in vars(DynamoDBBackend):
        setattr(DynamoDBBackend, _ORIGINAL_ATTR, DynamoDBBackend.transact_write_items)
    DynamoDBBackend.transact_write_items = fast_transact_write_items  # type: ignore[method-assign]


def uninstall_fast_transactions() -> None:
    """Put moto's own implementation back (for comparisons and the baseline benchmark)."""
    original = vars(DynamoDBBackend).get(_ORIGINAL_ATTR)
    if original is not None:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


def moto_transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's own implementation, whether or not the fast one is installed."""
    original = vars(DynamoDBBackend).get(_ORIGINAL_ATTR, DynamoDBBackend.transact_write_items)
    return original(backend, transact_items)


def fast_transactions_installed() -> bool:
    return DynamoDBBackend.transact_write_items is fast_transact_write_items


# --------------------------------------------------------------------------------------------
# 1b. Queries that cost the partition, not the table
# --------------------------------------------------------------------------------------------
# moto 5.2's `Table.query` starts from `Table.all_items()`, which lists EVERY item of the table and
# sorts them all by key (DynamoType comparisons) before keeping the asked partition: a Query of
# 1,000 seats cost ~100 ms in a table of ~10,000 items and grew with everything else the stack
# stored (orders, ledger, holds). `install_fast_queries()` hands `query` the asked partition only for
# a table Query (moto keeps items by hash key: `Table.items[hash][range]`), and the items unsorted
# for an index Query (moto sorts its candidates by the index's keys right after). Same items, same
# order, same filters, pages and errors: only the list moto starts from changes. Scans keep moto's
# sorted list (their pages follow it).
_ORIGINAL_QUERY = "_podium_original_query"
_ORIGINAL_PROJECT = "_podium_original_project"


def fast_query(self: Table, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
               scan_index_forward, projection_expressions, index_name=None, *more, **keywords):
    original = getattr(Table, _ORIGINAL_QUERY)
    if index_name is None and self.range_key_attr:
        partition = self.items.get(hash_key) or {}  # `get`: no empty partition left behind
        candidates = lambda: list(partition.values())  # noqa: E731
    else:
        candidates = lambda: [item for value in self.items.values()  # noqa: E731
                              for item in (value.values() if self.range_key_attr else [value])]
    self.all_items = candidates  # under the global lock: no other request sees it
    _ANSWERING.query = True
    try:
        return original(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                        scan_index_forward, projection_expressions, index_name, *more, **keywords)
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
        return getattr(Item, _ORIGINAL_PROJECT)(self, projection_expressions)
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
    if _ORIGINAL_QUERY not in vars(Table):
        setattr(Table, _ORIGINAL_QUERY, Table.query)
    Table.query = fast_query  # type: ignore[method-assign]
    if _ORIGINAL_PROJECT not in vars(Item):
        setattr(Item, _ORIGINAL_PROJECT, Item.project)
    Item.project = fast_project  # type: ignore[method-assign]
    moto_table_module.copy = _CopyForQueries  # type: ignore[assignment]


def uninstall_fast_queries() -> None:
    original = vars(Table).get(_ORIGINAL_QUERY)
    if original is not None:
        Table.query = original  # type: ignore[method-assign]
    original = vars(Item).get(_ORIGINAL_PROJECT)
    if original is not None:
        Item.project = original  # type: ignore[method-assign]
    moto_table_module.copy = copy


# --------------------------------------------------------------------------------------------
# 1c. DynamoDB answers written as JSON directly
# --------------------------------------------------------------------------------------------
# moto 5.2.5 writes every DynamoDB answer through its generic, model-driven serializer, which walks
# the botocore shape of each value: in a sale-opening benchmark 17–25 % of the stack's process went to
# it, most of it for the hall's 1,000-seat Query answers. The answers of the item operations are
# already in DynamoDB's wire form (`dynamo_to_dict`), so they are written with `json.dumps` instead.
# Anything that is not plain JSON (binary `B` values, timestamps) or holds a `None` the serializer
# would drop goes through moto's serializer as before; errors never take this path.
_ORIGINAL_RESULT = "_podium_original_execute_result"
JSON_ANSWERED = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                           "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


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
    return getattr(DynamoResult, _ORIGINAL_RESULT)(self, context)


_ORIGINAL_MODULES = "_podium_original_list_of_moto_modules"


@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(getattr(backends, _ORIGINAL_MODULES)())


def install_fast_answers() -> None:
    """JSON answers for DynamoDB's item operations, and moto's module list read once instead of from the
    disk on every request (its dispatcher lists its package directory per request). Idempotent."""
    if _ORIGINAL_RESULT not in vars(DynamoResult):
        setattr(DynamoResult, _ORIGINAL_RESULT, DynamoResult.execute_result)
    DynamoResult.execute_result = fast_execute_result  # type: ignore[method-assign]
    if not hasattr(backends, _ORIGINAL_MODULES):
        setattr(backends, _ORIGINAL_MODULES, backends.list_of_moto_modules)
    backends.list_of_moto_modules = _moto_modules


def uninstall_fast_answers() -> None:
    original = vars(DynamoResult).get(_ORIGINAL_RESULT)
    if original is not None:
        DynamoResult.execute_result = original  # type: ignore[method-assign]
    if hasattr(backends, _ORIGINAL_MODULES):
        backends.list_of_moto_modules = getattr(backends, _ORIGINAL_MODULES)


# --------------------------------------------------------------------------------------------
# 1d. Step Functions: JSONPath expressions parsed once, one Lambda client
# --------------------------------------------------------------------------------------------
# moto's Step Functions interpreter parses every InputPath/ResultPath/Parameters path with
# jsonpath_ng each time a state runs, and jsonpath_ng builds a new PLY lexer and parser (compiling
# their regular expressions) for every parse: ~10 % of the stack's process during a sale opening,
# more than the hold path's own DynamoDB work. A parsed path is an immutable tree that `find` only
# reads, so each distinct path string is parsed once per process. Likewise every Lambda task built
# a new boto3 client (and a new connection) to invoke its function; a client is thread-safe, and
# moto's is always the same (fixed keys, no retries), so one per region and port is kept. And every
# execution parsed its state machine's definition with ANTLR again (a fifth of the process once the
# rest was fixed): the parsed program is the same for the same definition, and nothing of an
# execution is kept in it (executions keep their state in their own `Environment`; the one lazily
# set attribute, a component's heap key, is a constant id), so each definition is parsed once.
_JSON_PATH_MODULES = ("moto.stepfunctions.parser.asl.utils.json_path",
                      "moto.stepfunctions.parser.asl.component.common.path.result_path")
_LAMBDA_TASK_MODULE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils"
_ORIGINAL_PARSE = "_podium_original_parse"
_ORIGINAL_CLIENT = "_podium_original_boto_client_for"
_ORIGINAL_ASL_PARSE = "_podium_original_asl_parse"


def install_fast_step_functions() -> None:
    """Memoize the JSONPath parser, the ASL parser and the Lambda client in moto's Step Functions
    (idempotent, process-wide)."""
    import importlib

    for name in _JSON_PATH_MODULES:
        module = importlib.import_module(name)
        if not hasattr(module, _ORIGINAL_PARSE):
            setattr(module, _ORIGINAL_PARSE, module.parse)
            module.parse = functools.lru_cache(maxsize=4096)(module.parse)
    module = importlib.import_module(_LAMBDA_TASK_MODULE)
    if not hasattr(module, _ORIGINAL_CLIENT):
        original = module.boto_client_for
        setattr(module, _ORIGINAL_CLIENT, original)
        from moto.stepfunctions.parser.asl.utils import boto_client

        @functools.lru_cache(maxsize=16)
        def client(region: str, service: str, port: str, stubbed: bool):
            return original(region=region, service=service)

        def boto_client_for(region: str, service: str, state_credentials=None):
            return client(region, service, str(boto_client.moto_server_port()), bool(boto_client.botocore_stubber.enabled))

        module.boto_client_for = boto_client_for
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    if _ORIGINAL_ASL_PARSE not in vars(AmazonStateLanguageParser):
        setattr(AmazonStateLanguageParser, _ORIGINAL_ASL_PARSE, AmazonStateLanguageParser.parse)
        AmazonStateLanguageParser.parse = staticmethod(  # type: ignore[method-assign]
            functools.lru_cache(maxsize=64)(AmazonStateLanguageParser.parse))


def uninstall_fast_step_functions() -> None:
    import importlib

    for name in _JSON_PATH_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, _ORIGINAL_PARSE):
            module.parse = getattr(module, _ORIGINAL_PARSE)
            delattr(module, _ORIGINAL_PARSE)
    module = importlib.import_module(_LAMBDA_TASK_MODULE)
    if hasattr(module, _ORIGINAL_CLIENT):
        module.boto_client_for = getattr(module, _ORIGINAL_CLIENT)
        delattr(module, _ORIGINAL_CLIENT)
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    if _ORIGINAL_ASL_PARSE in vars(AmazonStateLanguageParser):
        AmazonStateLanguageParser.parse = staticmethod(getattr(AmazonStateLanguageParser, _ORIGINAL_ASL_PARSE))
        delattr(AmazonStateLanguageParser, _ORIGINAL_ASL_PARSE)


# --------------------------------------------------------------------------------------------
# 2. One global lock around moto
# --------------------------------------------------------------------------------------------

# One lock per PROCESS, not per app: moto's backends are module globals, so two servers in one
# process (a test's and the stack's) share the same state and must share the lock too.
# First-come first-served: with `threading.Lock` a releasing thread could take the lock again
# ahead of dozens of queued gateway threads and starve some of them for seconds.
MOTO_LOCK = FairLock()


def is_lambda_invocation(path: str) -> bool:
    """Lambda Invoke (and the legacy InvokeAsync): moto runs the function while the request is
    open, and the function calls moto back. Holding the lock across it would deadlock."""
    path = path.rstrip("/")
    return "/functions/" in path and (path.endswith("/invocations") or path.endswith("/invoke-async"))


def _buffer_request_body(environ: dict[str, Any]) -> None:
    """Read the request body before taking the lock, so a slow upload does not stall everyone."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        environ["wsgi.input"] = io.BytesIO(stream.read(length))
    elif environ.get("wsgi.input_terminated"):  # chunked: werkzeug ends the stream for us
        environ["wsgi.input"] = io.BytesIO(stream.read())


class LockedMotoApp:
    """moto's WSGI app with every request (except Lambda invocations) under `MOTO_LOCK`."""

    def __init__(self, app: Callable | None = None, lock: FairSemaphore = MOTO_LOCK):
        self.app = app if app is not None else DomainDispatcherApplication(create_backend_app)
        self.lock = lock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if is_lambda_invocation(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        _buffer_request_body(environ)
        self.lock.acquire(background=background.is_background(environ))  # a buyer's call goes first
        try:
            # Flask may hand back a lazy iterable whose iteration still runs moto code (and its
            # close() runs teardown): produce the whole body before letting the next request in.
            response = self.app(environ, start_response)
            try:
                return [bytes(chunk) for chunk in response]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
        finally:
            self.lock.release()


# --------------------------------------------------------------------------------------------
# 3. The server
# --------------------------------------------------------------------------------------------


class _QuietRequestHandler(MotoRequestHandler):
    """moto's handler without one access-log line per request (thousands in a sale burst).
    Errors are still logged."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


@dataclass
class MotoServer(BackgroundServer):
    _previous_moto_port: str | None = field(default=None, repr=False)

    def reset(self) -> None:
        """Forget all state of all moto backends (process-wide, like moto's own reset)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        # bandit B310 (urlopen of a file: URL): our own local http URL, never a caller's URL.
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310
            response.read()

    def stop(self) -> None:
        super().stop()
        if os.environ.get("MOTO_PORT") == str(self.port):  # leave another server's setting alone
            if self._previous_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._previous_moto_port


def serve(app: Callable, host: str = "127.0.0.1", port: int = 0) -> MotoServer:
    """Serve any WSGI app (normally a `LockedMotoApp`) from a daemon thread; port 0 = a free port."""
    server, thread = serve_in_background(app, host, port, "moto", request_handler=_QuietRequestHandler)
    previous = os.environ.get("MOTO_PORT")
    # moto's Step Functions interpreter (and Lambda's environment) call moto back on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.server_port)
    return MotoServer(host, server.server_port, server, thread, previous)


def install_fast_paths() -> None:
    """Fast transactions, partition-sized queries, JSON answers and the Step Functions interpreter's
    parsed-once definitions and JSONPaths and one Lambda client (every server of the stack uses them)."""
    install_fast_transactions()
    install_fast_queries()
    install_fast_answers()
    install_fast_step_functions()


def start_moto_server(host: str = "127.0.0.1", port: int = 0) -> MotoServer:
    """moto behind the global lock, with its fast paths, on host:port (0 = pick a free port)."""
    install_fast_paths()
    return serve(LockedMotoApp(), host, port)

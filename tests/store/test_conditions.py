"""Telling a refused condition apart from other write failures, as the repositories do."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import (
    StandingShardItem,
    any_condition_failed,
    is_condition_failure,
    standing_shard_key,
    transaction_connection,
)


def shard(remaining: int = 3) -> StandingShardItem:
    return StandingShardItem(*standing_shard_key("perf-c8m3", 0), capacity=3, remaining=remaining)


def test_a_put_refused_by_its_condition_is_a_condition_failure(local_tables):
    shard().save()
    with pytest.raises(PutError) as refused:
        shard().save(condition=StandingShardItem.pk.does_not_exist())
    assert is_condition_failure(refused.value)


def test_other_errors_are_not_condition_failures():
    assert not is_condition_failure(ValueError("no"))
    assert not is_condition_failure(PutError("throttled"))


def test_a_transaction_with_one_failed_condition_is_told_apart(local_tables):
    shard().save()
    with pytest.raises(TransactWriteError) as refused, TransactWrite(connection=transaction_connection) as transaction:
        transaction.update(
            shard(), actions=[StandingShardItem.remaining.add(-5)], condition=StandingShardItem.remaining >= 5
        )
    assert any_condition_failed(refused.value)
    assert StandingShardItem.get(*standing_shard_key("perf-c8m3", 0), consistent_read=True).remaining == 3


def test_a_transaction_error_without_reasons_is_no_condition_failure():
    assert not any_condition_failed(TransactWriteError("conflict"))

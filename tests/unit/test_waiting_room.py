"""The waiting room's rules: positions from sharded counters, turns by schedule, signed tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.waiting_room import (
    AdmissionExpired,
    AdmissionInvalid,
    NotYourTurn,
    QueueTicket,
    WaitingRoom,
    admission_nonce,
    admit,
    issue_queue_ticket,
    read_admission,
    read_queue_ticket,
)

KEY = b"k" * 48
OPENS = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ROOM = WaitingRoom(rate_per_minute=120, opens_at=OPENS, admission_seconds=600, shards=4)


@given(st.integers(1, 64), st.lists(st.integers(0, 63), max_size=300))
def test_positions_from_sharded_counters_are_unique_and_dense(shards, joins):
    room = WaitingRoom(rate_per_minute=60, opens_at=OPENS, shards=shards)
    counts = [0] * shards
    positions = []
    for shard in (j % shards for j in joins):
        counts[shard] += 1
        positions.append(room.position(shard, counts[shard]))
    assert len(set(positions)) == len(positions)
    # with one shard the line is exactly the order of arrival
    if shards == 1:
        assert positions == list(range(len(positions)))


def test_turns_come_at_the_configured_rate():
    assert ROOM.turn_at(0) == OPENS
    assert ROOM.turn_at(120) == OPENS + timedelta(minutes=1)
    assert ROOM.admitted_so_far(OPENS - timedelta(seconds=1)) == 0
    assert ROOM.admitted_so_far(OPENS + timedelta(seconds=30)) == 61  # positions 0..60
    assert ROOM.people_ahead(100, OPENS + timedelta(seconds=30)) == 39
    assert ROOM.seconds_to_wait(100, OPENS + timedelta(seconds=30)) == 20
    # one asks again at one's turn, or after a minute when that is further
    assert ROOM.poll_seconds(100, OPENS + timedelta(seconds=30)) == 20
    assert ROOM.poll_seconds(100_000, OPENS) == 60 and ROOM.poll_seconds(61, OPENS + timedelta(seconds=30)) == 1


def test_a_room_with_impossible_settings_is_refused_with_each_field():
    with pytest.raises(ValidationFailed) as refused:
        WaitingRoom(rate_per_minute=0, opens_at=OPENS, admission_seconds=5, shards=0)
    assert {e.field for e in refused.value.errors} == {
        "waiting_room.rate_per_minute",
        "waiting_room.admission_seconds",
        "waiting_room.shards",
    }


def test_an_admission_is_given_only_from_the_turn_until_it_lapses():
    ticket = QueueTicket("perf-1", "a" * 64, 240)  # turn at 2 minutes
    with pytest.raises(NotYourTurn):
        admit(KEY, ROOM, ticket, OPENS + timedelta(seconds=119))
    admission, token = admit(KEY, ROOM, ticket, OPENS + timedelta(seconds=120))
    assert admission.expires_at == OPENS + timedelta(seconds=720)
    again, _ = admit(KEY, ROOM, ticket, OPENS + timedelta(seconds=300))
    assert again.nonce == admission.nonce  # asking twice never gives a second admission
    with pytest.raises(AdmissionExpired):
        admit(KEY, ROOM, ticket, OPENS + timedelta(seconds=720))
    read = read_admission(KEY, token, "perf-1", "a" * 64, OPENS + timedelta(seconds=719))
    assert read.position == 240 and read.nonce == admission_nonce(KEY, "perf-1", 240)
    with pytest.raises(AdmissionExpired):
        read_admission(KEY, token, "perf-1", "a" * 64, OPENS + timedelta(seconds=720))


def test_forged_or_borrowed_tokens_are_refused():
    ticket = QueueTicket("perf-1", "a" * 64, 0)
    _, token = admit(KEY, ROOM, ticket, OPENS)
    now = OPENS + timedelta(seconds=1)
    body, mac = token.split(".")
    for bad in (f"{body}.{mac[:-2]}AA", f"{body[:-2]}xx.{mac}", "garbage", "", "a.b.c"):
        with pytest.raises(AdmissionInvalid):
            read_admission(KEY, bad, "perf-1", "a" * 64, now)
    with pytest.raises(AdmissionInvalid):  # signed with another cluster's key
        read_admission(b"other" * 10, token, "perf-1", "a" * 64, now)
    with pytest.raises(AdmissionInvalid):  # another buyer's session
        read_admission(KEY, token, "perf-1", "b" * 64, now)
    with pytest.raises(AdmissionInvalid):  # another performance
        read_admission(KEY, token, "perf-2", "a" * 64, now)
    queue_ticket = issue_queue_ticket(KEY, ticket)
    with pytest.raises(AdmissionInvalid):  # a place in line is not an admission
        read_admission(KEY, queue_ticket, "perf-1", "a" * 64, now)
    with pytest.raises(AdmissionInvalid):  # nor the other way round
        read_queue_ticket(KEY, token, "perf-1", "a" * 64)
    assert read_queue_ticket(KEY, queue_ticket, "perf-1", "a" * 64) == ticket


@given(st.integers(1, 16), st.integers(0, 10_000), st.integers(0, 63))
def test_a_joiner_counted_from_the_floor_never_has_a_turn_in_the_past(shards, seconds, shard):
    room = WaitingRoom(rate_per_minute=90, opens_at=OPENS, shards=shards)
    now = OPENS + timedelta(seconds=seconds)
    shard %= shards
    position = room.position(shard, room.counter_floor(now) + 1)
    assert room.turn_at(position) >= now - timedelta(seconds=60 / room.rate_per_minute)
    assert room.people_ahead(position, now) < 2 * shards  # at most two rounds of the shards ahead

"""Holds and carts against the services, with a fixed clock: taking places, racing for them, expiry."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import EmptyCart, HoldExpired, SeatsUnavailable
from chalicelib.domain.holds import HoldStatus
from chalicelib.services import carts
from chalicelib.services.reservations import get_hold, release_hold, sweep_expired_holds

from .conftest import STANDING_CENTS
from .flows import OTHER_SESSION, SESSION, cart_with, hold_seats, hold_standing, start_checkout


def test_a_hold_gets_a_fresh_id_and_lasts_the_stages_ttl(cluster):
    hold = hold_seats(cluster, "zaal-A-1")

    assert hold.id == "h_0000000000000001"  # made by the ids port
    assert (hold.expires_at - cluster.now).total_seconds() == 900


def test_two_sessions_racing_for_a_seat_only_the_first_gets_it(cluster):
    hold_seats(cluster, "zaal-A-1", "zaal-A-2")

    with pytest.raises(SeatsUnavailable) as taken:
        hold_seats(cluster, "zaal-A-2", "zaal-A-3", session=OTHER_SESSION)

    assert taken.value.taken == ["zaal-A-2"]
    assert hold_seats(cluster, "zaal-A-3", session=OTHER_SESSION).seat_ids == ("zaal-A-3",)  # nothing half-held


def test_a_lapsed_hold_cannot_go_into_a_cart_and_its_seat_is_free_again(cluster):
    hold = hold_seats(cluster, "zaal-A-1")
    cart = carts.create_cart(SESSION, cluster.now)
    cluster.ports.clock.advance(minutes=15, seconds=1)

    with pytest.raises(HoldExpired):
        carts.put_hold(cart.id, SESSION, hold.id, {}, "full", cluster.now)

    assert hold_seats(cluster, "zaal-A-1", session=OTHER_SESSION).seat_ids == ("zaal-A-1",)


def test_a_hold_still_live_a_second_before_its_expiry(cluster):
    hold = hold_seats(cluster, "zaal-A-1")
    cluster.ports.clock.advance(minutes=14, seconds=59)

    with pytest.raises(SeatsUnavailable):
        hold_seats(cluster, "zaal-A-1", session=OTHER_SESSION)
    cart = carts.view_cart(cart_with(cluster, hold), SESSION, cluster.now)

    assert [line.hold_id for line in cart.lines] == [hold.id]


def test_the_sweeper_expires_lapsed_holds_only(cluster):
    lapsing = hold_seats(cluster, "zaal-A-1")
    cluster.ports.clock.advance(minutes=10)
    live = hold_standing(cluster, 2)
    cluster.ports.clock.advance(minutes=6)

    assert sweep_expired_holds(cluster.now) == 1

    assert get_hold(lapsing.id, SESSION).status is HoldStatus.EXPIRED
    assert get_hold(live.id, SESSION).status is HoldStatus.ACTIVE
    assert sweep_expired_holds(cluster.now) == 0  # a second sweep finds nothing more


def test_a_released_hold_gives_its_places_back_at_once(cluster):
    hold = hold_standing(cluster, 10)

    release_hold(hold.id, SESSION, cluster.now)

    assert hold_standing(cluster, 10, session=OTHER_SESSION).quantity == 10
    assert hold_standing(cluster, 10, session=OTHER_SESSION).quantity == 10


def test_a_cart_lists_a_lapsed_hold_apart_and_charges_only_live_places(cluster):
    lapsing = hold_seats(cluster, "zaal-A-1")
    cart_id = cart_with(cluster, lapsing)
    cluster.ports.clock.advance(minutes=10)
    live = hold_standing(cluster, 2)
    carts.put_hold(cart_id, SESSION, live.id, {}, "full", cluster.now)
    cluster.ports.clock.advance(minutes=6)

    cart = carts.view_cart(cart_id, SESSION, cluster.now)

    assert {line.hold_id for line in cart.lines} == {live.id}
    assert cart.expired_hold_ids == (lapsing.id,)
    assert cart.total.cents == 2 * STANDING_CENTS


def test_a_checkout_of_a_cart_whose_holds_all_lapsed_is_refused(cluster):
    cart_id = cart_with(cluster, hold_seats(cluster, "zaal-A-1"))
    cluster.ports.clock.advance(minutes=16)

    with pytest.raises(EmptyCart):
        start_checkout(cluster, cart_id)

    assert cluster.ports.workflows.executions == {}

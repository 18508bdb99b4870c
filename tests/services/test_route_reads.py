"""What the routes ask the services for instead of reading the store: the agenda's filters, a house's own
performances, refunds and desk sales, the payment webhook, rate-limit counting."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.limits import window_at
from chalicelib.ports import InvalidSignature
from chalicelib.services import box_office, catalog, payment_webhooks, rate_limits, refunds, staff_orders, ticketing
from chalicelib.store.limits import RateCounterItem
from tests.fakes import VALID_SIGNATURE

from .conftest import HOUSE, OTHER_HOUSE, SEATED, STANDING
from .flows import SESSION, cart_with, hold_seats, paid_order, run_until_payment, start_checkout


def test_the_agenda_filters_by_house_genre_and_start(cluster):
    later = cluster.seated.starts_at + timedelta(hours=1)

    assert {performance.id for performance in catalog.agenda()} == {SEATED, STANDING}
    assert {performance.id for performance in catalog.agenda(HOUSE, "theatre", end=later)} == {SEATED, STANDING}
    assert catalog.agenda(house_id=OTHER_HOUSE) == []
    assert catalog.agenda(genre="music") == []
    assert catalog.agenda(start=later) == []


def test_another_houses_performance_is_not_found_by_its_staff(cluster):
    assert catalog.performance_for_staff(HOUSE, SEATED).id == SEATED
    with pytest.raises(NotFound):
        catalog.performance_for_staff(OTHER_HOUSE, SEATED)


def test_a_refund_is_shown_to_the_house_whose_tickets_it_refunds_only(cluster):
    order = paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    refund = refunds.request_refund(HOUSE, order.id, None, "customer_request", "staff", cluster.now)

    assert staff_orders.house_refund(HOUSE, order.id, refund.refund_id).refund_id == refund.refund_id
    with pytest.raises(NotFound):
        staff_orders.house_refund(OTHER_HOUSE, order.id, refund.refund_id)


def test_only_the_desk_that_sold_it_prints_a_sale(cluster):
    cart_id = cart_with(cluster, hold_seats(cluster, "zaal-A-1", "zaal-A-2"))
    sale = box_office.desk_sale(HOUSE, cart_id, SESSION, "cash", None, False, False, "nl", cluster.now)
    online = paid_order(cluster, hold_seats(cluster, "zaal-B-1"))

    (document,) = ticketing.desk_sale_documents(HOUSE, sale.id, "nl")
    assert len(document.tickets) == 2
    with pytest.raises(NotFound):
        ticketing.desk_sale_documents(OTHER_HOUSE, sale.id, "nl")
    with pytest.raises(NotFound):  # an online order is no desk's sale
        ticketing.desk_sale_documents(HOUSE, online.id, "nl")


def test_a_webhook_is_applied_and_recorded_once_per_event_and_a_forged_one_refused(cluster):
    order = start_checkout(cluster, cart_with(cluster, hold_seats(cluster, "zaal-A-1")))
    intent_id = run_until_payment(cluster, order.id)
    body = json.dumps(cluster.ports.payments.pay(intent_id)).encode()

    with pytest.raises(InvalidSignature):
        payment_webhooks.receive(body, "t=1,v1=9f2c4e7a1b", cluster.now)
    event, fresh = payment_webhooks.receive(body, VALID_SIGNATURE, cluster.now)
    _, again = payment_webhooks.receive(body, VALID_SIGNATURE, cluster.now)

    assert event["data"]["object"]["id"] == intent_id
    assert (fresh, again) == (True, False)


def test_rate_limit_counters_stop_at_the_limit_and_never_keep_the_client(cluster):
    window = window_at(cluster.now, 60)
    client = "198.51.100.23"

    assert [rate_limits.take("ADDR", client, window, 2) for _ in range(3)] == [True, True, False]
    assert all(client not in item.pk for item in RateCounterItem.scan())

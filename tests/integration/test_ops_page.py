"""The embedded stack's ops page shows the dashboard's metrics from the gateway's EMF lines."""

from __future__ import annotations

import time

import requests

from .conftest import Client, buyer_session


def test_holds_made_through_the_api_appear_on_the_ops_page(stack, house, small_hall):
    before = requests.get(stack.ops.url + ".json", timeout=10).json()["totals"].get("HoldsCreated", 0)
    performance = house.performance(small_hall)
    seat = small_hall["seats"][1]["id"]
    response = Client(stack.api_url, session_token=buyer_session()).post(
        f"/performances/{performance['id']}/holds", {"seats": [seat]}
    )
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + 10
    while True:
        data = requests.get(stack.ops.url + ".json", timeout=10).json()
        if data["totals"].get("HoldsCreated", 0) >= before + 1 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert data["totals"].get("HoldsCreated", 0) >= before + 1
    assert "AvailabilityDeadLetterQueue" in data["queues"]
    page = requests.get(stack.ops.url, timeout=10)
    assert page.status_code == 200 and "Checkout funnel" in page.text

"""The local ops page sums the EMF records of the gateway and the supervisor per minute."""

from __future__ import annotations

import io
import json
import threading
import time

from werkzeug.test import Client

from scripts.embedded.ops import EmfAggregator, EmfTee, follow, ops_app


def emf(name: str, value: float, timestamp_ms: int, namespace: str = "Podium") -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [
                    {"Namespace": namespace, "Dimensions": [["service"]], "Metrics": [{"Name": name, "Unit": "Count"}]}
                ],
            },
            "service": "podium",
            name: value,
        }
    )


def test_points_are_summed_per_minute_and_other_lines_ignored():
    now = 1_800_000_000.0  # a minute boundary plus nothing
    minute_ms = int(now // 60) * 60000
    aggregator = EmfAggregator()
    assert aggregator.feed(emf("TicketsIssued", 2, minute_ms + 1000))
    assert aggregator.feed(emf("TicketsIssued", 3, minute_ms + 59000))
    assert aggregator.feed(emf("TicketsIssued", 4, minute_ms - 1000))  # the minute before
    assert aggregator.feed(emf("RevenueCents", 4500, minute_ms + 2000))
    assert not aggregator.feed('{"level": "INFO", "message": "hold created"}')
    assert not aggregator.feed("Traceback (most recent call last):")
    assert not aggregator.feed('{"_aws": broken')
    buckets = aggregator.per_minute(3, now=now)
    assert [b["minute"] for b in buckets] == [int(now // 60) - 2, int(now // 60) - 1, int(now // 60)]
    assert buckets[-1]["metrics"] == {"TicketsIssued": 5, "RevenueCents": 4500}
    assert buckets[-2]["metrics"] == {"TicketsIssued": 4}
    assert aggregator.totals(3, now=now) == {"TicketsIssued": 9, "RevenueCents": 4500}
    assert aggregator.records == 4 and aggregator.namespaces == {"Podium"}


def test_a_record_with_several_values_counts_each():
    aggregator = EmfAggregator()
    record = json.loads(emf("HoldConflicts", 1, int(time.time() * 1000)))
    record["HoldConflicts"] = [1, 1, 2]
    aggregator.feed(json.dumps(record))
    assert aggregator.totals(1) == {"HoldConflicts": 4}


def test_the_tee_passes_stdout_on_and_feeds_whole_lines():
    target, aggregator = io.StringIO(), EmfAggregator()
    tee = EmfTee(target, aggregator)
    line = emf("HoldsCreated", 1, int(time.time() * 1000))
    tee.write("starting\n" + line[:20])
    assert aggregator.records == 0
    tee.write(line[20:] + "\n")
    assert aggregator.totals(1) == {"HoldsCreated": 1}
    assert target.getvalue() == "starting\n" + line + "\n"


def test_the_gateway_log_is_followed_from_its_end(tmp_path):
    log = tmp_path / "gateway.log"
    log.write_text(emf("PaymentFailures", 7, int(time.time() * 1000)) + "\n")  # before the stack started
    aggregator, stopping = EmfAggregator(), threading.Event()
    follow(log, aggregator, stopping, interval=0.05)
    time.sleep(0.2)
    with log.open("a") as out:
        out.write(emf("PaymentFailures", 1, int(time.time() * 1000)) + "\n")
    deadline = time.monotonic() + 5
    while aggregator.records < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    stopping.set()
    assert aggregator.totals(1) == {"PaymentFailures": 1}


def test_the_page_shows_the_dashboard_panels_and_queue_depths():
    aggregator = EmfAggregator()
    aggregator.feed(emf("OrdersCompleted", 3, int(time.time() * 1000)))
    aggregator.feed(emf("UitpasEventsFailed", 1, int(time.time() * 1000)))
    client = Client(ops_app(aggregator, lambda: {"AvailabilityQueue": 2, "AvailabilityDeadLetterQueue": 0}))
    page = client.get("/ops").get_data(as_text=True)
    for text in (
        "Checkout funnel",
        "Tickets and revenue per minute",
        "Hold conflicts",
        "Payment failures",
        "OrdersCompleted",
        "UitpasEventsFailed",
        "AvailabilityDeadLetterQueue",
    ):
        assert text in page
    data = json.loads(client.get("/ops.json").get_data(as_text=True))
    assert data["totals"]["OrdersCompleted"] == 3 and data["queues"]["AvailabilityQueue"] == 2

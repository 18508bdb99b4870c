"""Powertools output of the gateway: JSON logs with a correlation id, EMF metrics for holds."""

from __future__ import annotations

import json
import time

from .conftest import Client, buyer_session


def log_records(stack) -> list[dict]:
    records = []
    for line in stack.gateway_log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    return records


def test_holds_and_conflicts_are_logged_as_json_and_counted_as_metrics(stack, house, small_hall):
    performance = house.performance(small_hall)
    path = f"/performances/{performance['id']}/holds"
    seat = small_hall["seats"][0]["id"]
    hold = Client(stack.api_url, session_token=buyer_session()).post(path, {"seats": [seat]}).json()
    assert Client(stack.api_url, session_token=buyer_session()).post(path, {"seats": [seat]}).status_code == 409
    time.sleep(0.5)  # the gateway writes its log asynchronously
    records = log_records(stack)
    created = [r for r in records if r.get("message") == "hold created" and r.get("hold_id") == hold["id"]]
    assert created, "no JSON log line for the hold"
    assert created[0]["service"] == "podium" and created[0]["level"] == "INFO"
    assert created[0]["function_request_id"] and created[0]["performance_id"] == performance["id"]
    metrics = [r for r in records if "_aws" in r]
    names = {m["Name"] for r in metrics for d in r["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"HoldsCreated", "PlacesHeld", "HoldConflicts"} <= names
    assert all(d["Namespace"] == "Podium" for r in metrics for d in r["_aws"]["CloudWatchMetrics"])
    # buyers' session tokens never reach the logs
    assert not any("X-Podium-Session" in json.dumps(r) for r in created)

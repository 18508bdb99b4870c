"""Settlement over HTTP: statements per house, one Stripe Connect transfer each, never twice."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.web.auth import Role, issue_token

from .checkout_helpers import poll, provider_client, vat_in
from .conftest import Client
from .test_refunds import paid_order, wait_for_refund


def cents(document):
    """A statement answer with its money figures back in plain cents, to compare with the ledger."""
    if isinstance(document, dict):
        if set(document) == {"amount", "currency"}:
            return document["amount"]
        return {key: cents(value) for key, value in document.items()}
    if isinstance(document, list):
        return [cents(value) for value in document]
    return document


def coordinator(stack, signing_key) -> Client:
    return Client(stack.api_url, issue_token(signing_key, "coordinator", Role.COORDINATOR, None))


def next_period_start(boss: Client) -> datetime:
    """Periods follow one another: a test's period starts where the last one ended."""
    ends = [
        datetime.fromisoformat(p["ends_at"].replace("Z", "+00:00"))
        for p in boss.get("/staff/settlements").json()["periods"]
    ]
    return max(ends, default=datetime.now(UTC) - timedelta(days=1))


def wait_settled(boss: Client, period_id: str, timeout: float = 600) -> dict:
    # Generous: every run gathers every house of the suite's cluster (hundreds by now) on 2 cores.
    return poll(
        lambda: boss.get(f"/staff/settlements/{period_id}").json(),
        lambda period: period["status"] == "settled",
        timeout,
        interval=0.2,
        what=f"period {period_id} settled",
    )


@pytest.fixture(scope="module", autouse=True)
def settled_until_now(stack, signing_key):
    """Settle everything the suite sold so far, once, so each test's period holds only its own sales."""
    boss = coordinator(stack, signing_key)
    ends_at = datetime.now(UTC)
    time.sleep(0.05)
    answer = boss.post(
        "/staff/settlements", {"starts_at": next_period_start(boss).isoformat(), "ends_at": ends_at.isoformat()}
    )
    assert answer.status_code == 202, answer.text
    wait_settled(boss, answer.json()["period_id"], timeout=900)


def test_two_concurrent_runs_of_a_period_pay_each_house_its_statement_exactly_once(stack, signing_key):
    boss = coordinator(stack, signing_key)
    starts_at = next_period_start(boss)
    _, order_id, view, (theatre, club), (seated, standing), intent = paid_order(stack, signing_key, seats=2, places=2)
    refund = theatre.admin.post(
        f"/staff/orders/{order_id}/refunds",
        {"ticket_ids": [next(t["ticket_id"] for t in view["tickets"] if t["house_id"] == theatre.id)]},
    ).json()
    wait_for_refund(theatre.admin, order_id, refund["refund_id"])
    ends_at = datetime.now(UTC)
    time.sleep(0.05)
    body = {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}

    answers = []
    barrier = threading.Barrier(2)

    def settle():
        barrier.wait()
        answers.append(boss.post("/staff/settlements", body))

    threads = [threading.Thread(target=settle) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    period_id = answers[0].json()["period_id"]
    assert answers[1].json()["period_id"] == period_id
    settled = wait_settled(boss, period_id)
    time.sleep(1)  # let the slower run finish its (idempotent) transfers too

    transfers = (
        provider_client(stack).v1.transfers.list({"transfer_group": f"settlement:{period_id}", "limit": 100}).data
    )
    by_house = {}
    for transfer in transfers:
        by_house.setdefault(transfer.metadata["house_id"], []).append(transfer)
    assert len(by_house[theatre.id]) == 1 and len(by_house[club.id]) == 1

    statement = theatre.admin.get(f"/staff/statements/{period_id}").json()
    assert (
        statement["transferred"] == statement["closing_balance"] and statement["lines"][0]["gross"]["currency"] == "EUR"
    )
    statement = cents(statement)
    fee_share = statement["totals"]["fees"]
    assert statement["house_id"] == theatre.id and statement["opening_balance"] == 0
    assert statement["totals"]["gross"] == 5600 and statement["totals"]["refunds"] == 2800
    assert statement["totals"]["vat"] == vat_in(2800)
    assert statement["closing_balance"] == 2800 - fee_share == by_house[theatre.id][0].amount
    assert statement["status"] == "paid" and statement["transfer_id"] == by_house[theatre.id][0].id
    lines = statement["lines"]
    assert [(row["performance_id"], row["tickets_sold"], row["tickets_refunded"]) for row in lines] == [
        (seated["id"], 2, 1)
    ]
    club_statement = cents(club.admin.get(f"/staff/statements/{period_id}").json())
    assert club_statement["closing_balance"] == 3000 - club_statement["totals"]["fees"] == by_house[club.id][0].amount
    # the provider's fee of the order is borne by the two owning houses together
    assert fee_share + club_statement["totals"]["fees"] == 25 + (8600 * 150 + 5000) // 10000
    assert {s["house_id"] for s in settled["statements"]} >= {theatre.id, club.id}

    # a third run of the period pays nobody again
    assert boss.post("/staff/settlements", body).status_code == 202
    time.sleep(3)
    again = provider_client(stack).v1.transfers.list({"transfer_group": f"settlement:{period_id}", "limit": 100}).data
    assert len(again) == len(transfers)


def test_a_house_reads_only_its_own_statements_in_every_format(stack, signing_key):
    boss = coordinator(stack, signing_key)
    starts_at = next_period_start(boss)
    _, order_id, view, (theatre, club), (seated, standing), _ = paid_order(stack, signing_key, seats=1, places=1)
    ends_at = datetime.now(UTC)
    time.sleep(0.05)
    period_id = boss.post(
        "/staff/settlements", {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}
    ).json()["period_id"]
    wait_settled(boss, period_id)
    own = theatre.admin.get(f"/staff/statements/{period_id}").json()
    assert own["house_id"] == theatre.id
    assert [s["period_id"] for s in theatre.admin.get("/staff/statements").json()["statements"]] == [period_id]
    # another house's staff get their own statement, never the theatre's; house staff cannot see the run
    assert club.admin.get(f"/staff/statements/{period_id}").json()["house_id"] == club.id
    assert club.admin.get(f"/staff/settlements/{period_id}").status_code == 403
    assert (
        Client(stack.api_url, theatre.token_for(Role.BOX_OFFICE)).get(f"/staff/statements/{period_id}").status_code
        == 403
    )

    csv_text = theatre.admin.get(f"/staff/statements/{period_id}", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("Huis;Periode;performance_id;Voorstelling")
    assert f";{seated['id']};Testvoorstelling;full;1;0;2800;" in csv_text
    pdf = theatre.admin.get(f"/staff/statements/{period_id}", params={"format": "pdf"})
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    page = theatre.admin.get(
        f"/staff/statements/{period_id}", params={"format": "html"}, headers={"Accept-Language": "fr"}
    )
    assert "Décompte" in page.text and f"Huis {theatre.id}" in page.text and "28,00" in page.text
    # an overlapping or back-dated period is refused: it would pay some money twice
    overlap = boss.post(
        "/staff/settlements",
        {"starts_at": (starts_at - timedelta(hours=1)).isoformat(), "ends_at": ends_at.isoformat()},
    )
    assert overlap.status_code == 409


def test_the_coordinator_sets_the_agreement_and_bad_rules_are_field_errors(stack, signing_key, house):
    boss = coordinator(stack, signing_key)
    current = boss.get("/staff/agreement").json()
    bad = boss.request(
        "PUT",
        "/staff/agreement",
        json={"version": current["version"], "commission": {"kind": "percent", "value": 20000}},
    )
    assert bad.status_code == 422
    assert house.admin.request("PUT", "/staff/agreement", json={"version": current["version"]}).status_code == 403
    stale = boss.request("PUT", "/staff/agreement", json={"version": current["version"] + 5})
    assert stale.status_code == 409
    assert boss.get("/staff/agreement").json() == current


def test_a_transfer_that_keeps_failing_fails_the_run_and_a_second_run_resumes_it(stack, signing_key):
    from scripts.embedded import resources

    boss = coordinator(stack, signing_key)
    starts_at = next_period_start(boss)
    _, _, _, (theatre, club), _, _ = paid_order(stack, signing_key, seats=1, places=1)
    ends_at = datetime.now(UTC)
    time.sleep(0.05)
    body = {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}
    stack.payments.inject("/v1/transfers", status=500, count=1000, method="POST")
    try:
        first = boss.post("/staff/settlements", body).json()
        sfn = resources.client("stepfunctions", stack.moto.url)
        arn = stack.refs["SettlementStateMachine"].replace(":stateMachine:", ":execution:") + f":{first['run']}"
        deadline = time.monotonic() + 300  # the run gathers every house of the suite first
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert sfn.describe_execution(executionArn=arn)["status"] == "FAILED"  # the alarm's signal
    finally:
        stack.payments.clear_faults()
    period = boss.get(f"/staff/settlements/{first['period_id']}").json()
    assert period["status"] == "settling"
    assert any(s["status"] == "to_pay" for s in period["statements"] if s["house_id"] == theatre.id)
    boss.post("/staff/settlements", body)  # resume
    settled = wait_settled(boss, first["period_id"])
    paid = {s["house_id"]: s for s in settled["statements"]}
    assert paid[theatre.id]["status"] == "paid" and paid[club.id]["status"] == "paid"
    transfers = (
        provider_client(stack)
        .v1.transfers.list({"transfer_group": f"settlement:{first['period_id']}", "limit": 100})
        .data
    )
    assert sorted(
        t.metadata["house_id"] for t in transfers if t.metadata["house_id"] in (theatre.id, club.id)
    ) == sorted([theatre.id, club.id])

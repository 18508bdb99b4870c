"""E-mails sent through moto's SES server and read back over HTTP from the local outbox.

This test runs its own moto server and outbox (not the session's `stack`) and points boto3 at
them only for the duration of each test.
"""

from __future__ import annotations

import secrets
import urllib.parse
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import pytest
import requests

from chalicelib.domain.money import Money
from chalicelib.notifications import send_refund_notice, send_tickets
from chalicelib.settings import get_settings
from chalicelib.tickets.pdf import OrderDocument, TicketDocument, order_pdf
from scripts.embedded.motoserver import start_moto_server
from scripts.embedded.outbox import start_outbox, unwatch_erasures, verify_sender, watch_erasures

BRUSSELS = ZoneInfo("Europe/Brussels")
PREFERENCES = (
    "https://tickets.example.be/p/preferences?lang=en#t=bu_0123abcd.o_404.n7c2e.6a0b1c2d.Qm9uZC1zaWcta2V5LTA0MDQ"
)


@pytest.fixture(scope="module")
def local_mail():
    moto = start_moto_server("127.0.0.1", 0)
    outbox = start_outbox("127.0.0.1", 0)
    yield moto, outbox
    outbox.stop()
    moto.stop()


@pytest.fixture
def mail(local_mail, monkeypatch):
    """boto3 sent to this test's moto with fake credentials; monkeypatch puts the environment back."""
    moto, outbox = local_mail
    for name, value in {
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PODIUM_MAIL_FROM", raising=False)
    verify_sender(moto.url, get_settings().mail_from)
    return outbox


def order_documents(order_id: str) -> list[OrderDocument]:
    def ticket(index: int, seat: int | None) -> TicketDocument:
        return TicketDocument(
            ticket_id=f"t_{order_id}_{index}",
            payload=f"PODIUM-TEST.{order_id}.{index}",
            tariff_name="Volwassene",
            price_cents=2500,
            section="Balkon" if seat else None,
            row="B" if seat else None,
            number=seat,
        )

    return [
        OrderDocument(
            order_id=order_id,
            house_name="Het Paleis",
            production_title="De kersentuin",
            venue_name="Grote zaal",
            starts_at=datetime(2026, 12, 12, 20, 0, tzinfo=BRUSSELS),
            tickets=(ticket(1, 7), ticket(2, 8)),
        ),
        OrderDocument(
            order_id=order_id,
            house_name="Théâtre Élégance",
            production_title="Nuit d'été",
            venue_name="Kleine zaal",
            starts_at=datetime(2027, 1, 9, 15, 0, tzinfo=BRUSSELS),
            tickets=(ticket(3, None),),
        ),
    ]


def listed(outbox, subject: str) -> dict:
    # The moto backends are process-wide: other tests' e-mails may be listed too, so find ours by subject.
    response = requests.get(f"{outbox.url}/messages.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    (entry,) = [entry for entry in response.json() if entry["subject"] == subject]
    return entry


def test_tickets_of_a_two_performance_order_arrive_in_the_outbox_with_both_pdfs(mail):
    order_id = f"o_{secrets.token_hex(4)}"
    address = f"buyer-{order_id}@example.be"

    message_id = send_tickets(
        address,
        "Ann Peeters",
        "nl",
        order_id,
        order_documents(order_id),
        Money(7500),
        manage_url=f"https://tickets.example.be/orders/{order_id}",
        preferences_url=PREFERENCES,
        render_pdf=order_pdf,
    )

    entry = listed(mail, f"Je tickets — bestelling {order_id}")
    assert entry["ses_message_id"] == message_id
    assert address in entry["to"] and "Ann Peeters" in entry["to"]
    assert entry["from"] == "tickets@podium.local"
    assert entry["attachments"] == [f"tickets-{order_id}-1.pdf", f"tickets-{order_id}-2.pdf"]
    for index, filename in enumerate(entry["attachments"], start=1):
        attachment = requests.get(f"{mail.url}/messages/{entry['id']}/attachments/{index}", timeout=10)
        assert attachment.status_code == 200
        assert attachment.headers["Content-Type"] == "application/pdf"
        assert filename in urllib.parse.unquote(attachment.headers["Content-Disposition"])
        assert attachment.content.startswith(b"%PDF")

    page = requests.get(f"{mail.url}/messages/{entry['id']}", timeout=10)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text and "<script" not in page.text
    assert "za 12 december 2026, 20:00" in page.text and "za 9 januari 2027, 15:00" in page.text
    raw = requests.get(f"{mail.url}/messages/{entry['id']}/raw", timeout=10)
    assert raw.headers["Content-Type"].startswith("message/rfc822")
    assert "multipart/mixed" in raw.text
    html = requests.get(f"{mail.url}/messages/{entry['id']}/html", timeout=10)
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert "De kersentuin" in html.text
    assert f'href="{PREFERENCES}"' in html.text  # every e-mail: the buyer's consents, export and erasure

    index = requests.get(f"{mail.url}/", timeout=10)
    assert index.status_code == 200 and f"/messages/{entry['id']}" in index.text


def test_refund_notice_arrives_in_the_outbox_in_french(mail):
    order_id = f"o_{secrets.token_hex(4)}"

    send_refund_notice(
        f"buyer-{order_id}@example.be",
        "Luc Dubois",
        "fr",
        order_id,
        Money(2500),
        "seats_lost",
        preferences_url=PREFERENCES,
    )

    entry = listed(mail, f"Remboursement — commande {order_id}")
    assert entry["attachments"] == []
    page = requests.get(f"{mail.url}/messages/{entry['id']}", timeout=10)
    assert "25,00\u00a0€" in page.text
    assert "Nous vous avons donc remboursé intégralement" in page.text


def test_deleting_a_buyers_record_from_the_customer_table_erases_their_mails_from_the_outbox(mail):
    order_id = f"o_{secrets.token_hex(4)}"
    erased, kept = f"gone-{order_id}@example.be", f"stays-{order_id}@example.be"
    table = f"erasure-{order_id}"  # a table of this test only: moto's backends are process-wide
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("PK", "SK")],
        BillingMode="PAY_PER_REQUEST",
    )
    for address in (erased, kept):
        item = {"PK": {"S": "HOUSE#h1"}, "SK": {"S": address}, "email": {"S": address}}
        dynamodb.put_item(TableName=table, Item=item)
        send_refund_notice(address, "Ann", "en", order_id, Money(100), "refunded_by_house", preferences_url=PREFERENCES)
    watch_erasures(table)
    try:
        # as the erasure workflow's Forget step removes the record: the outbox is told nothing else
        dynamodb.delete_item(TableName=table, Key={"PK": {"S": "HOUSE#h1"}, "SK": {"S": erased}})
    finally:
        unwatch_erasures(table)
    listed_to = [entry["to"] for entry in requests.get(f"{mail.url}/messages.json", timeout=10).json()]
    assert not [to for to in listed_to if erased in to]
    assert len([to for to in listed_to if kept in to]) == 1


def test_the_outbox_answers_404_for_a_message_or_attachment_that_does_not_exist(mail):
    assert requests.get(f"{mail.url}/messages/999999", timeout=10).status_code == 404
    send_refund_notice(
        "buyer@example.be", "Ann", "en", "o_404", Money(100), "refunded_by_house", preferences_url=PREFERENCES
    )
    entry = listed(mail, "Refund — order o_404")
    assert requests.get(f"{mail.url}/messages/{entry['id']}/attachments/1", timeout=10).status_code == 404

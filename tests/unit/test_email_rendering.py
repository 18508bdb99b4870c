"""Buyer e-mails: real Jinja2 rendering in nl/fr/en, escaping, and the MIME message handed to SES (faked)."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from chalicelib import ports
from chalicelib.adapters.ses_mail import SesMail
from chalicelib.domain.money import Money
from chalicelib.notifications import EmailNotSent, send_refund_notice, send_tickets
from chalicelib.notifications.rendering import render_preferences_link, render_refund, render_tickets
from chalicelib.notifications.texts import REFUND_REASONS, email_language
from chalicelib.tickets.pdf import OrderDocument, TicketDocument, order_pdf

BRUSSELS = ZoneInfo("Europe/Brussels")
NBSP = "\u00a0"


def ticket(ticket_id: str, price_cents: int, seat: int | None = None) -> TicketDocument:
    if seat is None:
        return TicketDocument(
            ticket_id=ticket_id, payload=f"PODIUM-TEST.{ticket_id}", tariff_name="Staan", price_cents=price_cents
        )
    return TicketDocument(
        ticket_id=ticket_id,
        payload=f"PODIUM-TEST.{ticket_id}",
        tariff_name="Volwassene",
        price_cents=price_cents,
        section="Parterre",
        row="K",
        number=seat,
    )


# 19:00 UTC on 12 December is 20:00 in Brussels (winter time): the e-mail must show the house's clock.
CHERRY = OrderDocument(
    order_id="o_mail1",
    house_name="Het Paleis",
    production_title="De kersentuin",
    venue_name="Grote zaal",
    starts_at=datetime(2026, 12, 12, 19, 0, tzinfo=UTC),
    tickets=(ticket("t_a", 2800, 14), ticket("t_b", 2800, 15)),
)
# 18:30 UTC on 3 July is 20:30 in Brussels (summer time).
CONCERT = OrderDocument(
    order_id="o_mail1",
    house_name="Théâtre Élégance",
    production_title="Nuit d'été & co",
    venue_name="Kleine zaal",
    starts_at=datetime(2026, 7, 3, 18, 30, tzinfo=UTC),
    tickets=(ticket("t_c", 1200),),
)
TOTAL = Money(6800)
PREFERENCES = (
    "https://tickets.example.be/p/preferences?lang=nl#t=bu_0123abcd.o_mail1.n7c2e.6a0b1c2d.TWFpbC1zaWcta2V5LTAwMDE"
)

EXPECTED = {
    "nl": {
        "subject": "Je tickets — bestelling o_mail1",
        "greeting": "Beste Ann Peeters,",
        "when": ("za 12 december 2026, 20:00", "vr 3 juli 2026, 20:30"),
        "counts": ("2 tickets", "1 ticket"),
        "total": f"Totaal: €{NBSP}68,00",
    },
    "fr": {
        "subject": "Vos billets — commande o_mail1",
        "greeting": "Bonjour Ann Peeters,",
        "when": ("sam. 12 décembre 2026 à 20:00", "ven. 3 juillet 2026 à 20:30"),
        "counts": ("2 billets", "1 billet"),
        "total": f"Total{NBSP}: 68,00{NBSP}€",
    },
    "en": {
        "subject": "Your tickets — order o_mail1",
        "greeting": "Dear Ann Peeters,",
        "when": ("Sat 12 December 2026, 20:00", "Fri 3 July 2026, 20:30"),
        "counts": ("2 tickets", "1 ticket"),
        "total": "Total: €68.00",
    },
}


def assert_no_placeholders(rendered) -> None:
    for body in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in body and "{%" not in body and "}}" not in body
    # The plain text has no markup at all, so any brace would be a format placeholder left behind.
    assert not re.search(r"[{}]", rendered.text)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_tickets_email_lists_each_performance_in_brussels_time_with_counts_and_total(language):
    rendered = render_tickets(
        "Ann Peeters",
        language,
        "o_mail1",
        [CHERRY, CONCERT],
        TOTAL,
        manage_url="https://tickets.example.be/orders/o_mail1",
    )
    expected = EXPECTED[language]

    assert rendered.language == language
    assert rendered.subject == expected["subject"]
    assert f'<html lang="{language}">' in rendered.html
    for body in (rendered.text, rendered.html):
        assert expected["greeting"] in body
        assert "o_mail1" in body
        for when, count in zip(expected["when"], expected["counts"]):
            assert when in body
            assert count in body
        assert "Het Paleis — Grote zaal" in body
        assert "Théâtre Élégance — Kleine zaal" in body
        assert expected["total"] in body
        assert "https://tickets.example.be/orders/o_mail1" in body
    assert "De kersentuin" in rendered.text and "De kersentuin" in rendered.html
    assert_no_placeholders(rendered)


def test_tickets_email_in_an_unknown_language_is_dutch_and_a_regional_tag_keeps_its_language():
    assert render_tickets("Ann", "de", "o_mail1", [CHERRY], Money(5600)).language == "nl"
    assert render_tickets("Ann", "", "o_mail1", [CHERRY], Money(5600)).subject == "Je tickets — bestelling o_mail1"
    assert email_language("fr-BE") == "fr"
    assert email_language("EN_gb") == "en"


def test_a_production_title_with_a_script_tag_is_escaped_in_the_html_and_literal_in_the_text():
    hostile = OrderDocument(
        order_id="o_x",
        house_name="Huis <b>vet</b>",
        production_title="<script>alert(1)</script>",
        venue_name='Zaal "A"',
        starts_at=datetime(2026, 12, 12, 20, 0, tzinfo=BRUSSELS),
        tickets=(ticket("t_x", 1000, 1),),
    )
    rendered = render_tickets("<img src=x onerror=alert(2)>", "nl", "o_x", [hostile], Money(1000))

    assert "<script" not in rendered.html and "<img" not in rendered.html and "<b>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&lt;img src=x onerror=alert(2)&gt;" in rendered.html
    assert "Zaal &#34;A&#34;" in rendered.html
    # Plain text is shown as is by every mail client: escaping it would print "&lt;" to the buyer.
    assert "<script>alert(1)</script>" in rendered.text
    assert_no_placeholders(rendered)


def test_only_a_web_address_becomes_the_manage_link():
    with pytest.raises(ValueError):
        render_tickets("Ann", "nl", "o_mail1", [CHERRY], Money(5600), manage_url="javascript:alert(1)")
    without = render_tickets("Ann", "nl", "o_mail1", [CHERRY], Money(5600))
    assert "<a " not in without.html and "bekijken" not in without.text


@pytest.mark.parametrize(
    "language, reason, sentence",
    [
        ("nl", "seats_lost", "Daarom hebben we je volledig terugbetaald: je betaalt er niets voor."),
        ("fr", "seats_lost", "Nous vous avons donc remboursé intégralement : vous ne payez rien."),
        ("en", "seats_lost", "so we refunded you in full: you pay nothing for it."),
        ("nl", "refunded_by_house", "De organisator heeft je bestelling (of een deel ervan) terugbetaald."),
        ("fr", "refunded_by_house", "L'organisateur a remboursé votre commande"),
        ("en", "refunded_by_house", "The organiser has refunded your order (or part of it)."),
        ("nl", "performance_cancelled", "De voorstelling is geannuleerd."),
        ("fr", "performance_cancelled", "La représentation est annulée."),
        ("en", "performance_cancelled", "The performance has been cancelled, so we refunded your tickets in full."),
    ],
)
def test_refund_notice_says_how_much_and_why_in_the_buyers_language(language, reason, sentence):
    rendered = render_refund("Ann Peeters", language, "o_mail1", Money(2800), reason)
    amount = {"nl": f"€{NBSP}28,00", "fr": f"28,00{NBSP}€", "en": "€28.00"}[language]
    subject = {
        "nl": "Terugbetaling — bestelling o_mail1",
        "fr": "Remboursement — commande o_mail1",
        "en": "Refund — order o_mail1",
    }[language]

    assert rendered.subject == subject
    assert sentence in rendered.text
    assert sentence.replace("'", "&#39;") in rendered.html
    assert amount in rendered.text and amount in rendered.html
    assert_no_placeholders(rendered)


@pytest.mark.parametrize(
    "language, label",
    [("nl", "Je gegevens en keuzes"), ("fr", "Vos données et vos choix"), ("en", "Your details and choices")],
)
def test_every_email_ends_with_the_buyers_preferences_link_in_their_language(language, label):
    for rendered in (
        render_tickets("Ann Peeters", language, "o_mail1", [CHERRY], TOTAL, preferences_url=PREFERENCES),
        render_refund("Ann Peeters", language, "o_mail1", Money(2800), "seats_lost", preferences_url=PREFERENCES),
        render_preferences_link(language, PREFERENCES),
    ):
        assert PREFERENCES in rendered.text.split("\n-- \n")[1]  # below the signature separator
        assert f'<a href="{PREFERENCES.replace("&", "&amp;")}" style="color:#2b1b3f">{label}</a>' in rendered.html
        assert_no_placeholders(rendered)
    with pytest.raises(ValueError):
        render_refund("Ann", "nl", "o_mail1", Money(100), "seats_lost", preferences_url="javascript:alert(1)")


def test_refund_reasons_are_a_closed_set():
    assert set(REFUND_REASONS) == {"seats_lost", "refunded_by_house", "performance_cancelled"}
    with pytest.raises(ValueError, match="unknown refund reason"):
        render_refund("Ann", "nl", "o_mail1", Money(100), "changed_my_mind")


class FakeSes:
    """Records what would go to SES send_raw_email."""

    def __init__(self, error: ClientError | None = None):
        self.calls: list[dict] = []
        self.error = error

    def send_raw_email(self, **arguments):
        self.calls.append(arguments)
        if self.error is not None:
            raise self.error
        return {"MessageId": f"fake-{len(self.calls)}"}


@pytest.fixture
def mail_through():
    """Installs the SES mail adapter with a given fake SES client; the ports are put back after the test."""
    previous = ports.installed()
    yield lambda ses: ports.install(mail=SesMail(lambda: ses))
    ports.restore(previous)


@pytest.fixture
def fake_ses(mail_through):
    ses = FakeSes()
    mail_through(ses)
    return ses


def test_tickets_message_is_text_and_html_with_one_pdf_per_document(fake_ses, caplog):
    message_id = send_tickets(
        "ann.peeters@example.be",
        "Ann Peeters",
        "fr",
        "o_mail1",
        [CHERRY, CONCERT],
        TOTAL,
        preferences_url=PREFERENCES,
        render_pdf=order_pdf,
    )

    assert message_id == "fake-1"
    (call,) = fake_ses.calls
    assert call["Source"] == "tickets@podium.local"
    assert call["Destinations"] == ["ann.peeters@example.be"]
    raw = call["RawMessage"]["Data"]
    raw.decode("ascii")  # 7-bit: headers encoded, bodies quoted-printable or base64
    message = email.message_from_bytes(raw, policy=default_policy)
    assert message.get_content_type() == "multipart/mixed"
    assert message["Subject"] == "Vos billets — commande o_mail1"
    assert message["To"].addresses[0].addr_spec == "ann.peeters@example.be"
    assert message["Content-Language"] == "fr"
    alternative, *attachments = message.iter_parts()
    assert [part.get_content_type() for part in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert "ven. 3 juillet 2026 à 20:30" in message.get_body(("plain",)).get_content()
    assert [part.get_filename() for part in attachments] == ["tickets-o_mail1-1.pdf", "tickets-o_mail1-2.pdf"]
    for part in attachments:
        assert part.get_content_type() == "application/pdf"
        assert part.get_content().startswith(b"%PDF")
    (record,) = [record for record in caplog.records if record.getMessage() == "tickets e-mailed"]
    assert record.order_id == "o_mail1"  # the log line is there, with the order id ...
    logged = repr(vars(record)) + caplog.text
    for personal in ("ann.peeters", "Peeters"):  # ... and without the buyer
        assert personal not in logged


def test_a_name_with_a_line_break_cannot_add_a_header(fake_ses):
    send_refund_notice(
        "ann@example.be",
        "Ann\r\nBcc: spy@example.com",
        "nl",
        "o_mail1",
        Money(2800),
        "seats_lost",
        preferences_url=PREFERENCES,
    )
    message = email.message_from_bytes(fake_ses.calls[0]["RawMessage"]["Data"], policy=default_policy)
    assert message["Bcc"] is None
    assert message["To"].addresses[0].addr_spec == "ann@example.be"


def test_a_refusal_by_ses_keeps_the_recipient_out_of_the_error(mail_through):
    refusal = ClientError(
        {"Error": {"Code": "MessageRejected", "Message": "Email address is not verified: ann@example.be"}},
        "SendRawEmail",
    )
    mail_through(FakeSes(refusal))
    with pytest.raises(EmailNotSent) as caught:
        send_refund_notice(
            "ann@example.be", "Ann", "en", "o_mail1", Money(2800), "performance_cancelled", preferences_url=PREFERENCES
        )
    assert caught.value.code == "MessageRejected"
    assert "ann@example.be" not in str(caught.value)
    assert caught.value.__suppress_context__

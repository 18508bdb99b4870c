"""Buyer e-mails composed as MIME and handed to the mail port: the tickets (with their PDFs) and refund notices.

`EmailNotSent` (the mail service refused) is the port's, importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import TypeVar

from .. import ports
from ..domain.money import Money
from ..observability import logger
from ..ports import EmailNotSent
from ..settings import get_settings
from .rendering import PrintedPerformance, RenderedEmail, render_preferences_link, render_refund, render_tickets

Document = TypeVar("Document", bound=PrintedPerformance)


def send_tickets(
    to_address: str,
    buyer_name: str,
    language: str,
    order_id: str,
    documents: Sequence[Document],
    total: Money,
    manage_url: str | None = None,
    *,
    preferences_url: str | None,
    render_pdf: Callable[[Document, str], bytes],
    subscription_ids: Sequence[str] = (),
) -> str:
    """E-mail the order's tickets, one PDF per document (`render_pdf(document, language)`, the tickets package's
    `order_pdf`), in the buyer's language; returns the mail service's message id.
    Every e-mail ends with the buyer's `preferences_url` (None only where no public address is set)."""
    if not documents:
        raise ValueError("an order e-mail needs at least one document")
    settings = get_settings()
    rendered = render_tickets(
        buyer_name,
        language,
        order_id,
        documents,
        total,
        manage_url,
        signature=settings.cluster_name,
        preferences_url=preferences_url,
        subscription_ids=subscription_ids,
    )
    pdfs = [
        (f"tickets-{order_id}-{number}.pdf", render_pdf(document, rendered.language))
        for number, document in enumerate(documents, start=1)
    ]
    message_id = _send(
        settings.mail_from, to_address, build_message(settings.mail_from, to_address, buyer_name, rendered, pdfs)
    )
    # Ids and counts only: addresses and names are personal data and stay out of the logs.
    logger.info(
        "tickets e-mailed",
        extra={
            "order_id": order_id,
            "ses_message_id": message_id,
            "attachments": len(documents),
            "language": rendered.language,
        },
    )
    return message_id


def send_refund_notice(
    to_address: str,
    buyer_name: str,
    language: str,
    order_id: str,
    amount: Money,
    reason: str,
    *,
    preferences_url: str | None,
) -> str:
    """E-mail the buyer that `amount` was refunded and why (seats_lost, refunded_by_house, performance_cancelled)."""
    settings = get_settings()
    rendered = render_refund(
        buyer_name, language, order_id, amount, reason, signature=settings.cluster_name, preferences_url=preferences_url
    )
    message_id = _send(
        settings.mail_from, to_address, build_message(settings.mail_from, to_address, buyer_name, rendered)
    )
    logger.info(
        "refund notice e-mailed",
        extra={"order_id": order_id, "ses_message_id": message_id, "reason": reason, "language": rendered.language},
    )
    return message_id


def send_preferences_link(to_address: str, language: str, *, preferences_url: str) -> str:
    """E-mail a fresh preferences link to an address the cluster knows; returns the SES MessageId."""
    settings = get_settings()
    rendered = render_preferences_link(language, preferences_url, signature=settings.cluster_name)
    message_id = _send(settings.mail_from, to_address, build_message(settings.mail_from, to_address, "", rendered))
    logger.info("preferences link e-mailed", extra={"ses_message_id": message_id, "language": rendered.language})
    return message_id


def build_message(
    mail_from: str, to_address: str, buyer_name: str, rendered: RenderedEmail, pdfs: Sequence[tuple[str, bytes]] = ()
) -> EmailMessage:
    """Text and HTML as alternatives, then each (filename, PDF) attached: multipart/mixed when there are PDFs."""
    message = EmailMessage()
    message["From"] = mail_from
    # One line: a name with a line break must not be able to start a header of its own.
    message["To"] = Address(display_name=" ".join(buyer_name.split()), addr_spec=to_address)
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(mail_from)[1].rpartition("@")[2] or None)
    # Quoted-printable keeps the message 7-bit and still readable in its raw form.
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, pdf in pdfs:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    # Last: the first attachment moves every Content-* header already set down into the text part.
    message["Content-Language"] = rendered.language
    return message


def _send(mail_from: str, to_address: str, message: EmailMessage) -> str:
    return ports.mail().send(mail_from, to_address, message)


__all__ = ["EmailNotSent", "build_message", "send_preferences_link", "send_refund_notice", "send_tickets"]

"""Subject, plain text and HTML of the buyer e-mails, from the Jinja2 templates in notifications/templates/email."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .. import i18n
from ..domain.money import Money
from .texts import REFUND_REASON_TEXTS, REFUND_REASONS, email_language, ticket_count

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    """What a mail client shows: the subject, the plain-text body and its HTML alternative."""

    subject: str
    text: str
    html: str
    language: str


@dataclass(frozen=True)
class PerformanceLine:
    """One performance of the order as the e-mail lists it, already formatted for the buyer."""

    title: str
    house: str
    venue: str
    when: str
    tickets: str


class PrintedPerformance(Protocol):
    """What the e-mail lists of one performance's printed tickets (a `tickets.pdf.OrderDocument` is one)."""

    @property
    def production_title(self) -> str: ...
    @property
    def house_name(self) -> str: ...
    @property
    def venue_name(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def tickets(self) -> Sequence[object]: ...


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The e-mail templates: HTML autoescaped; plain text not, because escaping would show "&amp;" to the reader."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_tickets(
    buyer_name: str,
    language: str,
    order_id: str,
    documents: Sequence[PrintedPerformance],
    total: Money,
    manage_url: str | None = None,
    signature: str = "Podium",
    preferences_url: str | None = None,
    subscription_ids: Sequence[str] = (),
) -> RenderedEmail:
    """The tickets e-mail: per performance title, house, venue, Brussels time and count, then the total (and the
    secret code of each subscription bought)."""
    language = email_language(language)
    _ = i18n.translator(language)
    performances = [
        PerformanceLine(
            title=document.production_title,
            house=document.house_name,
            venue=document.venue_name,
            when=i18n.format_datetime(document.starts_at, language),
            tickets=ticket_count(len(document.tickets), language),
        )
        for document in documents
    ]
    context = {
        "language": language,
        "subject": _("Your tickets — order {order_id}").format(order_id=order_id),
        "greeting": _("Dear {name},").format(name=_one_line(buyer_name)),
        "intro": _("Thank you for your order {order_id}. Your tickets are attached as PDF.").format(order_id=order_id),
        "performances": performances,
        "total": _("Total: {amount}").format(amount=i18n.format_money(total.cents, total.currency, language)),
        "howto": _(
            "Show your tickets at the entrance, printed or on your phone. Each code admits once: do not share it."
        ),
        "manage_url": _checked_url(manage_url),
        "manage_label": _("View your order"),
        "manage_line": _("View your order: {url}").format(url=manage_url),
        "subscriptions": [
            _("Your subscription code (keep it: with it you see and swap your choices): {code}").format(code=code)
            for code in subscription_ids
        ],
        "closing": _("See you at the theatre!"),
        "signature": signature,
        **_footer(language, preferences_url),
    }
    return _render("tickets", context)


def render_refund(
    buyer_name: str,
    language: str,
    order_id: str,
    amount: Money,
    reason: str,
    signature: str = "Podium",
    preferences_url: str | None = None,
) -> RenderedEmail:
    """The refund notice: how much, for which order, and why (`reason` is one of REFUND_REASONS)."""
    if reason not in REFUND_REASONS:
        raise ValueError(f"unknown refund reason {reason!r}; use one of {', '.join(REFUND_REASONS)}")
    language = email_language(language)
    _ = i18n.translator(language)
    context = {
        "language": language,
        "subject": _("Refund — order {order_id}").format(order_id=order_id),
        "greeting": _("Dear {name},").format(name=_one_line(buyer_name)),
        "intro": _("We have refunded {amount} for your order {order_id}.").format(
            amount=i18n.format_money(amount.cents, amount.currency, language), order_id=order_id
        ),
        "reason": _(REFUND_REASON_TEXTS[reason]),
        "timing": _(
            "The money goes back to the payment method you used; depending on your bank it may take a few "
            "working days before you see it on your account."
        ),
        "closing": _("Kind regards,"),
        "signature": signature,
        **_footer(language, preferences_url),
    }
    return _render("refund", context)


def render_preferences_link(language: str, preferences_url: str, signature: str = "Podium") -> RenderedEmail:
    """A fresh preferences link, asked for on the page (the old one expired or the e-mail is gone)."""
    language = email_language(language)
    _ = i18n.translator(language)
    context = {
        "language": language,
        "subject": _("Your link to your details and choices"),
        "greeting": _("Hello,"),
        "intro": _(
            "You asked for a new link. With it you choose whether the houses may send you news and "
            "share your details, and you can download your data or have it erased:"
        ),
        "ignore": _("Did you not ask for this? Then ignore this e-mail: nothing changes."),
        "closing": _("Kind regards,"),
        "signature": signature,
        **_footer(language, preferences_url),
    }
    return _render("preferences_link", context)


def _footer(language: str, preferences_url: str | None) -> dict[str, str | None]:
    """Every e-mail ends with the buyer's preferences link (consents, export, erasure)."""
    _ = i18n.translator(language)
    return {
        "preferences_url": _checked_url(preferences_url),
        "preferences_label": _("Your details and choices"),
        "preferences_line": _(
            "You get this e-mail because you bought tickets. What the houses keep about you, "
            "whether they may send you news and whether they share your details is up to you; "
            "there you can also download your data or have it erased: {url}"
        ).format(url=preferences_url),
    }


def _render(name: str, context: Mapping[str, object]) -> RenderedEmail:
    env = environment()
    return RenderedEmail(
        subject=str(context["subject"]),
        language=str(context["language"]),
        text=env.get_template(f"email/{name}.txt").render(context),
        html=env.get_template(f"email/{name}.html").render(context),
    )


def _one_line(text: str) -> str:
    # A name typed with line breaks or tabs must not break the greeting (or a header) apart.
    return " ".join(text.split())


def _checked_url(url: str | None) -> str | None:
    # Autoescaping does not stop a "javascript:" link; only web addresses may become links.
    if url is not None and not url.startswith(("https://", "http://")):
        raise ValueError("manage_url must be an http(s) address")
    return url

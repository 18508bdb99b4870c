"""Subject, plain text and HTML of the buyer e-mails, from the Jinja2 templates in web/templates/email."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..domain.money import Money
from ..tickets.formatting import format_datetime, format_money
from ..tickets.pdf import OrderDocument
from .texts import REFUND_REASONS, TEXTS, email_language, ticket_count

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"


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


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The e-mail templates: HTML autoescaped; plain text not, because escaping would show "&amp;" to the reader."""
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",),
                                                    default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_tickets(buyer_name: str, language: str, order_id: str, documents: Sequence[OrderDocument], total: Money,
                   manage_url: str | None = None, signature: str = "Podium",
                   preferences_url: str | None = None, subscription_ids: Sequence[str] = ()) -> RenderedEmail:
    """The tickets e-mail: per performance title, house, venue, Brussels time and count, then the total (and the
    secret code of each subscription bought)."""
    language = email_language(language)
    texts = TEXTS[language]
    performances = [PerformanceLine(title=document.production_title, house=document.house_name,
                                    venue=document.venue_name, when=format_datetime(document.starts_at, language),
                                    tickets=ticket_count(len(document.tickets), language))
                    for document in documents]
    context = {
        "language": language,
        "subject": texts["tickets_subject"].format(order_id=order_id),
        "greeting": texts["greeting"].format(name=_one_line(buyer_name)),
        "intro": texts["tickets_intro"].format(order_id=order_id),
        "performances": performances,
        "total": texts["total"].format(amount=format_money(total.cents, total.currency, language)),
        "howto": texts["tickets_howto"],
        "manage_url": _checked_url(manage_url),
        "manage_label": texts["manage"],
        "manage_line": texts["manage_at"].format(url=manage_url),
        "subscriptions": [texts["subscription_code"].format(code=code) for code in subscription_ids],
        "closing": texts["closing"],
        "signature": signature,
        **_footer(texts, preferences_url),
    }
    return _render("tickets", context)


def render_refund(buyer_name: str, language: str, order_id: str, amount: Money, reason: str,
                  signature: str = "Podium", preferences_url: str | None = None) -> RenderedEmail:
    """The refund notice: how much, for which order, and why (`reason` is one of REFUND_REASONS)."""
    if reason not in REFUND_REASONS:
        raise ValueError(f"unknown refund reason {reason!r}; use one of {', '.join(REFUND_REASONS)}")
    language = email_language(language)
    texts = TEXTS[language]
    context = {
        "language": language,
        "subject": texts["refund_subject"].format(order_id=order_id),
        "greeting": texts["greeting"].format(name=_one_line(buyer_name)),
        "intro": texts["refund_intro"].format(amount=format_money(amount.cents, amount.currency, language),
                                              order_id=order_id),
        "reason": texts[f"refund_{reason}"],
        "timing": texts["refund_timing"],
        "closing": texts["refund_closing"],
        "signature": signature,
        **_footer(texts, preferences_url),
    }
    return _render("refund", context)


def render_preferences_link(language: str, preferences_url: str, signature: str = "Podium") -> RenderedEmail:
    """A fresh preferences link, asked for on the page (the old one expired or the e-mail is gone)."""
    language = email_language(language)
    texts = TEXTS[language]
    context = {"language": language, "subject": texts["link_subject"], "greeting": texts["link_greeting"],
               "intro": texts["link_intro"], "ignore": texts["link_ignore"], "closing": texts["refund_closing"],
               "signature": signature, **_footer(texts, preferences_url)}
    return _render("preferences_link", context)


def _footer(texts: dict[str, str], preferences_url: str | None) -> dict[str, str | None]:
    """Every e-mail ends with the buyer's preferences link (consents, export, erasure)."""
    return {"preferences_url": _checked_url(preferences_url), "preferences_label": texts["preferences"],
            "preferences_line": texts["preferences_line"].format(url=preferences_url)}


def _render(name: str, context: dict[str, object]) -> RenderedEmail:
    env = environment()
    return RenderedEmail(subject=str(context["subject"]), language=str(context["language"]),
                         text=env.get_template(f"email/{name}.txt").render(context),
                         html=env.get_template(f"email/{name}.html").render(context))


def _one_line(text: str) -> str:
    # A name typed with line breaks or tabs must not break the greeting (or a header) apart.
    return " ".join(text.split())


def _checked_url(url: str | None) -> str | None:
    # Autoescaping does not stop a "javascript:" link; only web addresses may become links.
    if url is not None and not url.startswith(("https://", "http://")):
        raise ValueError("manage_url must be an http(s) address")
    return url

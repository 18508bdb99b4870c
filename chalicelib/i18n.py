"""User-facing texts in Dutch (default), French and English: one gettext catalogue, chosen from Accept-Language;
money and moments as a Belgian reader reads them in each language; the fonts that print them in PDFs.

Every text a person reads (hosted pages, e-mails, ticket and statement PDFs, staff pages, API problem titles and
buyer messages) is an English msgid in `chalicelib/locale/{nl,fr,en}/LC_MESSAGES/messages.po`. `scripts/i18n`
extracts the marked texts, merges them into the catalogues and compiles them (the `.mo` files are committed, so a
deploy needs no build step). Code translates with `gettext(language, msgid)` or `translator(language)`; Jinja2
templates with `_()` through the same translations; tables of texts mark their msgids with `N_` and are
translated where they are shown.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, get_currency_precision

from .domain.texts import N_

LANGUAGES = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "nl"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
HOUSE_TIMEZONE = ZoneInfo("Europe/Brussels")

# Belgian Dutch and French; for English the euro-zone English of Ireland, which writes "€28.00" as
# English readers expect (CLDR's en_BE would write "28,00 €").
_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_IE"}
# A short weekday, the full date and 24-hour time: "za 12 december 2026, 20:00".
_DATETIME_PATTERNS = {"nl": "EEE d MMMM y, HH:mm", "fr": "EEE d MMMM y 'à' HH:mm", "en": "EEE d MMMM y, HH:mm"}


def supported(language: str | None) -> str:
    """nl, fr or en from a language tag ("fr-BE" → fr, "EN_gb" → en); anything else → Dutch."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language (nl, fr or en; any other tag gets Dutch's)."""
    return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[supported(language)])


def gettext(language: str, msgid: str) -> str:
    """`msgid` (an English text) in `language`."""
    return translations(language).gettext(msgid)


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    """The singular or plural text for `count` in `language` (by that language's plural rule)."""
    return translations(language).ngettext(singular, plural, count)


def pgettext(language: str, context: str, msgid: str) -> str:
    """`msgid` in `language` where its context needs other words than the same English text elsewhere."""
    return translations(language).pgettext(context, msgid)


def translator(language: str) -> Callable[[str], str]:
    """A `_` bound to `language`: `_ = translator(language)`, then `_("Cart")`."""
    return translations(language).gettext


# A problem's title by its code (`urn:podium:problem:{code}`), UiTPAS's refusals included.
PROBLEM_TITLES: dict[str, str] = {
    "malformed_request": N_("Malformed request"),
    "validation_failed": N_("Invalid data"),
    "seatmap_invalid": N_("Invalid seat map"),
    "not_found": N_("Not found"),
    "unauthorized": N_("Authentication required"),
    "forbidden": N_("Forbidden"),
    "seats_unavailable": N_("Seats no longer available"),
    "not_enough_seats": N_("Not enough free seats"),
    "sold_out": N_("Sold out"),
    "not_on_sale": N_("Not on sale"),
    "hold_expired": N_("Hold expired"),
    "link_expired": N_("Link expired"),
    "link_used": N_("Link used already"),
    "hold_not_active": N_("Hold no longer active"),
    "hold_too_large": N_("Too many places at once"),
    "conflict": N_("Conflict"),
    "already_exists": N_("Already exists"),
    "checkout_started": N_("Checkout already started"),
    "cart_empty": N_("Cart is empty"),
    "not_refundable": N_("Not refundable"),
    "ticket_rejected": N_("Ticket refused"),
    "ticket_malformed": N_("Not a valid ticket"),
    "ticket_unknown_key": N_("Unknown signing key"),
    "ticket_signature_invalid": N_("Forged ticket"),
    "ticket_not_yet_valid": N_("Ticket not valid yet"),
    "ticket_expired": N_("Ticket expired"),
    "ticket_wrong_performance": N_("Ticket for another performance"),
    "ticket_void": N_("Ticket refunded"),
    "ticket_already_scanned": N_("Already scanned"),
    "unsupported_media_type": N_("Unsupported media type"),
    "method_not_allowed": N_("Method not allowed"),
    "rate_limited": N_("Too many requests"),
    "admission_required": N_("Waiting room"),
    "waiting_room_on": N_("Waiting room on"),
    "admission_invalid": N_("Invalid admission"),
    "admission_expired": N_("Admission expired"),
    "admission_used": N_("Admission already used"),
    "not_your_turn": N_("Not your turn yet"),
    "internal_error": N_("Something went wrong"),
    "voucher_unknown": N_("Unknown discount code"),
    "voucher_not_yet_valid": N_("Discount code not valid yet"),
    "voucher_expired": N_("Discount code expired"),
    "voucher_inactive": N_("Discount code no longer valid"),
    "voucher_used_up": N_("Discount code used up"),
    "voucher_below_minimum": N_("Cart below the code's minimum"),
    "voucher_not_applicable": N_("Code not valid for these performances"),
    "gift_card_unknown": N_("Unknown gift card"),
    "gift_card_empty": N_("Gift card used up"),
    "uitpas_no_tariff": N_("No social tariff"),
    "uitpas_blocked": N_("UiTPAS blocked"),
    "uitpas_expired": N_("Social tariff expired"),
    "uitpas_limit_reached": N_("UiTPAS limit reached"),
    "uitpas_unknown": N_("Unknown UiTPAS"),
    "uitpas_not_offered": N_("Not a UiTPAS performance"),
    "uitpas_unavailable": N_("UiTPAS unavailable"),
}

# Refusals a buyer acts on get a full sentence in their language; the English `detail` stays for logs/clients.
BUYER_MESSAGES: dict[str, str] = {
    "rate_limited": N_("One moment: too many requests in a row. Please try again shortly."),
    "checkout_started": N_("Payment for this cart has already started; it can no longer change."),
    "cart_empty": N_("Your cart holds no valid places any more."),
    "seats_unavailable": N_("Someone else just took {seats}. Please pick other seats."),
    "sold_out": N_("There are not enough places left for this many people."),
    "not_enough_seats": N_("There are not enough free seats for this request."),
    "link_expired": N_("This link has expired. Every e-mail from us carries a new link to your details."),
    "link_used": N_("This link was used already. Every e-mail from us carries a new link to your details."),
    "hold_expired": N_("Your hold has expired; the places are free again."),
    "waiting_room_on": N_(
        "A performance of this package is selling through a waiting room. The package is on "
        "sale again when the room closes; single tickets go through the line."
    ),
    "admission_required": N_("Sales for this performance go through a waiting room. Please join the line."),
    "admission_invalid": N_("Your waiting-room admission is not valid. Please join the line again."),
    "admission_expired": N_("Your turn has passed. Please join the line again."),
    "admission_used": N_("Your admission was already used for a hold. Join the line again for more places."),
    "not_on_sale": N_("Sales are not open for this performance."),
    "not_a_seller": N_(
        "These tickets are not sold through this house. Buy them from the house that stages the performance."
    ),
    "voucher_unknown": N_("This discount code does not exist. Check the code and try again."),
    "voucher_not_yet_valid": N_("This discount code is not valid yet. Please try again later."),
    "voucher_expired": N_("This discount code has expired."),
    "voucher_inactive": N_("This discount code is no longer valid."),
    "voucher_used_up": N_("This discount code has been used as often as it may be. Remove it to go on."),
    "voucher_below_minimum": N_("Your cart is below the minimum amount for this discount code."),
    "voucher_not_applicable": N_("This discount code does not apply to the performances in your cart."),
    "gift_card_unknown": N_("This gift card does not exist. Check the code on your card."),
    "gift_card_empty": N_("There is no balance left on this gift card."),
    "uitpas_no_tariff": N_("This UiTPAS gives no right to the social tariff for this performance."),
    "uitpas_blocked": N_("This UiTPAS is blocked. Please contact a UiTPAS desk."),
    "uitpas_expired": N_("The social tariff of this UiTPAS has expired. Renew it at a UiTPAS desk."),
    "uitpas_limit_reached": N_("This UiTPAS cannot have the social tariff for more places of this performance."),
    "uitpas_unknown": N_("This UiTPAS number is unknown. Please check the number on your card."),
    "uitpas_not_offered": N_("This performance offers no UiTPAS social tariff."),
    "uitpas_unavailable": N_("UiTPAS cannot be reached right now. Nothing was changed; please try again shortly."),
}

# What a buyer is told about the end of a checkout that did not become an order (or was refunded).
CHECKOUT_OUTCOMES: dict[str, str] = {
    "payment_timeout": N_("The payment did not complete in time. Your places were released; nothing was charged."),
    "payment_canceled": N_("The payment was cancelled. Your places were released; nothing was charged."),
    "cart_expired": N_("Your hold expired before payment began. Please choose your places again."),
    "seats_lost": N_(
        "Your payment arrived after your hold had expired, and someone else bought {places} "
        "meanwhile. We refunded you in full."
    ),
    "late_payment": N_("Your payment arrived after the checkout had closed. We refunded you in full."),
    "fulfilment_failed": N_("Something went wrong issuing your tickets. We refunded you in full."),
    "checkout_error": N_("Something went wrong during checkout. Your places were released; nothing was charged."),
    "payment_declined": N_("Your payment was declined. Try another card or payment method."),
    "uitpas_refused": N_(
        "UiTPAS refused the social tariff at payment. Your places were released; nothing was charged."
    ),
    "uitpas_unavailable": N_(
        "UiTPAS could not be reached to register your social tariff. Your places were released; nothing was charged."
    ),
}


def negotiate_language(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick nl, fr or en from an Accept-Language header by its q-values; default Dutch."""
    if not accept_language:
        return default
    choices = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            choices.append((-quality, position, tag))
    return min(choices)[2] if choices else default


def problem_title(code: str, language: str) -> str:
    """A problem's title in `language` (an unknown code gets the title of invalid data)."""
    return gettext(language, PROBLEM_TITLES.get(code) or PROBLEM_TITLES["validation_failed"])


def buyer_message(code: str, language: str, **values: str) -> str | None:
    """The sentence a buyer acts on for a refusal, or None where the title says enough."""
    text = BUYER_MESSAGES.get(code)
    return None if text is None else gettext(language, text).format(**values)


def checkout_outcome(reason: str, language: str, **values: str) -> str:
    """What the buyer is told about a checkout that ended without an order (or was refunded)."""
    text = CHECKOUT_OUTCOMES.get(reason) or CHECKOUT_OUTCOMES["checkout_error"]
    return gettext(language, text).format(**values)


# Money and moments as a Belgian reader reads them, in Dutch, French or English (CLDR data via Babel).
def locale_for(language: str) -> str:
    """The CLDR locale used for a buyer language (nl, fr or en)."""
    try:
        return _LOCALES[language]
    except KeyError:
        raise ValueError(f"unsupported language {language!r}; use one of {', '.join(LANGUAGES)}") from None


def format_money(cents: int, currency: str, language: str) -> str:
    """An amount in the smallest unit as text: "€ 28,00" (nl), "28,00 €" (fr), "€28.00" (en).

    Spaces inside the result are no-break spaces (CLDR's choice), so the amount never wraps apart.
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("format_money needs integer cents")
    # Decimal, never float: 0.1 + 0.2 must not print as 0.30000000000000004 anywhere near a price.
    amount = Decimal(cents).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=locale_for(language))


def format_datetime(moment: datetime, language: str) -> str:
    """An aware moment in Brussels time: "za 12 december 2026, 20:00", "sam. 12 décembre 2026 à 20:00"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("format_datetime needs an aware datetime")
    locale = locale_for(language)
    return _babel_datetime(moment, _DATETIME_PATTERNS[language], tzinfo=HOUSE_TIMEZONE, locale=locale)


# Fonts that print every letter of the three languages (é, è, ç, ë), € and no-break spaces, for the PDFs (tickets,
# statements), best first. Source Sans Pro ships inside a PyPI wheel (font-source-sans-pro), so a fresh machine or
# a Lambda bundle has it without an apt step; DejaVu is the Debian fallback. With neither, a PDF falls back to the
# core font Helvetica in Windows-1252, which still has é, è, ç and €.
_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@functools.cache
def document_fonts() -> tuple[str, str] | None:
    """(regular, bold) TTF paths of the font the PDFs use, or None when only the core font is left."""
    try:
        import font_source_sans_pro  # optional: the wheel may be missing where DejaVu is installed
    except ImportError:
        font_source_sans_pro = None
    candidates = []
    if font_source_sans_pro is not None:
        directory = Path(font_source_sans_pro.font_directory)
        candidates.append((directory / "SourceSansPro-Regular.ttf", directory / "SourceSansPro-Semibold.ttf"))
    candidates.append((_SYSTEM_DEJAVU / "DejaVuSans.ttf", _SYSTEM_DEJAVU / "DejaVuSans-Bold.ttf"))
    for regular, bold in candidates:
        if regular.is_file() and bold.is_file():
            return str(regular), str(bold)
    return None

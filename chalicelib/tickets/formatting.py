"""Money and moments as a Belgian buyer reads them, in Dutch, French or English (CLDR data via Babel)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, get_currency_precision

from ..i18n import LANGUAGES

HOUSE_TIMEZONE = ZoneInfo("Europe/Brussels")

# Belgian Dutch and French; for English the euro-zone English of Ireland, which writes "€28.00" as
# English readers expect (CLDR's en_BE would write "28,00 €").
_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_IE"}
# A short weekday, the full date and 24-hour time: "za 12 december 2026, 20:00".
_DATETIME_PATTERNS = {"nl": "EEE d MMMM y, HH:mm", "fr": "EEE d MMMM y 'à' HH:mm", "en": "EEE d MMMM y, HH:mm"}


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

"""Rendering the hosted pages: one Jinja2 environment per language, with its gettext catalogue.

Texts in templates and in `chalicelib/pages` are English msgids marked with `_()`; the one catalogue of
`chalicelib.i18n` (`chalicelib/locale/{nl,fr,en}/LC_MESSAGES/messages.po`) translates them (`scripts/i18n`
extracts and compiles; the compiled `.mo` files are committed). Money and dates are Belgian (CLDR via Babel),
times Europe/Brussels.
"""

from __future__ import annotations

import functools
import gettext
from datetime import datetime
from pathlib import Path

import jinja2
from babel.dates import format_date, format_time

from .. import i18n
from ..i18n import HOUSE_TIMEZONE, format_datetime, format_money, locale_for

PAGES = Path(__file__).resolve().parent
TEMPLATES = PAGES / "templates"
STATIC = PAGES / "static"
LANGUAGES = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "nl"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (the one of `chalicelib.i18n`, shared with e-mails and PDFs)."""
    return i18n.translations(language)


def gettext_for(language: str):
    return translations(language).gettext


@functools.cache
def environment(language: str) -> jinja2.Environment:
    """A template environment whose `_`, filters and globals speak `language` (built once, then shared)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    locale = locale_for(language)
    env.filters["money"] = lambda cents, currency="EUR": format_money(int(cents), currency, language)
    env.filters["when"] = lambda moment: format_datetime(moment, language)
    env.filters["day"] = lambda moment: format_date(moment.astimezone(HOUSE_TIMEZONE), "EEEE d MMMM y", locale=locale)
    env.filters["clock"] = lambda moment: format_time(moment.astimezone(HOUSE_TIMEZONE), "HH:mm", locale=locale)
    env.filters["localized"] = lambda names: localized(names, language)
    env.globals["language"] = language
    return env


def localized(names: dict[str, str] | None, language: str) -> str:
    """A multilingual name in the buyer's language, else Dutch, else any."""
    if not names:
        return ""
    return names.get(language) or names.get(DEFAULT_LANGUAGE) or next(iter(names.values()))


def render(template: str, language: str, **context) -> str:
    return environment(language).get_template(template).render(**context)


def brussels_date(moment: datetime) -> str:
    """The Brussels calendar day of a moment, ISO (for grouping and the date filter)."""
    return moment.astimezone(HOUSE_TIMEZONE).date().isoformat()

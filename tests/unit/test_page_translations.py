"""Every text of the hosted pages is translated in nl, fr and en, and the committed .mo files are current."""
from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "chalicelib" / "web" / "locale"
# The same sources as chalicelib/web/babel.cfg (scripts/i18n).
METHODS = [("chalicelib/api/pages.py", "python"), ("chalicelib/web/*.py", "python"),
           ("chalicelib/web/templates/pages/**.html", "jinja2")]
OPTIONS = {"chalicelib/web/templates/pages/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_texts() -> set[str]:
    found = extract_from_dir(str(ROOT), METHODS, OPTIONS, keywords={"_": None})
    return {message for _filename, _line, message, _comments, _context in found if message}


@pytest.fixture(scope="module")
def texts() -> set[str]:
    return source_texts()


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_page_text_has_a_translation_with_the_same_placeholders(texts, language):
    catalogue = read_po((LOCALE / language / "LC_MESSAGES" / "pages.po").open("rb"))
    translated = {message.id: message.string for message in catalogue if message.id}
    missing = sorted(text for text in texts if not translated.get(text))
    assert not missing, f"untranslated in {language} (run scripts/i18n and translate): {missing}"
    for text in texts:
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(translated[text])), (language, text)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_compiled_catalogue_says_what_the_po_file_says(language):
    folder = LOCALE / language / "LC_MESSAGES"
    catalogue = read_po((folder / "pages.po").open("rb"))
    compiled = gettext.GNUTranslations((folder / "pages.mo").open("rb"))
    for message in catalogue:
        if message.id and message.string:
            assert compiled.gettext(message.id) == message.string, f"stale pages.mo for {language}: run scripts/i18n"


def test_pages_render_in_every_language_with_belgian_money_and_brussels_time():
    from datetime import datetime, timezone

    from chalicelib.web import rendering

    moment = datetime(2026, 12, 12, 19, 0, tzinfo=timezone.utc)  # 20:00 in Brussels
    template = "{{ _('Agenda') }}|{{ 2800|money }}|{{ moment|when }}"
    said = {language: rendering.environment(language).from_string(template).render(moment=moment)
            for language in ("nl", "fr", "en")}
    assert said["nl"] == "Agenda|€\xa028,00|za 12 december 2026, 20:00"
    assert said["fr"] == "Agenda|28,00\xa0€|sam. 12 décembre 2026 à 20:00"
    assert said["en"].startswith("Agenda|€28.00|Sat 12 December 2026, 20:00")
    assert rendering.environment("nl").from_string("{{ _('Cart') }}").render() == "Winkelmandje"

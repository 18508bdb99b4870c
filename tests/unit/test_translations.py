"""Every text a person reads is in the one catalogue, translated in nl, fr and en, and the committed .mo files are
current: pages, e-mails, ticket and statement PDFs, problem titles, buyer messages and consent wording."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from chalicelib import i18n
from chalicelib.domain.customers import ConsentKind, consent_wording
from chalicelib.notifications.rendering import render_refund
from chalicelib.tickets.pdf import _texts as ticket_texts

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "chalicelib" / "locale"
# The same markers as scripts/i18n: _("…") and N_("…"), i18n.ngettext(language, singular, plural, n) and
# i18n.pgettext(language, context, msgid).
KEYWORDS = {"_": None, "N_": None, "ngettext": (2, 3), "pgettext": ((2, "c"), 3)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def placeholders(text: str) -> set[str]:
    return {name for pair in PLACEHOLDER.findall(text) for name in pair if name}


def source_texts() -> set[tuple[str | None, str]]:
    """(context, msgid) of every marked text of chalicelib, found as scripts/i18n finds them (babel.cfg)."""
    with (LOCALE / "babel.cfg").open() as mapping:
        methods, options = parse_mapping_cfg(mapping)
    found = extract_from_dir(str(ROOT), methods, options, keywords=KEYWORDS)
    texts = set()
    for _filename, _line, message, _comments, context in found:
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            texts.add((context, msgid))
    return texts


def catalogue(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


@pytest.fixture(scope="module")
def texts() -> set[tuple[str | None, str]]:
    return source_texts()


def test_the_texts_of_pages_emails_pdfs_and_problems_are_all_found(texts):
    msgids = {msgid for _context, msgid in texts}
    assert {
        "Agenda",
        "Your tickets — order {order_id}",
        "Ticket {index} of {count}",
        "Statement",
        "Seats no longer available",
        "UiTPAS social tariff",
        i18n.BUYER_MESSAGES["seats_unavailable"],
        "{count} ticket",
    } <= msgids
    assert (("ticket", "Standing")) in texts


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_every_text_has_a_translation_with_the_same_placeholders(texts, language):
    translated = {}
    for message in catalogue(language):
        if message.id:
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated[(message.context, msgid)] = strings
    missing = sorted((key for key in texts if not all(translated.get(key) or [""])), key=str)
    assert not missing, f"untranslated in {language} (run scripts/i18n and translate): {missing}"
    for key in texts:
        for string in translated[key]:
            assert placeholders(key[1]) == placeholders(string), (language, key, string)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_compiled_catalogue_says_what_the_po_file_says(language):
    with (LOCALE / language / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        stale = f"stale messages.mo for {language}: run scripts/i18n"
        if isinstance(message.id, tuple):
            for count, string in ((1, message.string[0]), (5, message.string[-1])):
                assert (
                    compiled.npgettext(message.context, *message.id, count)
                    if message.context
                    else compiled.ngettext(*message.id, count) == string
                ), stale
        elif message.context:
            assert compiled.pgettext(message.context, message.id) == message.string, stale
        else:
            assert compiled.gettext(message.id) == message.string, stale


# Per-language data that is not a text: CLDR locales, date patterns (the words are Babel's), language tags.
NOT_TEXTS = {
    ("chalicelib/i18n.py", "_LOCALES"),
    ("chalicelib/i18n.py", "_DATETIME_PATTERNS"),
    ("chalicelib/tickets/pdf.py", "_DOCUMENT_LANGUAGES"),
}


def test_no_table_of_texts_by_language_is_left_outside_the_catalogue():
    # One mechanism: texts are English msgids of the catalogue, never {"nl": …, "fr": …, "en": …} tables.
    found = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {
            id(node.value)
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name) and (name, target.id) in NOT_TEXTS
        }
        for node in ast.walk(tree):
            keys = {key.value for key in getattr(node, "keys", []) if isinstance(key, ast.Constant)}
            if isinstance(node, ast.Dict) and {"nl", "fr"} <= keys and id(node) not in allowed:
                found.append(f"{name}:{node.lineno}")
    templates = re.compile(r"""\{\s*["']nl["']\s*:""")
    found += [
        str(path.relative_to(ROOT))
        for path in (ROOT / "chalicelib").rglob("*")
        if path.suffix in (".html", ".txt") and templates.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, f"texts by language outside the catalogue (make them msgids): {found}"


def test_templates_translate_with_underscore_only():
    # The extraction's ngettext and pgettext take the language first (i18n's helpers); a template's own plural or
    # context call would be extracted wrongly, so templates get such texts ready-made from Python.
    calls = re.compile(r"\{%-?\s*trans\b|\b(?:n|p|np)gettext\(")
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "chalicelib").rglob("templates/**/*")
        if path.suffix in (".html", ".txt") and calls.search(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


# A consent is recorded with the words the buyer saw; these words are what was agreed to, so they never change
# with a catalogue edit unnoticed (a new wording is a new msgid and a deliberate change of this test).
CONSENT_WORDS = {
    ("nl", ConsentKind.MARKETING): "Ja, Théâtre mag me nieuws en aanbiedingen mailen. Uitschrijven kan altijd.",
    ("fr", ConsentKind.MARKETING): "Oui, Théâtre peut m'envoyer ses nouvelles et offres. Désinscription possible à "
    "tout moment.",
    ("en", ConsentKind.MARKETING): "Yes, Théâtre may e-mail me news and offers. I can unsubscribe at any time.",
    ("nl", ConsentKind.SHARING): "Ja, de andere huizen van Cultuur Gent mogen mijn gegevens en aankopen zien.",
    ("fr", ConsentKind.SHARING): "Oui, les autres maisons de Cultuur Gent peuvent voir mes données et mes achats.",
    ("en", ConsentKind.SHARING): "Yes, the other houses of Cultuur Gent may see my details and purchases.",
}


@pytest.mark.parametrize(("language", "kind"), sorted(CONSENT_WORDS, key=str))
def test_the_consent_wording_recorded_in_each_language_is_unchanged(language, kind):
    words = consent_wording(kind, language, "Théâtre", "Cultuur Gent", i18n.gettext)
    assert words == CONSENT_WORDS[(language, kind)]


def test_problem_titles_buyer_messages_and_outcomes_speak_the_buyers_language():
    assert i18n.problem_title("sold_out", "nl") == "Uitverkocht"
    assert i18n.problem_title("uitpas_blocked", "fr") == "UiTPAS bloquée"
    assert i18n.problem_title("no_such_code", "en") == "Invalid data"
    assert (
        i18n.buyer_message("seats_unavailable", "fr", seats="B-12")
        == "Quelqu'un d'autre vient de prendre B-12. Choisissez d'autres places."
    )
    assert i18n.buyer_message("conflict", "nl") is None
    assert i18n.checkout_outcome("uitpas_refused", "nl").startswith("UiTPAS weigerde het kansentarief")
    assert i18n.checkout_outcome("unknown_reason", "en") == i18n.CHECKOUT_OUTCOMES["checkout_error"]
    assert i18n.gettext("fr-BE", "Sold out") == "Complet" and i18n.gettext("de", "Sold out") == "Uitverkocht"


def test_one_text_with_two_meanings_is_told_apart_by_its_context():
    # A ticket's standing place ("Place debout") is not the pages' standing column ("Debout").
    assert ticket_texts("fr")["standing"] == "Place debout"
    assert i18n.gettext("fr", "Standing") == "Debout"


def test_emails_and_plurals_come_from_the_same_catalogue():
    from chalicelib.domain.money import Money
    from chalicelib.notifications.texts import ticket_count

    assert [ticket_count(count, "fr") for count in (1, 3)] == ["1 billet", "3 billets"]
    assert ticket_count(2, "nl") == "2 tickets"
    refund = render_refund("Ann", "nl", "o_1", Money(2800, "EUR"), "performance_cancelled")
    assert refund.subject == "Terugbetaling — bestelling o_1"
    assert "De voorstelling is geannuleerd." in refund.text


def test_pages_render_in_every_language_with_belgian_money_and_brussels_time():
    from chalicelib.pages import rendering

    moment = datetime(2026, 12, 12, 19, 0, tzinfo=UTC)  # 20:00 in Brussels
    template = "{{ _('Agenda') }}|{{ 2800|money }}|{{ moment|when }}"
    said = {
        language: rendering.environment(language).from_string(template).render(moment=moment)
        for language in ("nl", "fr", "en")
    }
    assert said["nl"] == "Agenda|€\xa028,00|za 12 december 2026, 20:00"
    assert said["fr"] == "Agenda|28,00\xa0€|sam. 12 décembre 2026 à 20:00"
    assert said["en"].startswith("Agenda|€28.00|Sat 12 December 2026, 20:00")
    assert rendering.environment("nl").from_string("{{ _('Cart') }}").render() == "Winkelmandje"

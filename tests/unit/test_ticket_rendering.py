"""Ticket rendering: Belgian formatting in three languages, QR codes and the printable PDF."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest
import segno

from chalicelib.domain.tickets import TicketClaims, TicketSigner, generate_signing_key, validity_window
from chalicelib.i18n import document_fonts, format_datetime, format_money
from chalicelib.tickets import pdf as pdf_module
from chalicelib.tickets.pdf import OrderDocument, TicketDocument, order_pdf
from chalicelib.tickets.qr import make_qr, qr_png, qr_svg

BRUSSELS = ZoneInfo("Europe/Brussels")
NBSP = "\u00a0"
START = datetime(2026, 12, 12, 20, 0, tzinfo=BRUSSELS)
SIGNER = TicketSigner(generate_signing_key()[0], "2026-11")


def payload(ticket_id: str, seat_label: str | None) -> str:
    valid_from, valid_until = validity_window(datetime(2026, 9, 1, tzinfo=UTC), START)
    return SIGNER.sign(
        TicketClaims(
            ticket_id=ticket_id,
            order_id="o_7Qf2KxW9aLm3",
            performance_id="perf-3fa9c1d2e7",
            house_id="het-paleis",
            seat_label=seat_label,
            tariff_code="full",
            valid_from=valid_from,
            valid_until=valid_until,
            issued_at=valid_from,
        )
    )


SEATED = TicketDocument(
    ticket_id="t_seatedAAAAAAAAAA",
    payload=payload("t_seatedAAAAAAAAAA", "PAR-K-14"),
    tariff_name="Volwassene",
    price_cents=2800,
    section="Parterre",
    row="K",
    number=14,
)
STANDING = TicketDocument(
    ticket_id="t_standingBBBBBBBB",
    payload=payload("t_standingBBBBBBBB", None),
    tariff_name="Jongeren -26",
    price_cents=1200,
)
ORDER = OrderDocument(
    order_id="o_7Qf2KxW9aLm3",
    house_name="Théâtre Élégance",
    production_title="La Cerisaie à Gand",
    venue_name="Grote zaal",
    starts_at=START,
    tickets=(SEATED, STANDING),
    note="Deuren open om 19.30 uur.",
)


def flat(text: str) -> str:
    """Extracted text with every run of whitespace (no-break spaces too) as one plain space."""
    return " ".join(text.replace(NBSP, " ").split())


# --- formatting --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cents, language, expected",
    [
        (2800, "nl", f"€{NBSP}28,00"),
        (2800, "fr", f"28,00{NBSP}€"),
        (2800, "en", "€28.00"),
        (0, "nl", f"€{NBSP}0,00"),
        (5, "en", "€0.05"),
        (123456, "nl", f"€{NBSP}1.234,56"),
        (123456, "fr", f"1\u202f234,56{NBSP}€"),
        (123456, "en", "€1,234.56"),
    ],
)
def test_format_money(cents, language, expected):
    assert format_money(cents, "EUR", language) == expected


def test_format_money_refuses_floats_and_unknown_languages():
    with pytest.raises(TypeError):
        format_money(28.0, "EUR", "nl")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_money(2800, "EUR", "de")


@pytest.mark.parametrize(
    "language, expected",
    [
        ("nl", "za 12 december 2026, 20:00"),
        ("fr", "sam. 12 décembre 2026 à 20:00"),
        ("en", "Sat 12 December 2026, 20:00"),
    ],
)
def test_format_datetime_in_brussels(language, expected):
    # Given in UTC: the text must show Brussels wall-clock time (CET, UTC+1, in December).
    assert format_datetime(datetime(2026, 12, 12, 19, 0, tzinfo=UTC), language) == expected


@pytest.mark.parametrize(
    "moment, language, expected",
    [
        # Spring forward, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "nl", "zo 29 maart 2026, 01:59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "nl", "zo 29 maart 2026, 03:00"),
        (datetime(2026, 3, 29, 18, 0, tzinfo=UTC), "fr", "dim. 29 mars 2026 à 20:00"),
        (datetime(2026, 3, 28, 19, 0, tzinfo=UTC), "en", "Sat 28 March 2026, 20:00"),
        # Fall back, Sunday 25 October 2026: 02:30 happens twice, first in CEST then in CET.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "en", "Sun 25 October 2026, 02:30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "en", "Sun 25 October 2026, 02:30"),
        (datetime(2026, 10, 24, 18, 0, tzinfo=UTC), "nl", "za 24 oktober 2026, 20:00"),
        (datetime(2026, 10, 25, 19, 0, tzinfo=UTC), "fr", "dim. 25 octobre 2026 à 20:00"),
    ],
)
def test_format_datetime_across_daylight_saving_switches(moment, language, expected):
    assert format_datetime(moment, language) == expected


def test_format_datetime_refuses_naive_moments():
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 12, 12, 20, 0), "nl")


# --- QR codes ----------------------------------------------------------------------------------------------------


def test_qr_is_level_m_with_a_quiet_zone_and_fits_the_longest_payload():
    code = make_qr(SEATED.payload)
    assert code.error == "M" and not code.is_micro
    assert make_qr("x" * 299).version <= 13
    # PNG: 8 px per module, 4 white modules each side.
    image = _png_image(qr_png(SEATED.payload, scale=8))
    assert image.size == ((code.symbol_size(border=0)[0] + 8) * 8,) * 2
    assert image.getpixel((0, 0)) == image.getpixel((4 * 8 - 1, 4 * 8 - 1)) != image.getpixel((4 * 8, 4 * 8))


def test_qr_svg_is_a_standalone_svg_element():
    svg = qr_svg(SEATED.payload)
    assert not svg.startswith("<?xml")
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_qr_matrix_round_trips_through_segno():
    # Without any decoder: the code segno builds for the payload is the one its own encoder reproduces.
    first, second = make_qr(SEATED.payload), segno.make_qr(SEATED.payload, error="m", boost_error=False, mode="byte")
    assert first.matrix == second.matrix and first.version == second.version


def test_qr_png_decodes_back_to_the_payload():
    zxingcpp = pytest.importorskip("zxingcpp")
    # QR codes only: a linear-barcode reader may see a few digits in a QR code's modules.
    results = zxingcpp.read_barcodes(_png_image(qr_png(SEATED.payload, scale=4)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [result.text for result in results] == [SEATED.payload]


def test_qr_svg_and_png_show_the_same_modules():
    # The SVG path draws exactly the dark modules of the matrix (checked via segno's own rendering of both).
    code = make_qr(STANDING.payload)
    png = _png_image(qr_png(STANDING.payload, scale=1)).convert("1")
    width = code.symbol_size(border=4)[0]
    dark = {(x, y) for y in range(width) for x in range(width) if png.getpixel((x, y)) == 0}
    expected = {(x + 4, y + 4) for y, row in enumerate(code.matrix) for x, value in enumerate(row) if value}
    assert dark == expected
    assert 'stroke="#000"' in qr_svg(STANDING.payload)


def _png_image(data: bytes):
    from PIL import Image

    return Image.open(io.BytesIO(data))


# --- PDF ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> dict[str, pypdf.PdfReader]:
    return {language: pypdf.PdfReader(io.BytesIO(order_pdf(ORDER, language))) for language in ("nl", "fr", "en")}


def test_pdf_is_a4_with_one_page_per_ticket(rendered):
    raw = order_pdf(ORDER, "nl")
    assert raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    for reader in rendered.values():
        assert len(reader.pages) == len(ORDER.tickets)
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)


@pytest.mark.parametrize(
    "language, expected_seated, expected_standing",
    [
        (
            "nl",
            [
                "Ticket 1 van 2",
                "za 12 december 2026, 20:00",
                "ZONE",
                "Parterre",
                "RIJ",
                "K",
                "STOEL",
                "14",
                "Volwassene",
                "€ 28,00",
                "Bestelling o_7Qf2KxW9aLm3",
                "Toon deze code aan de ingang",
            ],
            ["Ticket 2 van 2", "Staanplaats", "Jongeren -26", "€ 12,00"],
        ),
        (
            "fr",
            [
                "Billet 1 sur 2",
                "sam. 12 décembre 2026 à 20:00",
                "RANG",
                "SIÈGE",
                "28,00 €",
                "Commande o_7Qf2KxW9aLm3",
                "Présentez ce code à l'entrée",
            ],
            ["Billet 2 sur 2", "Place debout", "12,00 €"],
        ),
        (
            "en",
            [
                "Ticket 1 of 2",
                "Sat 12 December 2026, 20:00",
                "SECTION",
                "ROW",
                "SEAT",
                "€28.00",
                "Order o_7Qf2KxW9aLm3",
                "Show this code at the entrance",
            ],
            ["Ticket 2 of 2", "Standing", "€12.00"],
        ),
    ],
)
def test_pdf_pages_carry_the_ticket_texts(rendered, language, expected_seated, expected_standing):
    seated, standing = (flat(page.extract_text()) for page in rendered[language].pages)
    common = ["Théâtre Élégance", "La Cerisaie à Gand", "Grote zaal", "Deuren open om 19.30 uur."]
    for text in common + expected_seated + ["t_seatedAAAAAAAAAA"]:
        assert text in seated, text
    for text in common + expected_standing + ["t_standingBBBBBBBB"]:
        assert text in standing, text
    assert "t_standingBBBBBBBB" not in seated


def test_each_page_qr_decodes_to_its_own_ticket_payload(rendered):
    zxingcpp = pytest.importorskip("zxingcpp")
    for page, ticket in zip(rendered["nl"].pages, ORDER.tickets):
        images = page.images
        assert len(images) == 1
        found = zxingcpp.read_barcodes(images[0].image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert [result.text for result in found] == [ticket.payload]


def test_pdf_embeds_a_font_with_accents_and_the_euro_sign():
    files = document_fonts()
    assert files is not None, "no TTF font found: install font-source-sans-pro"
    raw = order_pdf(ORDER, "fr")
    assert b"/FontFile2" in raw  # embedded (subset) TrueType, not a viewer-dependent core font


def test_pdf_falls_back_to_the_core_font_in_windows_1252(monkeypatch):
    monkeypatch.setattr(pdf_module, "document_fonts", lambda: None)
    reader = pypdf.PdfReader(io.BytesIO(order_pdf(ORDER, "fr")))
    text = flat(reader.pages[0].extract_text())
    assert "Théâtre Élégance" in text and "28,00 €" in text and "Siège".upper() in text


def test_long_texts_are_shrunk_or_cut_to_stay_in_their_place():
    order = OrderDocument(
        order_id="o_1",
        house_name="Het Huis met een Naam die Nooit Ophoudt " * 3,
        production_title="Een heel lange titel " * 8,
        venue_name="Theaterzaal",
        starts_at=START,
        tickets=[
            TicketDocument(
                ticket_id="t_1",
                payload=SEATED.payload,
                tariff_name="Reductietarief werkzoekenden en studenten",
                price_cents=123456,
                section="Balkon 2",
                row="AA",
                number=101,
            )
        ],
    )
    reader = pypdf.PdfReader(io.BytesIO(order_pdf(order, "nl")))
    assert len(reader.pages) == 1
    text = flat(reader.pages[0].extract_text())
    assert "€ 1.234,56" in text and "Reductietarief werkzoekenden en studenten" in text
    # Title cut after three lines, house name after one: both end in an ellipsis instead of overrunning.
    assert text.count("…") == 2 and "Ticket 1 van 1" in text


def test_documents_refuse_what_cannot_be_printed():
    with pytest.raises(ValueError):
        OrderDocument(
            order_id="o",
            house_name="h",
            production_title="p",
            venue_name="v",
            starts_at=datetime(2026, 12, 12, 20, 0),
            tickets=(SEATED,),
        )
    with pytest.raises(ValueError):
        OrderDocument(order_id="o", house_name="h", production_title="p", venue_name="v", starts_at=START, tickets=())
    with pytest.raises(ValueError):
        TicketDocument(ticket_id="t", payload="p", tariff_name="x", price_cents=-1)
    with pytest.raises(ValueError):
        order_pdf(ORDER, "de")
    assert STANDING.is_standing and not SEATED.is_standing

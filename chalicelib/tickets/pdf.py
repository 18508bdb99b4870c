"""A printable A4 PDF of an order's tickets: one ticket per page, each with its QR code."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from .. import i18n
from ..i18n import LANGUAGES, document_fonts, format_datetime, format_money
from .qr import qr_png


@dataclass(frozen=True)
class TicketDocument:
    """One ticket as printed: its signed QR payload, its place and its price.

    A ticket without section, row and number is a standing place.
    """

    ticket_id: str
    payload: str
    tariff_name: str
    price_cents: int
    currency: str = "EUR"
    section: str | None = None
    row: str | None = None
    number: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.price_cents, bool) or not isinstance(self.price_cents, int) or self.price_cents < 0:
            raise ValueError("price_cents must be a non-negative integer")
        if not self.payload:
            raise ValueError("a ticket needs its QR payload")

    @property
    def is_standing(self) -> bool:
        """True for a standing place: no section, row or seat number."""
        return self.section is None and self.row is None and self.number is None


@dataclass(frozen=True)
class OrderDocument:
    """An order as printed: the performance once, then its tickets; texts already in the buyer's language."""

    order_id: str
    house_name: str
    production_title: str
    venue_name: str
    starts_at: datetime
    tickets: tuple[TicketDocument, ...]
    note: str | None = None  # the house's own words, e.g. "Deuren open om 19.30 uur", printed under the standard note

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.starts_at.utcoffset() is None:
            raise ValueError("starts_at must be an aware datetime")
        # Accept any sequence but store a tuple, so the document stays immutable and hashable.
        object.__setattr__(self, "tickets", tuple(self.tickets))
        if not self.tickets:
            raise ValueError("an order document needs at least one ticket")


def _texts(language: str) -> dict[str, str]:
    """The ticket's words in `language`, from the catalogue (English msgids)."""
    _ = i18n.translator(language)
    return {
        "ticket_of": _("Ticket {index} of {count}"),
        "section": _("Section"),
        "row": _("Row"),
        "seat": _("Seat"),
        "standing": i18n.pgettext(language, "ticket", "Standing"),
        "place": _("Place"),
        "tariff": _("Tariff"),
        "price": _("Price"),
        "order": _("Order"),
        "ticket": _("Ticket"),
        "note": _(
            "Show this code at the entrance, printed or on your phone. Each code admits once: do not share "
            "it. Please be on time; latecomers are let in when it does not disturb the performance."
        ),
    }


_DOCUMENT_LANGUAGES = {"nl": "nl-BE", "fr": "fr-BE", "en": "en"}  # the PDF's /Lang, for screen readers

_FAMILY = "TicketSans"
_CORE_FAMILY = "helvetica"

_INK = (20, 20, 28)
_MUTED = (105, 105, 118)
_BAND = (43, 27, 63)  # deep aubergine header band
_LINE = (200, 200, 208)
_WHITE = (255, 255, 255)

_PAGE_MARGIN = 15.0
_CARD_WIDTH = 180.0
_CARD_HEIGHT = 132.0
_BAND_HEIGHT = 20.0
_PAD = 8.0
_QR_SIZE = 52.0
_LEFT_WIDTH = 104.0


def order_pdf(order: OrderDocument, language: str = "nl") -> bytes:
    """The order's tickets as a printable A4 PDF, one ticket per page, labels in `language` (nl, fr, en)."""
    return tickets_pdf([order], language)


def tickets_pdf(orders: Sequence[OrderDocument], language: str = "nl") -> bytes:
    """Several performances' tickets in one PDF (a box office prints a cross-house sale at once)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    texts = _texts(language)
    first = orders[0]
    pdf = _TicketPdf(document_fonts())
    pdf.set_title(f"{first.production_title} - {first.house_name}")
    pdf.set_author(first.house_name)
    pdf.set_subject(f"{texts['order']} {first.order_id}")
    pdf.set_creator("Podium")
    pdf.set_lang(_DOCUMENT_LANGUAGES[language])
    for order in orders:
        when = format_datetime(order.starts_at, language)
        for index, ticket in enumerate(order.tickets, start=1):
            pdf.add_page()
            counter = texts["ticket_of"].format(index=index, count=len(order.tickets))
            _draw_ticket(pdf, order, ticket, when, texts, counter, language)
    return bytes(pdf.output())


class _TicketPdf(FPDF):
    """FPDF with the ticket font set up and text made safe for whichever font that is."""

    def __init__(self, font_files: tuple[str, str] | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(_PAGE_MARGIN, _PAGE_MARGIN, _PAGE_MARGIN)
        self.embedded_font = font_files is not None
        if font_files is not None:
            regular, bold = font_files
            self.add_font(_FAMILY, "", regular)
            self.add_font(_FAMILY, "B", bold)
        else:
            # Windows-1252 rather than the default Latin-1: it has the euro sign.
            self.core_fonts_encoding = "windows-1252"

    def use(self, size: float, bold: bool = False, color: tuple[int, int, int] = _INK) -> None:
        """Switch to the ticket font at `size` points."""
        self.set_font(_FAMILY if self.embedded_font else _CORE_FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)

    def safe(self, text: str) -> str:
        """Text the current font can show: narrow no-break spaces widened, and for the core font cp1252 only."""
        text = text.replace("\u202f", "\u00a0")
        if not self.embedded_font:
            text = text.encode("cp1252", errors="replace").decode("cp1252")
        return text

    def text_at(self, x: float, y: float, width: float, height: float, text: str, align: str = "L") -> None:
        """One line of text in a box whose top left corner is (x, y), cut with an ellipsis if too wide."""
        self.set_xy(x, y)
        self.cell(width, height, self.fit(self.safe(text), width), align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)

    def fit(self, text: str, width: float) -> str:
        """`text` as is if it fits `width`, else shortened to end in an ellipsis."""
        # cell() adds its own padding on both sides; keep clear of it.
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return text
        while text and self.get_string_width(text + "…") > room:
            text = text[:-1].rstrip()
        return text + "…"

    def lines_at(self, x: float, y: float, width: float, height: float, text: str) -> float:
        """Wrapped text from (x, y); returns the y below it."""
        self.set_xy(x, y)
        self.multi_cell(width, height, self.safe(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return self.get_y()

    def wrap(self, width: float, text: str) -> list[str]:
        """`text` broken into lines that fit `width` in the current font."""
        # fpdf types the answer as the union of every output form; LINES alone gives the list of lines.
        return cast(list[str], self.multi_cell(width, 5, self.safe(text), dry_run=True, output=MethodReturnValue.LINES))


def _draw_ticket(
    pdf: _TicketPdf,
    order: OrderDocument,
    ticket: TicketDocument,
    when: str,
    texts: dict[str, str],
    counter: str,
    language: str,
) -> None:
    left, top = _PAGE_MARGIN, _PAGE_MARGIN
    inner = left + _PAD

    # The dark band, its lower corners squared by a plain rectangle, then the card's outline over both.
    pdf.set_fill_color(*_BAND)
    pdf.rect(left, top, _CARD_WIDTH, _BAND_HEIGHT, style="F", round_corners=True, corner_radius=3)
    pdf.rect(left, top + _BAND_HEIGHT - 4, _CARD_WIDTH, 4, style="F")
    pdf.set_line_width(0.3)
    pdf.set_draw_color(*_LINE)
    pdf.rect(left, top, _CARD_WIDTH, _CARD_HEIGHT, style="D", round_corners=True, corner_radius=3)
    pdf.use(15, bold=True, color=_WHITE)
    pdf.text_at(inner, top + 4, _CARD_WIDTH - 2 * _PAD - 40, 12, order.house_name)
    pdf.use(10, color=_WHITE)
    pdf.text_at(left + _CARD_WIDTH - _PAD - 40, top + 4, 40, 12, counter, align="R")

    # The performance: title (shrunk to fit two lines), when, where.
    y = top + _BAND_HEIGHT + 7
    for size in (22, 19, 16, 14):
        pdf.use(size, bold=True)
        lines = pdf.wrap(_LEFT_WIDTH, order.production_title)
        if len(lines) <= 2:
            break
    for line in _at_most(pdf, lines, 3, _LEFT_WIDTH):
        pdf.text_at(inner, y, _LEFT_WIDTH, size * 0.42, line)
        y += size * 0.42
    y += 2
    pdf.use(13, bold=True)
    pdf.text_at(inner, y, _LEFT_WIDTH, 7, when)
    pdf.use(11, color=_MUTED)
    pdf.text_at(inner, y + 7, _LEFT_WIDTH, 6, order.venue_name)

    # The place, in boxes a steward can read at a glance.
    y = top + 68
    if ticket.is_standing:
        _field_box(pdf, inner, y, _LEFT_WIDTH, texts["place"], texts["standing"])
    else:
        gap = 3.0
        width = (_LEFT_WIDTH - 2 * gap) / 3
        for column, (label, value) in enumerate(
            ((texts["section"], ticket.section), (texts["row"], ticket.row), (texts["seat"], ticket.number))
        ):
            _field_box(pdf, inner + column * (width + gap), y, width, label, "–" if value is None else str(value))
    y += 23
    _field_box(pdf, inner, y, _LEFT_WIDTH * 0.62, texts["tariff"], ticket.tariff_name, value_size=12)
    _field_box(
        pdf,
        inner + _LEFT_WIDTH * 0.62 + 3,
        y,
        _LEFT_WIDTH * 0.38 - 3,
        texts["price"],
        format_money(ticket.price_cents, ticket.currency, language),
        value_size=12,
    )

    # The QR code, with its quiet zone inside the image; the ticket id under it for the box office.
    qr_x = left + _CARD_WIDTH - _PAD - _QR_SIZE
    qr_y = top + _BAND_HEIGHT + 8
    pdf.image(
        io.BytesIO(qr_png(ticket.payload, scale=8)),
        x=qr_x,
        y=qr_y,
        w=_QR_SIZE,
        h=_QR_SIZE,
        alt_text=f"QR {ticket.ticket_id}",
    )
    pdf.use(8.5, color=_MUTED)
    pdf.text_at(qr_x, qr_y + _QR_SIZE + 1, _QR_SIZE, 5, f"{texts['ticket']} {ticket.ticket_id}", align="C")

    # Footer of the card: the references a buyer quotes to the box office.
    pdf.set_draw_color(*_LINE)
    pdf.line(left, top + _CARD_HEIGHT - 12, left + _CARD_WIDTH, top + _CARD_HEIGHT - 12)
    pdf.use(9, color=_MUTED)
    pdf.text_at(
        inner,
        top + _CARD_HEIGHT - 10,
        _CARD_WIDTH - 2 * _PAD,
        8,
        f"{texts['order']} {order.order_id}   ·   {texts['ticket']} {ticket.ticket_id}",
    )

    # Under the card: what to do with the ticket, then the house's own note.
    pdf.use(10, color=_INK)
    y = pdf.lines_at(left, top + _CARD_HEIGHT + 8, _CARD_WIDTH, 5, texts["note"])
    if order.note:
        pdf.use(10, bold=True)
        pdf.lines_at(left, y + 2, _CARD_WIDTH, 5, order.note)


def _at_most(pdf: _TicketPdf, lines: list[str], count: int, width: float) -> list[str]:
    """The first `count` lines, the last ending in an ellipsis when text was cut, so a title never overruns."""
    if len(lines) <= count:
        return lines
    # A full-width last line plus the ellipsis is too wide, so fit() shortens it.
    return lines[: count - 1] + [pdf.fit(lines[count - 1].rstrip() + " …", width)]


def _field_box(
    pdf: _TicketPdf, x: float, y: float, width: float, label: str, value: str, value_size: float = 17
) -> None:
    """A labelled value in a light rounded box: small grey label on top, bold value under it."""
    pdf.set_draw_color(*_LINE)
    pdf.set_fill_color(246, 245, 249)
    pdf.rect(x, y, width, 19, style="DF", round_corners=True, corner_radius=2)
    pdf.use(8, color=_MUTED)
    pdf.text_at(x + 3, y + 2, width - 6, 5, label.upper())
    # Shrink a long value (a tariff name, a long section) rather than let it run out of its box.
    size = value_size
    pdf.use(size, bold=True)
    while size > 8 and pdf.get_string_width(pdf.safe(value)) > width - 6 - 2 * pdf.c_margin:
        size -= 0.5
        pdf.use(size, bold=True)
    pdf.text_at(x + 3, y + 8, width - 6, 9, value)

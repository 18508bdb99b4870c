"""A settlement statement as CSV (for the house's bookkeeping), PDF (to file) and HTML (the staff page).

Texts in Dutch, French or English (the one catalogue, `chalicelib.i18n`); amounts in Belgian notation. `titles`
maps performance ids to the titles shown on the lines.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import jinja2
from fpdf import FPDF

from .. import i18n


def statement_texts(language: str) -> dict[str, str]:
    """The statement's words in `language`, by key, from the catalogue (English msgids)."""
    _ = i18n.translator(language)
    return {
        "title": _("Statement"),
        "period": _("Period"),
        "house": _("House"),
        "performance": _("Performance"),
        "tariff": _("Tariff"),
        "sold": _("Sold"),
        "refunded": _("Refunded"),
        "gross": _("Gross"),
        "refunds": _("Refunds"),
        "vat": _("VAT"),
        "commission": _("Seller's commission"),
        "revenue": _("Net"),
        "opening": _("Opening balance"),
        "commission_earned": _("Commission earned"),
        "fees": _("Payment fees"),
        "closing": _("Closing balance"),
        "transfer": _("Transfer"),
        "reference": _("Reference"),
        "none": _("none"),
    }


# The statement's own HTML (a document of this package, like its CSV and PDF), autoescaped.
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

LINE_AMOUNTS = ("gross", "refunds", "vat", "commission", "revenue")
SUMMARY = ("opening", "commission_earned", "fees", "closing", "transfer")


def _summary(statement: dict, transfer_amount: int) -> list[tuple[str, int]]:
    totals = statement["totals"]
    return [
        ("opening", statement["opening_balance"]),
        ("commission_earned", totals["commission_earned"]),
        ("fees", -totals["fees"]),
        ("closing", statement["closing_balance"]),
        ("transfer", transfer_amount),
    ]


def to_csv(
    statement: dict, titles: dict[str, str], transfer_id: str | None, transfer_amount: int, language: str = "nl"
) -> str:
    """One row per performance and tariff (amounts in cents), then the balances; `;`-separated as Belgian
    spreadsheets expect."""
    texts = statement_texts(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            texts["house"],
            texts["period"],
            "performance_id",
            texts["performance"],
            texts["tariff"],
            texts["sold"],
            texts["refunded"],
            *(f"{texts[k]} (cent)" for k in LINE_AMOUNTS),
        ]
    )
    for line in statement["lines"]:
        writer.writerow(
            [
                statement["house_id"],
                statement["period_id"],
                line["performance_id"],
                titles.get(line["performance_id"], ""),
                line["tariff_code"],
                line["tickets_sold"],
                line["tickets_refunded"],
                *(line[k] for k in LINE_AMOUNTS),
            ]
        )
    writer.writerow([])
    for key, cents in _summary(statement, transfer_amount):
        writer.writerow([texts[key], cents])
    writer.writerow([texts["reference"], transfer_id or ""])
    return out.getvalue()


def to_html(
    statement: dict,
    house_name: str,
    titles: dict[str, str],
    transfer_id: str | None,
    transfer_amount: int,
    language: str = "nl",
) -> str:
    texts = statement_texts(language)
    money = lambda cents: i18n.format_money(int(cents), statement["currency"], language)  # noqa: E731
    return _templates.get_template("statement.html").render(
        language=i18n.supported(language),
        statement=statement,
        house_name=house_name,
        titles=titles,
        texts=texts,
        money=money,
        amounts=LINE_AMOUNTS,
        summary=_summary(statement, transfer_amount),
        transfer_id=transfer_id,
    )


def to_pdf(
    statement: dict,
    house_name: str,
    titles: dict[str, str],
    transfer_id: str | None,
    transfer_amount: int,
    language: str = "nl",
) -> bytes:
    """An A4 landscape PDF of the statement."""
    texts = statement_texts(language)
    pdf = FPDF(orientation="L", format="A4")
    fonts = i18n.document_fonts()
    family = "Helvetica"
    if fonts:
        pdf.add_font("Body", "", fonts[0])
        pdf.add_font("Body", "B", fonts[1])
        family = "Body"
    pdf.set_title(f"{texts['title']} {statement['period_id']} - {house_name}")
    pdf.set_creator("Podium")
    pdf.add_page()
    pdf.set_font(family, "B", 16)
    pdf.cell(0, 10, f"{texts['title']} - {house_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    period = f"{statement['period_id']} ({statement['starts_at'][:10]} - {statement['ends_at'][:10]})"
    pdf.cell(0, 6, f"{texts['period']}: {period}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    money = lambda cents: i18n.format_money(int(cents), statement["currency"], language)  # noqa: E731
    headers = [
        texts["performance"],
        texts["tariff"],
        texts["sold"],
        texts["refunded"],
        *(texts[k] for k in LINE_AMOUNTS),
    ]
    widths = [70, 25, 18, 22, 28, 30, 25, 32, 27]
    pdf.set_font(family, "B", 9)
    for header, width in zip(headers, widths):
        pdf.cell(width, 7, header, border=1)
    pdf.ln()
    pdf.set_font(family, "", 9)
    for line in statement["lines"]:
        title = titles.get(line["performance_id"], line["performance_id"])[:45]
        cells = [
            title,
            line["tariff_code"],
            str(line["tickets_sold"]),
            str(line["tickets_refunded"]),
            *(money(line[k]) for k in LINE_AMOUNTS),
        ]
        for value, width in zip(cells, widths):
            pdf.cell(width, 6, value, border=1, align="L" if width >= 25 and not value[:1].isdigit() else "R")
        pdf.ln()
    pdf.ln(4)
    for key, cents in _summary(statement, transfer_amount):
        pdf.set_font(family, "B" if key in ("closing", "transfer") else "", 10)
        pdf.cell(60, 6, texts[key])
        pdf.cell(40, 6, money(cents), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.cell(60, 6, texts["reference"])
    pdf.cell(80, 6, transfer_id or texts["none"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

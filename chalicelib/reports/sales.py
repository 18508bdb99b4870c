"""A house's sales report as an HTML page (`GET /staff/reports/sales?format=html`): the figures per day,
performance, tariff and channel, and a bar chart of the net revenue per day, in the reader's language."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from .. import i18n
from ..i18n import format_money

CHART_HEIGHT = 160  # pixels of the highest day's bar


@functools.cache
def _templates(language: str) -> jinja2.Environment:
    """The report's own template (a document of this package, like the statement's), speaking `language`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates")),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    return env


def to_html(report: dict, house_name: str, language: str) -> str:
    """The report (as `services.crm.sales` gives it, amounts in cents) as a page with its chart."""
    language = i18n.supported(language)
    days = list(report["per_day"].items())
    peak = max((bucket["net"] for _, bucket in days), default=0) or 1
    bars = [
        {
            "day": day,
            "net": bucket["net"],
            "tickets": bucket["tickets_sold"],
            "height": round(CHART_HEIGHT * max(bucket["net"], 0) / peak),
        }
        for day, bucket in days
    ]
    return (
        _templates(language)
        .get_template("sales_report.html")
        .render(
            report=report,
            house_name=house_name,
            bars=bars,
            money=lambda cents: format_money(int(cents), "EUR", language),
        )
    )

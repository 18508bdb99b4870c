"""The house's CRM and reports for its staff, and the coordinator's cluster figures.

Every read is keyed by the caller's house; another house's buyer is never listed, and another
house's history of a buyer only where the buyer allowed sharing there.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from chalice import Blueprint, Response

from .. import ports
from ..domain.errors import FieldError, ValidationFailed
from ..reports.sales import to_html as sales_html
from ..services import catalog
from ..services import crm as service
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import date_param, endpoint, json_response, language_of, query_param
from .views import CUSTOMER_MONEY, REPORT_MONEY, with_money

crm = Blueprint(__name__)
route = endpoint(crm)
STAFF = (Role.HOUSE_ADMIN,)


def _int_param(name: str) -> int | None:
    value = query_param(crm.current_request, name)
    if value is None:
        return None
    if not value.isdigit() or int(value) > 100_000:
        raise ValidationFailed("Bad filter.", [FieldError(name, "invalid_number", "A whole number, 0 to 100000.")])
    return int(value)


def _segment(house_id: str) -> list[dict]:
    request = crm.current_request
    return service.segment(
        house_id,
        ports.clock().now(),
        genre=query_param(request, "genre"),
        since_days=_int_param("since_days"),
        postcode=query_param(request, "postcode"),
        min_orders=_int_param("min_orders"),
    )


@crm.route("/staff/customers", methods=["GET"])
@route
@staff(*STAFF)
def customers():
    """This house's buyers; segment with `genre`, `since_days`, `postcode`, `min_orders`."""
    house_id = house_of(current_staff())
    return json_response({"customers": with_money(_segment(house_id), CUSTOMER_MONEY)})


@crm.route("/staff/marketing-export", methods=["GET"])
@route
@staff(*STAFF, scope="customers:read")
def marketing_export():
    """The segment as CSV for e-mail marketing: only buyers who allowed this house's marketing."""
    house_id = house_of(current_staff())
    return Response(
        body=service.marketing_export(house_id, _segment(house_id)),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="marketing.csv"',
        },
    )


@crm.route("/staff/customers/{customer_id}", methods=["GET"])
@route
@staff(*STAFF)
def customer(customer_id: str):
    house_id = house_of(current_staff())
    return json_response(with_money(service.customer_history(house_id, customer_id), CUSTOMER_MONEY))


def _range() -> tuple[datetime, datetime]:
    now = ports.clock().now()
    request = crm.current_request
    ends_at = date_param(request, "to") or now
    starts_at = date_param(request, "from") or ends_at - timedelta(days=30)
    if starts_at >= ends_at:
        raise ValidationFailed("Bad range.", [FieldError("to", "before_start", "End after the start.")])
    return starts_at, ends_at


@crm.route("/staff/reports/sales", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN, Role.BOX_OFFICE, scope="reports:read")
def sales_report():
    """Sales of this house: JSON, or `?format=csv|html` (the HTML page has a chart per day)."""
    request = crm.current_request
    house_id = house_of(current_staff())
    wanted = query_param(request, "format", choices=("json", "csv", "html"), default="json")
    starts_at, ends_at = _range()
    report = service.sales(house_id, starts_at, ends_at)
    if wanted == "csv":
        return Response(body=_csv(report), status_code=200, headers={"Content-Type": "text/csv; charset=utf-8"})
    if wanted == "html":
        return Response(
            body=sales_html(report, catalog.house(house_id).name, language_of(request)),
            status_code=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
    return json_response(with_money(report, REPORT_MONEY))


@crm.route("/staff/reports/cluster", methods=["GET"])
@route
@staff(Role.COORDINATOR)
def cluster_report():
    """Per house tickets and revenue, cross-house orders: aggregated counts only (coordinator)."""
    starts_at, ends_at = _range()
    return json_response(with_money(service.cluster_overview(starts_at, ends_at), REPORT_MONEY))


def _csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["dimension", "key", "tickets_sold", "tickets_refunded", "gross", "refunds", "net"])
    for dimension in ("per_day", "per_performance", "per_tariff", "per_channel"):
        for key, bucket in report[dimension].items():
            writer.writerow(
                [
                    dimension[4:],
                    key,
                    bucket["tickets_sold"],
                    bucket["tickets_refunded"],
                    bucket["gross"],
                    bucket["refunds"],
                    bucket["net"],
                ]
            )
    totals = report["totals"]
    writer.writerow(
        [
            "total",
            "",
            totals["tickets_sold"],
            totals["tickets_refunded"],
            totals["gross"],
            totals["refunds"],
            totals["net"],
        ]
    )
    return out.getvalue()

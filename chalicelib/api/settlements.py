"""Money between houses, for staff: the cluster agreement, settlement runs and statements.

The coordinator sets the agreement and settles periods; each house reads only its own statements
(by its key), as JSON, CSV, PDF or an HTML page.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import ports
from ..domain.agreements import Agreement, validate_agreement
from ..reports import statements as documents
from ..services import catalog
from ..services import settlements as service
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, language_of, parse_body, query_param, utc_text
from . import schemas
from .views import STATEMENT_MONEY, with_money

settlements = Blueprint(__name__)
route = endpoint(settlements)
FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@settlements.route("/staff/agreement", methods=["GET"])
@route
@staff(Role.COORDINATOR, Role.HOUSE_ADMIN)
def get_agreement():
    return json_response(service.agreement().to_dict())


@settlements.route("/staff/agreement", methods=["PUT"])
@route
@staff(Role.COORDINATOR)
def put_agreement():
    """Set the cluster agreement (coordinator); applies to sales from now on, never to booked ones."""
    caller = current_staff()
    body = parse_body(settlements.current_request, schemas.AgreementBody)
    agreement = validate_agreement(Agreement.from_dict(body.model_dump()))
    return json_response(service.save_agreement(agreement, body.version, caller.subject, ports.clock().now()).to_dict())


def period_view(period) -> dict:
    return {
        "period_id": period.period_id,
        "starts_at": utc_text(period.starts_at),
        "ends_at": utc_text(period.ends_at),
        "status": period.status,
        "settled_at": utc_text(period.settled_at) if period.settled_at else None,
    }


@settlements.route("/staff/settlements", methods=["POST"])
@route
@staff(Role.COORDINATOR)
def settle():
    """Settle a period that has ended (coordinator): 202, the workflow pays each house its statement."""
    body = parse_body(settlements.current_request, schemas.SettlementBody)
    period, run = service.start_settlement(body.period, body.starts_at, body.ends_at, ports.clock().now())
    return json_response(
        {**period_view(period), "run": run}, 202, headers={"Location": f"/staff/settlements/{period.period_id}"}
    )


@settlements.route("/staff/settlements", methods=["GET"])
@route
@staff(Role.COORDINATOR)
def list_settlements():
    return json_response({"periods": [period_view(p) for p in service.periods()]})


@settlements.route("/staff/settlements/{period_id}", methods=["GET"])
@route
@staff(Role.COORDINATOR)
def get_settlement(period_id: str):
    """The period and, per house, what it was owed and the transfer (amounts only, no personal data)."""
    period = service.period(period_id)
    return json_response(
        {
            **period_view(period),
            "statements": [
                {
                    "house_id": s.house_id,
                    "amount": {"amount": s.amount_cents, "currency": s.currency},
                    "status": s.status,
                    "transfer_id": s.transfer_id,
                }
                for s in service.statements_of_period(period_id)
            ],
        }
    )


@settlements.route("/staff/statements", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN)
def my_statements():
    house_id = house_of(current_staff())
    return json_response(
        {
            "statements": [
                {
                    "period_id": s.period_id,
                    "amount": {"amount": s.amount_cents, "currency": s.currency},
                    "status": s.status,
                    "transfer_id": s.transfer_id,
                }
                for s in service.statements_of_house(house_id)
            ]
        }
    )


@settlements.route("/staff/statements/{period_id}", methods=["GET"])
@route
@staff(Role.HOUSE_ADMIN)
def my_statement(period_id: str):
    """This house's statement: JSON, or `?format=csv|pdf|html`."""
    request = settlements.current_request
    house_id = house_of(current_staff())
    record = service.house_statement(period_id, house_id)  # keyed by the caller's house: never another's
    wanted = query_param(request, "format", choices=("json", *FORMATS), default="json")
    if wanted == "json":
        return json_response(
            with_money(
                {
                    **record.statement,
                    "status": record.status,
                    "transfer_id": record.transfer_id,
                    "transferred": record.amount_cents if record.status == "paid" else 0,
                },
                STATEMENT_MONEY,
                record.statement.get("currency", "EUR"),
            )
        )
    language = language_of(request)
    titles = service.performance_titles(record.statement, language)
    transferred = record.amount_cents if record.status == "paid" else 0
    house_name = catalog.house(house_id).name
    body: str | bytes
    if wanted == "csv":
        body = documents.to_csv(record.statement, titles, record.transfer_id, transferred, language)
    elif wanted == "pdf":
        body = documents.to_pdf(record.statement, house_name, titles, record.transfer_id, transferred, language)
    else:
        body = documents.to_html(record.statement, house_name, titles, record.transfer_id, transferred, language)
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": FORMATS[wanted],
            "Content-Disposition": f'inline; filename="statement-{period_id}-{house_id}.{wanted}"',
        },
    )

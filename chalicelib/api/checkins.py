"""Door check-in for house staff (scanner role and up): scan, sync offline scans, count the hall."""

from __future__ import annotations

from chalice import Blueprint

from .. import ports
from ..domain.ticket_errors import TicketRejected
from ..i18n import problem_title
from ..services import checkins as service
from ..web.auth import Role, current_staff, house_of, staff
from ..web.http import endpoint, json_response, language_of, parse_body
from . import schemas

checkins = Blueprint(__name__)
route = endpoint(checkins)
DOOR = (Role.SCANNER, Role.BOX_OFFICE, Role.HOUSE_ADMIN)


@checkins.route("/staff/checkins", methods=["POST"])
@route
@staff(*DOOR)
def scan():
    """Admit one ticket: 200 admitted; 409 `ticket_already_scanned` with when and where; 422 not a ticket here."""
    request = checkins.current_request
    caller = current_staff()
    body = parse_body(request, schemas.ScanBody)
    result = service.scan(
        house_of(caller),
        body.performance_id,
        body.payload,
        caller.subject,
        body.gate,
        body.scan_id,
        body.scanned_at,
        ports.clock().now(),
    )
    return json_response(result)


@checkins.route("/staff/checkins/batch", methods=["POST"])
@route
@staff(*DOOR)
def sync():
    """A scanner's queued scans after a network loss, in the order they were made: a result for each."""
    request = checkins.current_request
    caller = current_staff()
    body = parse_body(request, schemas.ScanBatchBody)
    language = language_of(request)
    results = []
    for scan_body in body.scans:
        try:
            results.append(
                service.scan(
                    house_of(caller),
                    scan_body.performance_id,
                    scan_body.payload,
                    caller.subject,
                    scan_body.gate,
                    scan_body.scan_id,
                    scan_body.scanned_at,
                    ports.clock().now(),
                )
            )
        except TicketRejected as refused:
            results.append(
                {
                    "result": "refused",
                    "code": refused.code,
                    "title": problem_title(refused.code, language),
                    "scan_id": scan_body.scan_id,
                    **{k: v for k, v in refused.context.items()},
                }
            )
    return json_response({"results": results})


@checkins.route("/staff/performances/{performance_id}/checkins", methods=["GET"])
@route
@staff(*DOOR, scope="checkins:read")
def hall(performance_id: str):
    """How many are in the hall now."""
    caller = current_staff()
    return json_response(service.hall(house_of(caller), performance_id))

"""Door check-in for house staff (scanner role and up): scan, sync offline scans, count the hall."""
from __future__ import annotations

from chalice import Blueprint

from ..domain.catalog import utcnow
from ..domain.ticket_errors import TicketRejected
from ..i18n import problem_title
from ..services import checkins as service
from . import schemas
from .auth import Role, current_staff, house_of, public_route, staff
from .http import endpoint, json_response, language_of, parse_body

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
    result = service.scan(house_of(caller), body.performance_id, body.payload, caller.subject, body.gate,
                          body.scan_id, body.scanned_at, utcnow())
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
            results.append(service.scan(house_of(caller), scan_body.performance_id, scan_body.payload, caller.subject,
                                        scan_body.gate, scan_body.scan_id, scan_body.scanned_at, utcnow()))
        except TicketRejected as refused:
            results.append({"result": "refused", "code": refused.code, "title": problem_title(refused.code, language),
                            "scan_id": scan_body.scan_id, **{k: v for k, v in refused.context.items()}})
    return json_response({"results": results})


@checkins.route("/staff/performances/{performance_id}/checkins", methods=["GET"])
@route
@staff(*DOOR, scope="checkins:read")
def hall(performance_id: str):
    """How many are in the hall now."""
    caller = current_staff()
    return json_response(service.hall(house_of(caller), performance_id))


SCANNER_TEXTS = {
    "nl": {"title": "Tickets scannen", "token": "Aanmeldcode (scanner)", "performance": "Voorstelling (id)",
           "gate": "Ingang", "main_gate": "hoofdingang", "start": "Begin", "code": "Code (of scan met de camera)",
           "check": "Controleer", "welcome": "Welkom", "in_hall": "{n} binnen", "queued": "{n} scans wachten op het net",
           "already": "Al gescand om {at} aan {gate}", "refused": "Geweigerd", "offline_ok": "Geldig — bewaard tot het net terug is",
           "not_ticket": "Geen ticket", "unknown_key": "Onbekende ondertekening", "forged": "Vals ticket",
           "other_performance": "Ticket voor een andere voorstelling", "expired": "Ticket nu niet geldig"},
    "fr": {"title": "Scanner les billets", "token": "Code d'accès (scanner)", "performance": "Représentation (id)",
           "gate": "Entrée", "main_gate": "entrée principale", "start": "Commencer", "code": "Code (ou scan par la caméra)",
           "check": "Vérifier", "welcome": "Bienvenue", "in_hall": "{n} dans la salle",
           "queued": "{n} scans en attente du réseau", "already": "Déjà scanné à {at} à {gate}", "refused": "Refusé",
           "offline_ok": "Valable — gardé jusqu'au retour du réseau", "not_ticket": "Pas un billet",
           "unknown_key": "Signature inconnue", "forged": "Faux billet",
           "other_performance": "Billet pour une autre représentation", "expired": "Billet pas valable maintenant"},
    "en": {"title": "Scan tickets", "token": "Access code (scanner)", "performance": "Performance (id)", "gate": "Gate",
           "main_gate": "main entrance", "start": "Start", "code": "Code (or scan with the camera)", "check": "Check",
           "welcome": "Welcome", "in_hall": "{n} inside", "queued": "{n} scans waiting for the network",
           "already": "Already scanned at {at} at {gate}", "refused": "Refused",
           "offline_ok": "Valid — kept until the network is back", "not_ticket": "Not a ticket",
           "unknown_key": "Unknown signing key", "forged": "Forged ticket",
           "other_performance": "Ticket for another performance", "expired": "Ticket not valid now"},
}


@checkins.route("/staff/scanner", methods=["GET"])
@route
@public_route()
def scanner_page():
    """The door scanner page (camera where the browser has one, manual entry otherwise); its API calls carry
    the scanner's token, which the page asks for and keeps in memory only."""
    from chalice import Response

    from ..pages.rendering import render

    language = language_of(checkins.current_request)
    page = render("staff/scanner.html", language, t=SCANNER_TEXTS[language])
    return Response(body=page, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'; "
                                   "media-src 'self' blob:; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), usb=()"})

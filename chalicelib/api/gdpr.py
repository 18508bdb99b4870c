"""Buyers' rights as a JSON API: consents, export and erasure, with the token of the link in every e-mail.

The link (`/p/preferences#t={token}`) carries a signed, expiring, single-use token naming the buyer id
(and the order whose e-mail carried it), never an address; its page is `chalicelib/pages/preferences.py`.
Here the same rights are a small JSON API for clients, with the token in the `X-Podium-Buyer-Token` header,
and the coordinator's register of erasures. Nothing here is reachable without a token this cluster signed.
"""

from __future__ import annotations

from datetime import timedelta

from chalice import Blueprint, Response

from .. import ports
from ..domain.buyers import ConsentWish, LinkInvalid, LinkUsed
from ..services import buyers as service
from ..web.auth import Role, public_route, staff
from ..web.http import Unauthorized, date_param, download_response, endpoint, json_response, parse_body
from . import schemas

gdpr = Blueprint(__name__)
route = endpoint(gdpr)
TOKEN_HEADER = "x-podium-buyer-token"


def _buyer_from_header() -> str:
    token = gdpr.current_request.headers.get(TOKEN_HEADER)
    if not token:
        raise Unauthorized("Send the token of your preferences link in the X-Podium-Buyer-Token header.")
    try:
        return service.buyer_of(token, ports.clock().now())
    except (LinkInvalid, LinkUsed):
        raise Unauthorized("This token is not valid (a link opened on its page is used up).") from None


def _export_response(buyer_id: str) -> Response:
    return download_response(service.export(buyer_id, ports.clock().now()), "my-data.json")


# -- JSON API ---------------------------------------------------------------------------------------
@gdpr.route("/buyer/preferences", methods=["GET"])
@route
@public_route()  # the buyer's signed token is the credential
def get_preferences():
    """The buyer's records per house with their current consents, sharing, and erasure receipts."""
    return json_response(service.preferences(_buyer_from_header()))


@gdpr.route("/buyer/consents", methods=["PUT"])
@route
@public_route(rate_limited=True)
def put_consents():
    """Change consents: `{"marketing": {house_id: bool}, "sharing": bool, "language"?}`; what changed is recorded."""
    buyer_id = _buyer_from_header()
    body = parse_body(gdpr.current_request, schemas.ConsentChangeBody)
    recorded = service.change_consents(
        buyer_id, ConsentWish(dict(body.marketing), body.sharing), body.language, ports.clock().now()
    )
    return json_response({"recorded": recorded, **service.preferences(buyer_id)})


@gdpr.route("/buyer/export", methods=["GET"])
@route
@public_route()
def get_export():
    """Everything the cluster's houses hold about the buyer (JSON, `podium.buyer-export/1`)."""
    return _export_response(_buyer_from_header())


@gdpr.route("/buyer/erasure", methods=["POST"])
@route
@public_route(rate_limited=True)
def post_erasure():
    """Erase the buyer's personal data everywhere → 202 with the receipt (asking again: the same receipt)."""
    receipt = service.request_erasure(_buyer_from_header(), ports.clock().now())
    return json_response(receipt, 202)


@gdpr.route("/staff/erasures", methods=["GET"])
@route
@staff(Role.COORDINATOR)
def erasure_register():
    """The cluster's register of erasures (`?from=`, default the last 400 days): ids, houses, counts, times."""
    since = date_param(gdpr.current_request, "from") or ports.clock().now() - timedelta(days=400)
    return json_response({"erasures": service.register_of_erasures(since)})

"""Buyers' rights: consents, export and erasure, from the link in every e-mail.

The link (`/p/preferences/{token}`) carries a signed, expiring token naming the buyer id, never an
address. The same rights are a small JSON API for clients, with the token in the
`X-Podium-Buyer-Token` header. Nothing here is reachable without a token this cluster signed.
"""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

from chalice import Blueprint, Response

from ..domain.buyers import ConsentWish, LinkInvalid
from ..domain.catalog import utcnow
from ..domain.customers import CONSENT_WORDING, EMAIL, ConsentKind
from ..services import buyers as service
from ..settings import get_settings
from . import schemas
from .auth import Role, public_route, staff
from .http import Unauthorized, date_param, endpoint, json_response, parse_body
from .pages import Page, _form, _one, page_route

gdpr = Blueprint(__name__)
route = endpoint(gdpr)
TOKEN_HEADER = "x-podium-buyer-token"


def _buyer_from_header() -> str:
    token = gdpr.current_request.headers.get(TOKEN_HEADER)
    if not token:
        raise Unauthorized("Send the token of your preferences link in the X-Podium-Buyer-Token header.")
    try:
        return service.buyer_of(token, utcnow())
    except LinkInvalid:
        raise Unauthorized("This token is not valid.") from None


def _export_response(buyer_id: str) -> Response:
    body = json.dumps(service.export(buyer_id, utcnow()), ensure_ascii=False, indent=2)
    return Response(body=body, status_code=200, headers={
        "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="my-data.json"'})


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
    recorded = service.change_consents(buyer_id, ConsentWish(dict(body.marketing), body.sharing), body.language,
                                       utcnow())
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
    receipt = service.request_erasure(_buyer_from_header(), utcnow())
    return json_response(receipt, 202)


@gdpr.route("/staff/erasures", methods=["GET"])
@route
@staff(Role.COORDINATOR)
def erasure_register():
    """The cluster's register of erasures (`?from=`, default the last 400 days): ids, houses, counts, times."""
    since = date_param(gdpr.current_request, "from") or utcnow() - timedelta(days=400)
    return json_response({"erasures": service.register_of_erasures(since)})


# -- the pages behind the e-mail link -----------------------------------------------------------------
def _buyer(page: Page, token: str) -> str:
    return service.buyer_of(token, utcnow())


def _wording(page: Page, house_name: str) -> dict[str, str]:
    cluster = get_settings().cluster_name
    return {kind.value: CONSENT_WORDING[kind][page.language].format(house=house_name, cluster=cluster)
            for kind in ConsentKind}


def _preferences_page(page: Page, token: str, buyer_id: str, status: int = 200, **notice) -> Response:
    view = service.preferences(buyer_id)
    for house in view["houses"]:
        house["wording"] = _wording(page, house["house_name"])
    sharing_wording = CONSENT_WORDING[ConsentKind.SHARING][page.language].format(
        house="", cluster=get_settings().cluster_name)
    base = f"/p/preferences/{quote(token, safe='')}"
    return page.html("pages/preferences.html", status=status, view=view, base=base,
                     sharing_wording=sharing_wording, **notice)


@page_route("/p/preferences", blueprint=gdpr)
def ask_for_link(page: Page):
    """Where an expired link leads: ask for a new one by e-mail."""
    return page.html("pages/preferences_link.html", sent=(page.request.query_params or {}).get("sent") == "1",
                     invalid=False, email="")


@page_route("/p/preferences", methods=("POST",), blueprint=gdpr)
def send_link(page: Page):
    fields = _form(page)
    email = _one(fields, "email")
    if not EMAIL.match(email) or len(email) > 254:
        return page.html("pages/preferences_link.html", status=422, sent=False, invalid=True, email=email)
    service.send_new_link(email, page.language, utcnow())
    return page.redirect(page.url("/p/preferences", sent="1"))


@page_route("/p/preferences/{token}", blueprint=gdpr)
def preferences_page(page: Page, token: str):
    query = page.request.query_params or {}
    return _preferences_page(page, token, _buyer(page, token), saved=query.get("saved") == "1",
                             erasure_requested=query.get("erasure") == "requested")


@page_route("/p/preferences/{token}", methods=("POST",), blueprint=gdpr)
def save_preferences(page: Page, token: str):
    buyer_id = _buyer(page, token)
    fields = _form(page)
    houses = {house["house_id"] for house in service.preferences(buyer_id)["houses"]}
    # A checkbox is sent only when ticked: every house on the page is a choice, ticked or not.
    marketing = {house_id: house_id in fields.get("marketing", []) for house_id in houses}
    service.change_consents(buyer_id, ConsentWish(marketing, _one(fields, "sharing") == "yes"), page.language,
                            utcnow())
    return page.redirect(page.url(f"/p/preferences/{quote(token, safe='')}", saved="1"))


@page_route("/p/preferences/{token}/export", blueprint=gdpr)
def export_download(page: Page, token: str):
    return _export_response(_buyer(page, token))


@page_route("/p/preferences/{token}/erasure", methods=("POST",), blueprint=gdpr)
def erasure_form(page: Page, token: str):
    buyer_id = _buyer(page, token)
    fields = _form(page)
    if _one(fields, "confirm") != "yes":
        return _preferences_page(page, token, buyer_id, status=422, confirm_missing=True)
    service.request_erasure(buyer_id, utcnow())
    return page.redirect(page.url(f"/p/preferences/{quote(token, safe='')}", erasure="requested"))

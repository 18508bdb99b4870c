"""Buyers' rights: consents, export and erasure, from the link in every e-mail.

The link (`/p/preferences#t={token}`) carries a signed, expiring, single-use token naming the buyer id
(and the order whose e-mail carried it), never an address; opening it proves the address and gives the
page a short session in an HttpOnly cookie. There the owner confirms or declines, order by order, the
choices made with the address (proving the address does not make them the owner's). The same rights
are a small JSON API for clients, with the token in the `X-Podium-Buyer-Token` header. Nothing here is
reachable without a token this cluster signed.
"""
from __future__ import annotations

import json
from datetime import timedelta

from chalice import Blueprint, Response

from ..domain.buyers import (PREFERENCES_SESSION_MINUTES, ChoicesDecided, ConsentWish, LinkExpired, LinkInvalid,
                              LinkUsed)
from ..domain.catalog import utcnow
from ..domain.customers import CONSENT_WORDING, EMAIL, ConsentKind
from ..domain.errors import FieldError, ValidationFailed
from ..services import buyers as service
from ..settings import get_settings
from . import schemas
from .auth import Role, public_route, staff
from ..pages.shared import Page, one, page_route, read_form
from .http import Unauthorized, date_param, endpoint, json_response, parse_body, wants_html

gdpr = Blueprint(__name__)
route = endpoint(gdpr)
TOKEN_HEADER = "x-podium-buyer-token"


def _buyer_from_header() -> str:
    token = gdpr.current_request.headers.get(TOKEN_HEADER)
    if not token:
        raise Unauthorized("Send the token of your preferences link in the X-Podium-Buyer-Token header.")
    try:
        return service.buyer_of(token, utcnow())
    except (LinkInvalid, LinkUsed):
        raise Unauthorized("This token is not valid (a link opened on its page is used up).") from None


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
# The link carries its token in the fragment (`/p/preferences#t=…`), which browsers never send: the page's
# script (or, without JavaScript, the buyer) posts it once to `/p/preferences/open`, which spends it and
# answers with this cookie, a short session for the page. No token is ever in a path, a query or a redirect.
SESSION_COOKIE = "podium_buyer"
SESSION_PATH = "/p/preferences"


def _session_cookie(value: str, max_age: int) -> str:
    secure = "; Secure" if get_settings().public_base_url.startswith("https://") else ""
    return f"{SESSION_COOKIE}={value}; Path={SESSION_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"


def _session_buyer(page: Page) -> str | None:
    for part in (page.request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE:
            return service.buyer_of_session(value, utcnow())
    return None


def _buyer(page: Page) -> str:
    buyer_id = _session_buyer(page)
    if buyer_id is None:
        raise LinkExpired("This page was opened too long ago; follow the link in one of our e-mails again.")
    return buyer_id


def _with_cookie(response: Response, cookie: str) -> Response:
    cookies = [value for value in [response.headers.get("Set-Cookie")] if value]
    response.headers["Set-Cookie"] = [*cookies, cookie]
    return response


def _wording(page: Page, house_name: str) -> dict[str, str]:
    cluster = get_settings().cluster_name
    return {kind.value: CONSENT_WORDING[kind][page.language].format(house=house_name, cluster=cluster)
            for kind in ConsentKind}


def _preferences_page(page: Page, buyer_id: str, status: int = 200, **notice) -> Response:
    view = service.preferences(buyer_id)
    for house in view["houses"]:
        house["wording"] = _wording(page, house["house_name"])
    sharing_wording = CONSENT_WORDING[ConsentKind.SHARING][page.language].format(
        house="", cluster=get_settings().cluster_name)
    return page.html("pages/preferences.html", status=status, view=view, base=SESSION_PATH,
                     sharing_wording=sharing_wording, orders=service.waiting_orders(buyer_id), **notice)


@page_route("/p/preferences", blueprint=gdpr)
def preferences_page(page: Page):
    """The buyer's page while their session lasts; else where the link's token is handed over (by the page's
    script, from the fragment) and where a new link can be asked for."""
    query = page.request.query_params or {}
    buyer_id = _session_buyer(page)
    if buyer_id is None:
        return page.html("pages/preferences_link.html", sent=query.get("sent") == "1", invalid=False, email="")
    return _preferences_page(page, buyer_id, saved=query.get("saved") == "1",
                             erasure_requested=query.get("erasure") == "requested",
                             order_answer=query.get("order") if query.get("order") in ORDER_ANSWERS.values() else None)


@page_route("/p/preferences", methods=("POST",), blueprint=gdpr)
def send_link(page: Page):
    fields = read_form(page)
    email = one(fields, "email")
    if not EMAIL.match(email) or len(email) > 254:
        return page.html("pages/preferences_link.html", status=422, sent=False, invalid=True, email=email)
    service.send_new_link(email, page.language, utcnow())
    return page.redirect(page.url("/p/preferences", sent="1"))


@page_route("/p/preferences/open", methods=("POST",), blueprint=gdpr)
def open_link(page: Page):
    """Spend the link's token (posted once: `token`), prove the address it went to, start the page's session
    (the choices made with an order wait there for the owner's word: `/p/preferences/orders`)."""
    buyer_id = service.open_link(one(read_form(page), "token"), utcnow())
    return _with_cookie(page.redirect(page.url(SESSION_PATH)),
                        _session_cookie(service.page_session(buyer_id, utcnow()), PREFERENCES_SESSION_MINUTES * 60))


@page_route("/p/preferences/consents", methods=("POST",), blueprint=gdpr)
def save_preferences(page: Page):
    fields = read_form(page)
    buyer_id = _buyer(page)
    houses = {house["house_id"] for house in service.preferences(buyer_id)["houses"]}
    # A checkbox is sent only when ticked: every house on the page is a choice, ticked or not.
    marketing = {house_id: house_id in fields.get("marketing", []) for house_id in houses}
    service.change_consents(buyer_id, ConsentWish(marketing, one(fields, "sharing") == "yes"), page.language,
                            utcnow())
    return page.redirect(page.url(SESSION_PATH, saved="1"))


ORDER_ANSWERS = {"confirm": "confirmed", "decline": "declined"}


@page_route("/p/preferences/orders", methods=("POST",), blueprint=gdpr)
def order_choices(page: Page):
    """The owner's word on the choices made with one of their orders (`order_id`): `answer=confirm` applies
    them, `answer=decline` marks them never to be used. Either again changes nothing; the other one after
    is refused (409, the page saying why)."""
    fields = read_form(page)
    buyer_id = _buyer(page)
    order_id, answer = one(fields, "order_id"), one(fields, "answer")
    if answer not in ORDER_ANSWERS:
        raise ValidationFailed("Say whether these choices are yours.", [
            FieldError("answer", "invalid_answer", "Send answer=confirm or answer=decline.")])
    try:
        if answer == "confirm":
            service.confirm_order(buyer_id, order_id, utcnow())
        else:
            service.decline_order(buyer_id, order_id, utcnow())
    except ChoicesDecided as refused:
        if not wants_html(page.request):
            raise
        return _preferences_page(page, buyer_id, status=409,
                                 order_refused="declined" if refused.declined else "confirmed")
    return page.redirect(page.url(SESSION_PATH, order=ORDER_ANSWERS[answer]))


@page_route("/p/preferences/export", blueprint=gdpr)
def export_download(page: Page):
    return _export_response(_buyer(page))


@page_route("/p/preferences/erasure", methods=("POST",), blueprint=gdpr)
def erasure_form(page: Page):
    fields = read_form(page)
    buyer_id = _buyer(page)
    if one(fields, "confirm") != "yes":
        return _preferences_page(page, buyer_id, status=422, confirm_missing=True)
    service.request_erasure(buyer_id, utcnow())
    return page.redirect(page.url(SESSION_PATH, erasure="requested"))


"""The buyer's preferences page (`/p/preferences`), from the link in every e-mail: consents per house, the choices
made with each order (the owner confirms or declines them), export and erasure.

The link (`/p/preferences#t={token}`) carries a signed, expiring, single-use token naming the buyer id (and the
order whose e-mail carried it), never an address; opening it proves the address and gives the page a short session
in an HttpOnly cookie. Proving the address does not make the choices made with it the owner's: the owner confirms or
declines them, order by order. The same rights are a JSON API (`api/gdpr.py`).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from .. import i18n, ports
from ..domain.buyers import PREFERENCES_SESSION_MINUTES, ChoicesDecided, ConsentWish, LinkExpired
from ..domain.customers import EMAIL, ConsentKind, consent_wording
from ..domain.errors import FieldError, ValidationFailed
from ..services import buyers as service
from ..settings import get_settings
from ..web.http import download_response, wants_html
from .shared import Page, one, page_route, read_form

preference_pages = Blueprint("chalicelib.pages.preferences")

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
            return service.buyer_of_session(value, ports.clock().now())
    return None


def _buyer(page: Page) -> str:
    buyer_id = _session_buyer(page)
    if buyer_id is None:
        raise LinkExpired("This page was opened too long ago; follow the link in one of our e-mails again.")
    return buyer_id


def _with_cookie(response: Response, cookie: str) -> Response:
    existing = response.headers.get("Set-Cookie")
    cookies = existing if isinstance(existing, list) else [existing] if existing else []
    response.headers["Set-Cookie"] = [*cookies, cookie]
    return response


def _wording(page: Page, house_name: str) -> dict[str, str]:
    cluster = get_settings().cluster_name
    return {kind.value: consent_wording(kind, page.language, house_name, cluster, i18n.gettext) for kind in ConsentKind}


def _preferences_page(page: Page, buyer_id: str, status: int = 200, **notice) -> Response:
    view = service.preferences(buyer_id)
    for house in view["houses"]:
        house["wording"] = _wording(page, house["house_name"])
    sharing_wording = consent_wording(ConsentKind.SHARING, page.language, "", get_settings().cluster_name, i18n.gettext)
    return page.html(
        "pages/preferences.html",
        status=status,
        view=view,
        base=SESSION_PATH,
        sharing_wording=sharing_wording,
        orders=service.waiting_orders(buyer_id),
        **notice,
    )


@page_route("/p/preferences", blueprint=preference_pages)
def preferences_page(page: Page):
    """The buyer's page while their session lasts; else where the link's token is handed over (by the page's
    script, from the fragment) and where a new link can be asked for."""
    query = page.request.query_params or {}
    buyer_id = _session_buyer(page)
    if buyer_id is None:
        return page.html("pages/preferences_link.html", sent=query.get("sent") == "1", invalid=False, email="")
    return _preferences_page(
        page,
        buyer_id,
        saved=query.get("saved") == "1",
        erasure_requested=query.get("erasure") == "requested",
        order_answer=query.get("order") if query.get("order") in ORDER_ANSWERS.values() else None,
    )


@page_route("/p/preferences", methods=("POST",), blueprint=preference_pages)
def send_link(page: Page):
    fields = read_form(page)
    email = one(fields, "email")
    if not EMAIL.match(email) or len(email) > 254:
        return page.html("pages/preferences_link.html", status=422, sent=False, invalid=True, email=email)
    service.send_new_link(email, page.language, ports.clock().now())
    return page.redirect(page.url("/p/preferences", sent="1"))


@page_route("/p/preferences/open", methods=("POST",), blueprint=preference_pages)
def open_link(page: Page):
    """Spend the link's token (posted once: `token`), prove the address it went to, start the page's session
    (the choices made with an order wait there for the owner's word: `/p/preferences/orders`)."""
    buyer_id = service.open_link(one(read_form(page), "token"), ports.clock().now())
    return _with_cookie(
        page.redirect(page.url(SESSION_PATH)),
        _session_cookie(service.page_session(buyer_id, ports.clock().now()), PREFERENCES_SESSION_MINUTES * 60),
    )


@page_route("/p/preferences/consents", methods=("POST",), blueprint=preference_pages)
def save_preferences(page: Page):
    fields = read_form(page)
    buyer_id = _buyer(page)
    houses = {house["house_id"] for house in service.preferences(buyer_id)["houses"]}
    # A checkbox is sent only when ticked: every house on the page is a choice, ticked or not.
    marketing = {house_id: house_id in fields.get("marketing", []) for house_id in houses}
    service.change_consents(
        buyer_id, ConsentWish(marketing, one(fields, "sharing") == "yes"), page.language, ports.clock().now()
    )
    return page.redirect(page.url(SESSION_PATH, saved="1"))


ORDER_ANSWERS = {"confirm": "confirmed", "decline": "declined"}


@page_route("/p/preferences/orders", methods=("POST",), blueprint=preference_pages)
def order_choices(page: Page):
    """The owner's word on the choices made with one of their orders (`order_id`): `answer=confirm` applies
    them, `answer=decline` marks them never to be used. Either again changes nothing; the other one after
    is refused (409, the page saying why)."""
    fields = read_form(page)
    buyer_id = _buyer(page)
    order_id, answer = one(fields, "order_id"), one(fields, "answer")
    if answer not in ORDER_ANSWERS:
        raise ValidationFailed(
            "Say whether these choices are yours.",
            [FieldError("answer", "invalid_answer", "Send answer=confirm or answer=decline.")],
        )
    try:
        if answer == "confirm":
            service.confirm_order(buyer_id, order_id, ports.clock().now())
        else:
            service.decline_order(buyer_id, order_id, ports.clock().now())
    except ChoicesDecided as refused:
        if not wants_html(page.request):
            raise
        return _preferences_page(
            page, buyer_id, status=409, order_refused="declined" if refused.declined else "confirmed"
        )
    return page.redirect(page.url(SESSION_PATH, order=ORDER_ANSWERS[answer]))


@page_route("/p/preferences/export", blueprint=preference_pages)
def export_download(page: Page):
    return download_response(service.export(_buyer(page), ports.clock().now()), "my-data.json")


@page_route("/p/preferences/erasure", methods=("POST",), blueprint=preference_pages)
def erasure_form(page: Page):
    fields = read_form(page)
    buyer_id = _buyer(page)
    if one(fields, "confirm") != "yes":
        return _preferences_page(page, buyer_id, status=422, confirm_missing=True)
    service.request_erasure(buyer_id, ports.clock().now())
    return page.redirect(page.url(SESSION_PATH, erasure="requested"))

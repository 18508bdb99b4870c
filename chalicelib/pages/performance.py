"""A performance's page: its seat map (or standing places), the waiting room in front of a busy sale, and holding
places (chosen seats, the best N, N standing) into the cart."""

from __future__ import annotations

from .. import ports
from ..domain import errors as domain
from ..domain.allocations import Seller
from ..domain.waiting_room import AdmissionExpired, AdmissionInvalid, AdmissionRequired, AdmissionUsed
from ..i18n import buyer_message
from ..observability import logger
from ..services import availability, catalog, reservations, waiting_room
from ..services.reservations import HoldRequest
from ..settings import get_settings
from .cart import add_to_cart
from .rendering import localized
from .seatmaps import seat_map_for
from .shared import HOLD_REFUSALS, Page, count_field, one, page_route, read_form, seat_label


def _performance_page(
    page: Page, performance_id: str, status: int = 200, error: str | None = None, taken: list[str] | None = None
):
    now = ports.clock().now()
    performance = catalog.performance(performance_id)
    page.canonical = f"/p/performances/{performance_id}"
    # A buyer who just lost seats sees the hall as it is now; other views draw from the snapshot.
    states, summary = availability.seat_map_states(performance, now, snapshot=not taken)
    hall = catalog.performance_seatmap(performance_id)
    seatmap = seat_map_for(performance, hall, states, page.language, taken) if performance.seated else None
    house = catalog.house(performance.house_id)
    page.ensure_session()
    return page.html(
        "pages/performance.html",
        status=status,
        performance=performance,
        house=house,
        title=localized(performance.title, page.language),
        availability=summary,
        seatmap=seatmap,
        on_sale=performance.is_on_sale(now),
        error=error,
        taken=taken or [],
        categories=hall.categories,
        max_places=get_settings().max_seats_per_hold,
    )


@page_route("/p/performances/{performance_id}")
def performance_page(page: Page, performance_id: str):
    performance = reservations.cached_performance(performance_id)
    if (
        performance.waiting_room is not None
        and performance.is_on_sale(ports.clock().now())
        and not page.admission_for(performance_id)
    ):
        return page.redirect(page.url(f"/p/performances/{performance_id}/queue"))
    return _performance_page(page, performance_id)


@page_route("/p/performances/{performance_id}/queue")
def queue_page(page: Page, performance_id: str):
    """The waiting room: the buyer's place in line and the estimated wait, reloading until it is their turn."""
    performance = reservations.cached_performance(performance_id)
    if performance.waiting_room is None:
        return page.redirect(page.url(f"/p/performances/{performance_id}"))
    now = ports.clock().now()
    session = page.ensure_session()
    place = None
    if page.queue and page.queue["performance"] == performance_id and page.queue["ticket"]:
        try:
            place = waiting_room.place_in_line(performance, session, page.queue["ticket"], now)
        except (AdmissionInvalid, AdmissionExpired):
            place = None  # a stale or foreign ticket: take a new place in line
    if place is None:
        place = waiting_room.join_line(performance, session, now)
        page.queue = {"performance": performance_id, "ticket": place["queue_ticket"], "admission": ""}
    if place["admission"] and page.queue:
        page.queue["admission"] = place["admission"]
    return page.html(
        "pages/queue.html",
        performance=performance,
        title=localized(performance.title, page.language),
        place=place,
        minutes=-(-place["seconds_to_wait"] // 60),
        admission_minutes=performance.waiting_room.admission_seconds // 60,
        request_path=f"/p/performances/{performance_id}/queue",
        next_url=page.url(f"/p/performances/{performance_id}"),
    )


@page_route("/p/performances/{performance_id}/holds", methods=("POST",))
def hold_places(page: Page, performance_id: str):
    """Hold the chosen seats (or the best N, or N standing places) and put them in the cart."""
    fields = read_form(page)
    mode = one(fields, "mode")
    count = count_field(one(fields, "count")) if mode in ("best", "standing") else 0
    request = HoldRequest(
        seat_ids=tuple(dict.fromkeys(v for v in fields.get("seat", []) if v)) if mode == "seats" else (),
        best_available=count if mode == "best" else 0,
        wheelchair=count_field(one(fields, "wheelchair") or "0") if mode == "best" else 0,
        category=(one(fields, "category") or None) if mode == "best" else None,
        standing=count if mode == "standing" else 0,
    )
    if mode == "seats" and not request.seat_ids:
        return _performance_page(page, performance_id, 422, error=page._("Choose at least one seat on the map."))
    if mode not in ("seats", "best", "standing"):
        raise domain.ValidationFailed(
            "Unknown way of choosing.", [domain.FieldError("mode", "invalid_value", "seats, best or standing")]
        )
    now = ports.clock().now()
    session = page.ensure_session()
    try:
        hold = reservations.create_hold(
            performance_id,
            session,
            request,
            now,
            admission_token=page.admission_for(performance_id),
            seller=Seller(page.via.id, "web") if page.via else None,
        )
    except (AdmissionRequired, AdmissionInvalid, AdmissionExpired, AdmissionUsed):
        page.queue = None  # back in line for a new admission
        return page.redirect(page.url(f"/p/performances/{performance_id}/queue"))
    except HOLD_REFUSALS as error:
        taken = list(getattr(error, "taken", []) or [])
        message = buyer_message(error.code, page.language, seats=_seat_names(performance_id, taken, page))
        return _performance_page(
            page,
            performance_id,
            409 if error.code != "validation_failed" else 422,
            error=message or error.detail,
            taken=taken,
        )
    logger.thread_safe_append_keys(correlation_id=hold.id)
    add_to_cart(page, hold.id, now)
    return page.redirect(page.url("/p/cart", added=hold.id))


def _seat_names(performance_id: str, seat_ids: list[str], page: Page) -> str:
    if not seat_ids:
        return ""
    seatmap = catalog.performance_seatmap(performance_id)
    return ", ".join(seat_label(seatmap, seat_id, page) for seat_id in seat_ids)

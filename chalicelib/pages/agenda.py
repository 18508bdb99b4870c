"""The buyer's way in: the agenda of every house (filters, pages), a house's own programme and the last minute."""

from __future__ import annotations

from datetime import timedelta

from .. import ports
from ..services import availability, bundles, catalog
from .rendering import brussels_date, localized
from .shared import Page, page_route

LAST_MINUTE_HOURS = 48
AGENDA_PAGE_SIZE = 30


def _agenda_rows(page: Page, performances) -> list[dict]:
    now = ports.clock().now()
    rows = []
    summaries = availability.cached_summaries(performances, now)
    for performance in performances:
        summary = summaries[performance.id]
        prices = [cents for tariff in performance.tariffs for cents in tariff.prices.values()]
        rows.append(
            {
                "performance": performance,
                "title": localized(performance.title, page.language),
                "availability": summary,
                "price_from": min(prices) if prices else None,
                "day": brussels_date(performance.starts_at),
                "url": page.url(f"/p/performances/{performance.id}"),
            }
        )
    return rows


def _upcoming():
    now = ports.clock().now()
    return [p for p in catalog.agenda() if p.starts_at > now]


@page_route("/p")
def home(page: Page):
    return page.redirect(page.url("/p/agenda"))


@page_route("/p/agenda")
def agenda(page: Page):
    """Every house's coming performances; filter by house, day and genre."""
    query = page.request.query_params or {}
    house_filter = query.get("house") or (page.via.id if page.via else "")
    genre, day = query.get("genre", ""), query.get("date", "")
    houses = {house.id: house.name for house in catalog.listed_houses()}
    upcoming = _upcoming()
    genres = sorted({p.genre for p in upcoming if p.genre})
    chosen = [
        p
        for p in upcoming
        if (not house_filter or p.house_id == house_filter)
        and (not genre or p.genre == genre)
        and (not day or brussels_date(p.starts_at) == day)
    ]
    # Availability is read per performance: a page shows AGENDA_PAGE_SIZE of them, the rest on later pages.
    number = max(1, int(query["page"])) if query.get("page", "").isdigit() else 1
    shown = chosen[(number - 1) * AGENDA_PAGE_SIZE : number * AGENDA_PAGE_SIZE]
    filters = {"house": house_filter, "genre": genre, "date": day}
    pages_links = {
        "previous": page.url("/p/agenda", page=number - 1, **filters) if number > 1 else None,
        "next": page.url("/p/agenda", page=number + 1, **filters) if len(chosen) > number * AGENDA_PAGE_SIZE else None,
    }
    page.ensure_session()
    return page.html(
        "pages/agenda.html",
        rows=_agenda_rows(page, shown),
        total=len(chosen),
        houses=houses,
        genres=genres,
        filters=filters,
        links=pages_links,
    )


@page_route("/p/houses/{house_id}")
def house_page(page: Page, house_id: str):
    """A house's hosted programme: its own performances, branded, sold by the house."""
    house = catalog.house(house_id)
    page.via = house
    upcoming = _upcoming()
    rows = _agenda_rows(page, [p for p in upcoming if p.house_id == house.id])
    page.ensure_session()
    return page.html("pages/house.html", house=house, rows=rows, bundles=_bundles_with(house.id, upcoming))


def _bundles_with(house_id: str, upcoming) -> list[dict]:
    """The bundles on sale that include one of the house's coming performances (festival passes it takes part in)."""
    now = ports.clock().now()
    own = {p.id for p in upcoming if p.house_id == house_id}
    return [
        {"bundle": bundle, "performances": len(bundle.components)}
        for bundle in bundles.list_bundles()
        if bundle.is_on_sale(now) and own & set(bundle.performance_ids)
    ]


@page_route("/p/last-minute")
def last_minute(page: Page):
    """Performances of the next 48 hours that still have places, with availability kept live."""
    now = ports.clock().now()
    until = now + timedelta(hours=LAST_MINUTE_HOURS)
    soon = [p for p in catalog.agenda() if now < p.starts_at <= until and p.is_on_sale(now)]
    rows = [row for row in _agenda_rows(page, soon) if row["availability"]["available"] > 0]
    houses = {house.id: house.name for house in catalog.listed_houses()}
    page.ensure_session()
    return page.html(
        "pages/last_minute.html",
        rows=rows,
        houses=houses,
        window={"from": now.isoformat().replace("+00:00", "Z"), "to": until.isoformat().replace("+00:00", "Z")},
    )

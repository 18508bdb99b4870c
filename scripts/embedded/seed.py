"""Seed the demo cluster through the staff API, exactly as houses would set themselves up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests

from . import demo_seatmaps

BRUSSELS = ZoneInfo("Europe/Brussels")

HOUSES = [
    {"id": "cc-westrand", "name": "CC Westrand", "website_domains": ["www.westrand.example"]},
    {"id": "gc-de-markt", "name": "GC De Markt", "website_domains": ["www.demarkt.example"]},
    {"id": "kc-nova", "name": "Kunstencentrum Nova", "website_domains": ["www.nova.example"]},
]

VENUES = {
    "cc-westrand": [("grote-zaal", demo_seatmaps.grote_zaal), ("kleine-zaal", demo_seatmaps.kleine_zaal)],
    "gc-de-markt": [("theaterzaal", demo_seatmaps.kleine_zaal)],
    "kc-nova": [("club", lambda: demo_seatmaps.standing_venue(400))],
}


def _names(nl: str, fr: str, en: str) -> dict[str, str]:
    return {"nl": nl, "fr": fr, "en": en}


TARIFF_NAMES = {
    "full": _names("Volle prijs", "Plein tarif", "Full price"),
    "reduced": _names("Reductie", "Réduction", "Reduced"),
    "under26": _names("-26", "-26", "Under 26"),
}

PRODUCTIONS = {
    "cc-westrand": [
        ("hamlet", _names("Hamlet", "Hamlet", "Hamlet"), "theater"),
        ("de-notenkraker", _names("De Notenkraker", "Casse-Noisette", "The Nutcracker"), "dans"),
        ("stand-up-avond", _names("Stand-up avond", "Soirée stand-up", "Stand-up night"), "humor"),
    ],
    "gc-de-markt": [
        ("moeder-courage", _names("Moeder Courage", "Mère Courage", "Mother Courage"), "theater"),
        ("kamermuziek", _names("Kamermuziek op zondag", "Musique de chambre", "Sunday chamber music"), "muziek"),
    ],
    "kc-nova": [
        ("nachtclub-jazz", _names("Nachtclub Jazz", "Jazz de nuit", "Night club jazz"), "muziek"),
        ("elektronica", _names("Elektronica Live", "Électro live", "Electronics live"), "muziek"),
    ],
}

# (house, production, venue, days from today, hour, status, sales open days before start)
PERFORMANCES = [
    ("cc-westrand", "hamlet", "grote-zaal", 1, 20, "on_sale", 60),
    ("cc-westrand", "hamlet", "grote-zaal", 8, 20, "on_sale", 60),
    ("cc-westrand", "de-notenkraker", "grote-zaal", 21, 15, "on_sale", 60),
    ("cc-westrand", "stand-up-avond", "kleine-zaal", 3, 20, "on_sale", 30),
    ("cc-westrand", "stand-up-avond", "kleine-zaal", 40, 20, "paused", 30),
    ("gc-de-markt", "moeder-courage", "theaterzaal", 2, 20, "on_sale", 45),
    ("gc-de-markt", "kamermuziek", "theaterzaal", 12, 11, "on_sale", 45),
    ("gc-de-markt", "kamermuziek", "theaterzaal", 90, 11, "on_sale", 30),  # sales open later
    ("kc-nova", "nachtclub-jazz", "club", 0, 22, "on_sale", 30),
    ("kc-nova", "elektronica", "club", 15, 21, "on_sale", 30),
]

# Cents per tariff and price category; a hall uses the categories its seat map declares.
PRICES = {
    "full": {"A": 3200, "B": 2600, "C": 1800, "standing": 2200},
    "reduced": {"A": 2800, "B": 2200, "C": 1500, "standing": 1800},
    "under26": {"A": 1600, "B": 1300, "C": 900, "standing": 1200},
}


def _categories(seatmap: dict) -> list[str]:
    return ["standing"] if seatmap.get("standing") else [category["code"] for category in seatmap["categories"]]


def seed_demo(api_url: str, coordinator_token: str, house_tokens: dict[str, str]) -> dict[str, list[str]]:
    """Create the demo houses, halls, productions and performances; returns performance ids per house."""
    session = requests.Session()

    def call(method: str, path: str, token: str, body: dict) -> dict:
        response = session.request(
            method, api_url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        if response.status_code >= 300:
            raise RuntimeError(f"seeding {path} failed: {response.status_code} {response.text[:500]}")
        return response.json()

    for house in HOUSES:
        call("POST", "/staff/houses", coordinator_token, house)
    categories: dict[str, list[str]] = {}
    for house_id, venues in VENUES.items():
        for venue_id, make_map in venues:
            seatmap = make_map()
            categories[venue_id] = _categories(seatmap)
            call("POST", "/staff/venues", house_tokens[house_id], {"id": venue_id, "seatmap": seatmap})
        for production_id, title, genre in PRODUCTIONS[house_id]:
            call(
                "POST",
                "/staff/productions",
                house_tokens[house_id],
                {"id": production_id, "title": title, "genre": genre},
            )
    today = datetime.now(BRUSSELS).date()
    created: dict[str, list[str]] = {}
    for house_id, production_id, venue_id, days, hour, status, open_days in PERFORMANCES:
        starts = datetime.combine(today + timedelta(days=days), time(hour, 0), tzinfo=BRUSSELS)
        if starts <= datetime.now(BRUSSELS):
            starts += timedelta(hours=2)
        sales_start = (starts - timedelta(days=open_days)).astimezone(UTC)
        standing = categories[venue_id] == ["standing"]
        body = {
            "id": f"{production_id}-{starts:%Y%m%d-%H%M}",
            "production_id": production_id,
            "venue_id": venue_id,
            "starts_at": starts.isoformat(),
            "sales_start": sales_start.isoformat().replace("+00:00", "Z"),
            "status": status,
            "tariffs": [
                {
                    "code": code,
                    "name": TARIFF_NAMES[code],
                    "prices": {category: table[category] for category in categories[venue_id]},
                }
                for code, table in PRICES.items()
            ],
        }
        if standing:
            body["standing_shards"] = 4
        performance = call("POST", "/staff/performances", house_tokens[house_id], body)
        created.setdefault(house_id, []).append(performance["id"])
    return created

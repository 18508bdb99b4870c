"""Service tests: the services called directly, the stage's tables in this process (moto's mock_aws, no
server) and in-memory fakes in the ports (tests/fakes.py). A small cluster is seeded through the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.catalog import STANDING_CATEGORY, House, Performance, PerformanceStatus, Production, Tariff
from chalicelib.domain.seatmap import parse_seatmap
from chalicelib.store import catalog as catalog_store
from scripts.embedded import demo_seatmaps
from tests.fakes import FakePorts, fake_ports  # noqa: F401  (fixture)
from tests.local_tables import local_secrets, local_tables, local_tables_session  # noqa: F401  (fixtures)

HOUSE = "westrand"
OTHER_HOUSE = "arenberg"
SEATED = "perf-hall"
STANDING = "perf-club"
ADULT_CENTS = 2500
STANDING_CENTS = 1500


@dataclass
class Cluster:
    """What `cluster` seeded: a house with a seated performance (2 rows of 5 seats, category A) and a standing one
    (20 places), both on sale, and the fakes in the ports."""

    ports: FakePorts
    house_id: str
    seated: Performance
    standing: Performance

    @property
    def now(self) -> datetime:
        return self.ports.clock.now()


def _performance(
    performance_id: str,
    house_id: str,
    production: Production,
    venue_id: str,
    seatmap,
    starts_at: datetime,
    sales_start: datetime,
    category: str,
    cents: int,
) -> Performance:
    return Performance(
        id=performance_id,
        house_id=house_id,
        production_id=production.id,
        venue_id=venue_id,
        starts_at=starts_at,
        sales_start=sales_start,
        sales_end=starts_at,
        status=PerformanceStatus.ON_SALE,
        tariffs=(Tariff(code="full", name={"nl": "Volwassene", "en": "Adult"}, prices={category: cents}),),
        seated=not seatmap.is_standing,
        capacity=seatmap.capacity,
        title=production.title,
        venue_name=seatmap.name,
        genre=production.genre,
    )


@pytest.fixture
def cluster(local_tables, local_secrets, fake_ports) -> Cluster:  # noqa: F811  (fixtures of this module)
    now = fake_ports.clock.now()
    starts_at, sales_start = now + timedelta(days=14), now - timedelta(days=7)
    catalog_store.create_house(House(HOUSE, "CC Westrand", HOUSE))
    hall = parse_seatmap(demo_seatmaps.test_hall(2, 5))
    club = parse_seatmap(demo_seatmaps.standing_venue(20))
    catalog_store.create_venue(HOUSE, "hall", hall)
    catalog_store.create_venue(HOUSE, "club", club)
    production = Production("prod-kersentuin", HOUSE, {"nl": "De kersentuin", "en": "The cherry orchard"}, "theatre")
    catalog_store.create_production(production)
    seated = _performance(SEATED, HOUSE, production, "hall", hall, starts_at, sales_start, "A", ADULT_CENTS)
    standing = _performance(
        STANDING, HOUSE, production, "club", club, starts_at, sales_start, STANDING_CATEGORY, STANDING_CENTS
    )
    catalog_store.create_performance(seated, hall)
    catalog_store.create_performance(standing, club)
    return Cluster(fake_ports, HOUSE, seated, standing)

"""Bundle repository: bundles (created once, conditional on a new id) and the record of each bundle sold."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from ..domain.bundles import Bundle, BundleComponent
from ..domain.catalog import PerformanceStatus
from ..domain.errors import AlreadyExists, NotFound
from ..domain.money import Money
from .models import BundleItem, BundleSaleItem, bundle_key, is_condition_failure

BUNDLE_SALES = "BUNDLE_SALES"


def _bundle(item: BundleItem) -> Bundle:
    return Bundle(
        item.bundle_id,
        dict(item.name),
        tuple(
            BundleComponent(
                c["performance_id"],
                int(c.get("places", 1)),
                None if c.get("fixed_cents") is None else int(c["fixed_cents"]),
            )
            for c in item.components
        ),
        Money(int(item.price_cents), item.currency),
        item.sales_start,
        item.sales_end,
        PerformanceStatus(item.status),
        item.created_by,
        item.created_at,
    )


def create_bundle(bundle: Bundle) -> None:
    """Store a new bundle; its id must be new (AlreadyExists otherwise, nothing written)."""
    item = BundleItem(
        bundle_key(bundle.id),
        "BUNDLE",
        bundle_id=bundle.id,
        name=bundle.name,
        components=[
            {"performance_id": c.performance_id, "places": c.places, "fixed_cents": c.fixed_cents}
            for c in bundle.components
        ],
        price_cents=bundle.price.cents,
        currency=bundle.price.currency,
        sales_start=bundle.sales_start,
        sales_end=bundle.sales_end,
        status=bundle.status.value,
        created_by=bundle.created_by,
        created_at=bundle.created_at,
        version=1,
        gsi1pk="BUNDLES",
        gsi1sk=bundle.id,
    )
    try:
        item.save(condition=BundleItem.pk.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            raise AlreadyExists(f"Bundle {bundle.id} already exists.") from error
        raise


def get_bundle(bundle_id: str) -> Bundle:
    """The bundle, or NotFound."""
    try:
        return _bundle(BundleItem.get(bundle_key(bundle_id), "BUNDLE"))
    except DoesNotExist:
        raise NotFound("No such bundle.", bundle_id=bundle_id) from None


def list_bundles() -> list[Bundle]:
    """Every bundle of the cluster, by id (one Query on the sparse index, never a scan)."""
    return [_bundle(item) for item in BundleItem.by_gsi1.query("BUNDLES")]


def set_status(bundle_id: str, status: PerformanceStatus) -> Bundle:
    """Pause, reopen or cancel a bundle (conditional on its existence)."""
    try:
        BundleItem(bundle_key(bundle_id), "BUNDLE").update(
            actions=[BundleItem.status.set(status.value), BundleItem.version.add(1)], condition=BundleItem.pk.exists()
        )
    except UpdateError as error:
        if is_condition_failure(error):
            raise NotFound("No such bundle.", bundle_id=bundle_id) from error
        raise
    return get_bundle(bundle_id)


def record_sale(bundle_id: str, order_id: str, group: str, quantity: int, sold_at: datetime) -> None:
    """Record one bundle purchase that became tickets, once (a retried task adds nothing)."""
    item = BundleSaleItem(
        bundle_key(bundle_id),
        f"SALE#{order_id}#{group}",
        bundle_id=bundle_id,
        order_id=order_id,
        quantity=quantity,
        sold_at=sold_at,
        gsi1pk=BUNDLE_SALES,
        gsi1sk=f"{sold_at.isoformat()}#{order_id}#{group}",
    )
    try:
        item.save(condition=BundleSaleItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise


def sales_between(starts_at: datetime, ends_at: datetime) -> list[tuple[str, int]]:
    """(bundle id, bundles) of every bundle purchase ticketed in [starts_at, ends_at)."""
    items = BundleSaleItem.by_gsi1.query(
        BUNDLE_SALES, BundleSaleItem.gsi1sk.between(starts_at.isoformat(), ends_at.isoformat())
    )
    return [(item.bundle_id, int(item.quantity)) for item in items if item.sold_at < ends_at]

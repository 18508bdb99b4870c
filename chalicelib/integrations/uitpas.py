"""UiTPAS API 4.0: passes, tariffs and ticket sales (register, cancel).

Prices in UiTPAS are euros as decimals; Podium speaks integer cents, converted here at the edge.
Registering is all-or-nothing and each registered sale has an id that must be stored: it is
the only way to cancel it (`DELETE /ticket-sales/{id}`, 204) when the order is refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote, urlencode

from .config import integration_settings
from .http import ServiceRejected
from .publiq import PubliqApi, api


def euros(cents: int) -> float:
    return float(Decimal(cents) / 100)


def cents(amount) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Pass:
    uitpas_number: str
    pass_type: str
    postal_code: str | None
    social_tariff_status: str  # ACTIVE | EXPIRED | NONE
    messages: tuple[str, ...]


@dataclass(frozen=True)
class UitpasTariff:
    id: str
    name: str
    price_cents: int
    type: str  # SOCIALTARIFF | COUPON
    remaining: int | None


@dataclass(frozen=True)
class TicketSaleRequest:
    """One ticket to register: its regular price, the chosen UiTPAS tariff, the event and the pass."""

    regular_price_cents: int
    tariff_id: str
    event_id: str
    uitpas_number: str


@dataclass(frozen=True)
class TariffOffer:
    available: tuple[UitpasTariff, ...]
    end_user_message: str | None
    problem_type: str | None = None  # UiTPAS's RFC 7807 type when it refused (blocked, expired …)


@dataclass
class UitpasClient:
    api: PubliqApi

    def get_pass(self, identification: str) -> Pass:
        document = self.api.call("GET", "/passes?" + urlencode({"identification": identification})).json()
        social = document.get("socialTariff") or {}
        return Pass(
            document["uitpasNumber"],
            document.get("passType", ""),
            document.get("postalCode"),
            social.get("status", "NONE"),
            tuple(m.get("text", "") if isinstance(m, dict) else str(m) for m in document.get("messages", [])),
        )

    def tariffs(self, event_id: str, uitpas_number: str, regular_price_cents: int) -> TariffOffer:
        """The tariffs this pass may use for this event (or the message to show when none applies)."""
        query = urlencode(
            {"eventId": event_id, "uitpasNumber": uitpas_number, "regularPrice": f"{euros(regular_price_cents):.2f}"}
        )
        try:
            document = self.api.call("GET", "/tariffs?" + query).json()
        except ServiceRejected as rejected:
            problem = rejected.problem if isinstance(rejected.problem, dict) else {}
            if "endUserMessage" in problem:
                return TariffOffer((), _message(problem["endUserMessage"]), problem.get("type"))
            raise
        available = tuple(
            UitpasTariff(t["id"], t.get("name", ""), cents(t["price"]), t.get("type", ""), t.get("remaining"))
            for t in document.get("available", [])
        )
        return TariffOffer(available, _message(document.get("endUserMessage")))

    def register_ticket_sales(self, sales: list[TicketSaleRequest]) -> list[str]:
        """Register every sale or none; the ids, in the order asked (store them: they cancel the sales)."""
        body = [
            {
                "regularPrice": euros(sale.regular_price_cents),
                "tariff": {"id": sale.tariff_id},
                "eventId": sale.event_id,
                "uitpasNumber": sale.uitpas_number,
            }
            for sale in sales
        ]
        answer = self.api.call("POST", "/ticket-sales", json_body=body, ok=(200, 201)).json()
        return [item["id"] for item in answer]

    def cancel_ticket_sale(self, ticket_sale_id: str) -> bool:
        """Cancel one registered sale; False if UiTPAS no longer knows it (cancelled before)."""
        try:
            self.api.call("DELETE", f"/ticket-sales/{quote(ticket_sale_id, safe='')}", ok=(200, 204))
        except ServiceRejected as rejected:
            if rejected.status in (404, 410):
                return False
            raise
        return True


def _message(value) -> str | None:
    if isinstance(value, dict):
        return value.get("nl") or next(iter(value.values()), None)
    return value


def client() -> UitpasClient:
    return UitpasClient(api(integration_settings().uitpas_url))

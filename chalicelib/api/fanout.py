"""The fan-out consumers (one SQS queue each, fed by the events topic) and the staff route that
maps a performance to its UiTdatabank date.

The queue names given to chalice are placeholders: `infra/template.json` replaces each event
source's `Queue` with its own queue's ARN and turns on `ReportBatchItemFailures`.
"""
from __future__ import annotations

from typing import Annotated

from chalice import Blueprint
from pydantic import Field, StringConstraints

from ..integrations.consumer import Consumer
from ..services import integrations as service
from ..store import catalog as catalog_store
from .auth import Role, current_staff, house_of, staff
from .http import endpoint, json_response, parse_body
from .schemas import Body

fanout = Blueprint(__name__)
route = endpoint(fanout)
BATCH = 10

availability = Consumer("availability", service.refresh_availability)
uitdatabank = Consumer("uitdatabank", service.push_booking_availability)
uitpas = Consumer("uitpas", service.cancel_refunded_uitpas_sales)
exchange = Consumer("exchange", service.publish_to_exchange)


@fanout.on_sqs_message(queue="podium-availability", batch_size=BATCH, name="availability_consumer")
def availability_consumer(event):
    """OrderPlaced / TicketRefunded → PerformanceSoldOut / PerformanceAvailable when the state flips."""
    return availability(event.to_dict(), event.context)


@fanout.on_sqs_message(queue="podium-uitdatabank", batch_size=BATCH, name="uitdatabank_consumer")
def uitdatabank_consumer(event):
    """PerformanceSoldOut / PerformanceAvailable / PerformanceCancelled → UiTdatabank booking availability."""
    return uitdatabank(event.to_dict(), event.context)


@fanout.on_sqs_message(queue="podium-uitpas", batch_size=BATCH, name="uitpas_consumer")
def uitpas_consumer(event):
    """TicketRefunded → the refunded tickets' UiTPAS ticket sales are cancelled."""
    return uitpas(event.to_dict(), event.context)


@fanout.on_sqs_message(queue="podium-exchange", batch_size=BATCH, name="exchange_consumer")
def exchange_consumer(event):
    """OrderPlaced / TicketRefunded / CheckedIn → pseudonymised JSON-LD to the UiTwisselingsplatform."""
    return exchange(event.to_dict(), event.context)


class UitdatabankMappingBody(Body):
    event_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]
    sub_event_id: Annotated[int, Field(ge=0, le=10_000)]


@fanout.route("/staff/performances/{performance_id}/uitdatabank", methods=["PUT"])
@route
@staff(Role.HOUSE_ADMIN)
def map_performance_to_uitdatabank(performance_id: str):
    """This performance is date `sub_event_id` (array index) of UiTdatabank event `event_id`."""
    caller = current_staff()
    catalog_store.get_house_performance(house_of(caller), performance_id)  # another house's: 404 before the body
    body = parse_body(fanout.current_request, UitdatabankMappingBody)
    state = service.map_to_uitdatabank(house_of(caller), performance_id, body.event_id, body.sub_event_id)
    return json_response({"performance_id": performance_id, "uitdatabank": {
        "event_id": state.uitdatabank_event_id, "sub_event_id": state.uitdatabank_sub_event}})

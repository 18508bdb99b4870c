"""The fan-out consumers: one SQS queue each, fed by the events topic.

The queue names given to chalice are placeholders: `infra/template.json` replaces each event
source's `Queue` with its own queue's ARN and turns on `ReportBatchItemFailures`.
"""

from __future__ import annotations

from chalice import Blueprint

from ..integrations.consumer import Consumer
from ..services import integrations as service

fanout = Blueprint(__name__)
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

"""What AWS charges for the calls Podium makes: public prices and the arithmetic, never floats.

Amounts are `Decimal` US dollars (AWS bills in USD); `microdollars` turns one into an integer.
The counts come from `scripts/bench checkout`, which counts every call the embedded stack
receives; the capacity-unit rules below are DynamoDB's billing rules, applied to item sizes.

Prices: AWS public on-demand prices for eu-west-1 (Ireland), as of `PRICES_AS_OF`, without
free tiers (a sale pays the marginal price). Sources and how sure each one is: `PRICE_NOTES`
and docs/cost.md. They change: check https://aws.amazon.com/<service>/pricing/ before relying
on a figure.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

MILLION = Decimal(1_000_000)
KIB = 1024

PRICES_AS_OF = "2026-11-23"


@dataclass(frozen=True)
class Prices:
    """USD per billing unit."""

    lambda_request: Decimal
    lambda_gb_second: Decimal  # x86
    api_rest_request: Decimal  # API Gateway REST API (what Chalice deploys)
    api_http_request: Decimal  # API Gateway HTTP API
    dynamodb_write_request_unit: Decimal  # on-demand WRU
    dynamodb_read_request_unit: Decimal  # on-demand RRU
    sfn_standard_transition: Decimal
    sfn_express_request: Decimal
    sfn_express_gb_second: Decimal
    sns_publish: Decimal  # per 64 KB chunk of a publish
    sqs_request: Decimal  # standard queue
    ses_message: Decimal
    ses_attachment_gb: Decimal
    secrets_manager_call: Decimal

    def __post_init__(self) -> None:
        for field in fields(self):
            if not isinstance(getattr(self, field.name), Decimal):
                raise TypeError(f"price {field.name} must be a Decimal")


PRICES = Prices(
    lambda_request=Decimal("0.20") / MILLION,
    lambda_gb_second=Decimal("0.0000166667"),
    api_rest_request=Decimal("3.50") / MILLION,
    api_http_request=Decimal("1.00") / MILLION,
    # On-demand throughput was halved on 2024-11-01 in every region; eu-west-1 was $1.4135 per
    # million WRU and $0.283 per million RRU before. Half of those, as an assumption (PRICE_NOTES).
    dynamodb_write_request_unit=Decimal("0.70675") / MILLION,
    dynamodb_read_request_unit=Decimal("0.1415") / MILLION,
    sfn_standard_transition=Decimal("0.025") / 1000,
    sfn_express_request=Decimal("1.00") / MILLION,
    sfn_express_gb_second=Decimal("0.00001667"),
    sns_publish=Decimal("0.50") / MILLION,
    sqs_request=Decimal("0.40") / MILLION,
    ses_message=Decimal("0.10") / 1000,
    ses_attachment_gb=Decimal("0.12"),
    secrets_manager_call=Decimal("0.05") / 10_000,
)

# The prices before DynamoDB's on-demand cut, for a conservative comparison.
PRICES_BEFORE_DYNAMODB_CUT = Prices(
    **{
        **{f.name: getattr(PRICES, f.name) for f in fields(PRICES)},
        "dynamodb_write_request_unit": Decimal("1.4135") / MILLION,
        "dynamodb_read_request_unit": Decimal("0.283") / MILLION,
    }
)

PRICE_NOTES = {
    "lambda": "eu-west-1 x86: $0.20 per 1M requests, $0.0000166667 per GB-second (aws.amazon.com/lambda/pricing)",
    "api_gateway": "eu-west-1: REST $3.50 per 1M (first 333M), HTTP API $1.00 per 1M (first 300M); assumed",
    "dynamodb": "eu-west-1 on-demand before 2024-11-01: $1.4135 per 1M WRU, $0.283 per 1M RRU (third-party copy "
    "of the AWS page); AWS halved on-demand throughput prices in all regions on 2024-11-01 "
    "(us-east-1 now $0.625 / $0.125): half of the old eu-west-1 figures is assumed, not read off AWS",
    "step_functions": "Standard $0.025 per 1,000 state transitions; Express $1.00 per 1M requests + "
    "$0.00001667 per GB-second (first tier)",
    "sns": "$0.50 per 1M publishes (64 KB chunks)",
    "sqs": "$0.40 per 1M standard requests",
    "ses": "$0.10 per 1,000 e-mails, $0.12 per GB of attachments",
    "secrets_manager": "$0.05 per 10,000 API calls",
}

# The DESIGN target is in euros, AWS bills in dollars. An assumed rate (ECB reference, late 2025,
# rounded); the dollar has been worth less than a euro throughout 2023-2025, so ≤ $0.10 means ≤ €0.10.
EUR_PER_USD = Decimal("0.86")


@dataclass(frozen=True)
class CallCounts:
    """Billable AWS usage of some work (e.g. a benchmark run); capacity units may be halves."""

    api_rest_requests: int = 0
    api_http_requests: int = 0
    lambda_invocations: int = 0
    lambda_billed_ms: int = 0  # sum over invocations of each one's duration, rounded up to 1 ms
    lambda_memory_mb: int = 512
    dynamodb_write_units: Decimal = Decimal(0)
    dynamodb_read_units: Decimal = Decimal(0)
    sfn_standard_transitions: int = 0
    sfn_express_requests: int = 0
    sfn_express_billed_ms: int = 0  # Express bills per 100 ms; the caller rounds
    sfn_express_memory_mb: int = 64
    sns_publishes: int = 0
    sqs_requests: int = 0
    ses_messages: int = 0
    ses_attachment_bytes: int = 0
    secrets_manager_calls: int = 0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (float, bool)) or not isinstance(value, (int, Decimal)):
                raise TypeError(f"{field.name} must be an int or a Decimal, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{field.name} cannot be negative")


COMPONENTS = (
    "api_gateway",
    "lambda_requests",
    "lambda_duration",
    "dynamodb_writes",
    "dynamodb_reads",
    "step_functions",
    "sns",
    "sqs",
    "ses",
    "secrets_manager",
)


def _gb_seconds(billed_ms: int, memory_mb: int) -> Decimal:
    return Decimal(billed_ms) / 1000 * Decimal(memory_mb) / KIB


def costs(calls: CallCounts, prices: Prices = PRICES) -> dict[str, Decimal]:
    """Dollars per component for `calls`, exact (no rounding)."""
    return {
        "api_gateway": calls.api_rest_requests * prices.api_rest_request
        + calls.api_http_requests * prices.api_http_request,
        "lambda_requests": calls.lambda_invocations * prices.lambda_request,
        "lambda_duration": _gb_seconds(calls.lambda_billed_ms, calls.lambda_memory_mb) * prices.lambda_gb_second,
        "dynamodb_writes": calls.dynamodb_write_units * prices.dynamodb_write_request_unit,
        "dynamodb_reads": calls.dynamodb_read_units * prices.dynamodb_read_request_unit,
        "step_functions": calls.sfn_standard_transitions * prices.sfn_standard_transition
        + calls.sfn_express_requests * prices.sfn_express_request
        + _gb_seconds(calls.sfn_express_billed_ms, calls.sfn_express_memory_mb) * prices.sfn_express_gb_second,
        "sns": calls.sns_publishes * prices.sns_publish,
        "sqs": calls.sqs_requests * prices.sqs_request,
        "ses": calls.ses_messages * prices.ses_message
        + Decimal(calls.ses_attachment_bytes) / KIB**3 * prices.ses_attachment_gb,
        "secrets_manager": calls.secrets_manager_calls * prices.secrets_manager_call,
    }


MICRODOLLAR = Decimal("0.000001")


def cost_per_thousand_tickets(calls: CallCounts, tickets: int, prices: Prices = PRICES) -> dict[str, Decimal]:
    """Dollars per 1,000 tickets for each component and `total`, each rounded to the micro-dollar.

    `calls` is everything the `tickets` cost (failed orders included); `total` is the sum of the
    rounded components, so the table adds up.
    """
    if isinstance(tickets, bool) or not isinstance(tickets, int) or tickets <= 0:
        raise ValueError("tickets must be a positive integer")
    scale = Decimal(1000) / tickets
    per_thousand = {
        name: (value * scale).quantize(MICRODOLLAR, ROUND_HALF_EVEN) for name, value in costs(calls, prices).items()
    }
    per_thousand["total"] = sum(per_thousand.values(), Decimal(0))
    return per_thousand


def microdollars(amount: Decimal) -> int:
    """A dollar amount as integer micro-dollars (half-even)."""
    return int(amount.quantize(MICRODOLLAR, ROUND_HALF_EVEN) / MICRODOLLAR)


def dominant(per_component: Mapping[str, Decimal]) -> str:
    """The component that costs most (ties: the first in COMPONENTS order)."""
    return max((name for name in COMPONENTS if name in per_component), key=lambda name: per_component[name])


# -- DynamoDB's billing rules -----------------------------------------------------------------------
def _number_size(text: str) -> int:
    """A number's stored size: one byte per two significant digits (leading and trailing zeros
    trimmed), plus one; at most 21."""
    significant = text.lower().split("e")[0].lstrip("+-").replace(".", "").strip("0")
    return min(21, (len(significant) + 1) // 2 + 1)


def attribute_value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB-JSON attribute value, by DynamoDB's item-size rules."""
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return len(_binary(content))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in content)
    if kind == "NS":
        return sum(_number_size(n) for n in content)
    if kind == "BS":
        return sum(len(_binary(b)) for b in content)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + attribute_value_size(element) for name, element in content.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def _binary(content: bytes | bytearray | str) -> bytes:
    return bytes(content) if isinstance(content, (bytes, bytearray)) else base64.b64decode(content)


def item_size(item: Mapping[str, Mapping[str, Any]] | None) -> int:
    """Bytes of an item in DynamoDB JSON: attribute names plus values (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in item.items())


def write_units(size_bytes: int, transactional: bool = False) -> int:
    """Write request units of one item write: one per started KB (at least one), doubled in a transaction."""
    units = max(1, -(-size_bytes // KIB))
    return units * 2 if transactional else units


def read_units(size_bytes: int, consistency: str = "eventual") -> Decimal:
    """Read request units of reading `size_bytes` (one item, or a Query's items together): one per
    started 4 KB (at least one) if strongly consistent, half that eventually consistent, double in a
    transaction."""
    units = Decimal(max(1, -(-size_bytes // (4 * KIB))))
    factor = {"eventual": Decimal("0.5"), "strong": Decimal(1), "transactional": Decimal(2)}[consistency]
    return units * factor


# -- How big an on-sale one stage can take -------------------------------------------------------
@dataclass(frozen=True)
class Quotas:
    """AWS default quotas that bound one stage (one account and Region per cluster stage).

    The API Gateway, Lambda and DynamoDB figures are in CONTRACTS.md. The Step Functions rates are
    the Standard workflows' token-bucket refill rates in eu-west-1 (one of the three Regions with
    the larger defaults), as AWS's quota page gave them: an assumption to check before relying on
    it. Most can be raised on request; the per-partition ones cannot.
    """

    api_requests_per_second: int = 10_000  # API Gateway, per account and Region (burst 5,000)
    lambda_concurrency: int = 1_000  # concurrent executions, per account and Region
    partition_write_units_per_second: int = 1_000  # DynamoDB, per partition: a key cannot be split for writes
    partition_read_units_per_second: int = 3_000
    sfn_start_execution_per_second: int = 300  # Standard StartExecution refill (bucket 1,300); assumed
    sfn_transitions_per_second: int = 5_000  # Standard state transitions refill; assumed


QUOTAS = Quotas()


@dataclass(frozen=True)
class TicketLoad:
    """What selling one ticket uses of each quota, from counted calls (failed and sold-out buyers'
    calls included, divided by the tickets sold)."""

    api_requests: Decimal
    lambda_seconds: Decimal  # Lambda execution time (invocations × duration)
    hottest_key_write_units: Decimal  # write units on the busiest single partition key
    hottest_key_read_units: Decimal = Decimal(0)
    sfn_executions: Decimal = Decimal(0)  # Standard executions started
    sfn_transitions: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, Decimal) or value < 0:
                raise TypeError(f"{field.name} must be a non-negative Decimal")


def tickets_per_second_by_quota(load: TicketLoad, quotas: Quotas = QUOTAS) -> dict[str, Decimal]:
    """Tickets per second each quota allows on its own: quota ÷ what one ticket uses of it.

    Lambda concurrency is a count, not a rate: by Little's law concurrency = rate × duration, so it
    allows `concurrency ÷ seconds per ticket`. A quota the load does not use is left out."""
    limits = {
        "api_gateway_requests": (Decimal(quotas.api_requests_per_second), load.api_requests),
        "lambda_concurrency": (Decimal(quotas.lambda_concurrency), load.lambda_seconds),
        "dynamodb_partition_writes": (Decimal(quotas.partition_write_units_per_second), load.hottest_key_write_units),
        "dynamodb_partition_reads": (Decimal(quotas.partition_read_units_per_second), load.hottest_key_read_units),
        "sfn_start_execution": (Decimal(quotas.sfn_start_execution_per_second), load.sfn_executions),
        "sfn_state_transitions": (Decimal(quotas.sfn_transitions_per_second), load.sfn_transitions),
    }
    return {name: (quota / used).quantize(Decimal("0.1")) for name, (quota, used) in limits.items() if used > 0}


def largest_on_sale(load: TicketLoad, quotas: Quotas = QUOTAS) -> tuple[str, Decimal]:
    """The quota that binds first and the tickets per second one stage sells before it does."""
    limits = tickets_per_second_by_quota(load, quotas)
    if not limits:
        raise ValueError("the load uses no quota")
    binding = min(limits, key=lambda name: (limits[name], name))
    return binding, limits[binding]


def seconds_to_sell_out(places: int, load: TicketLoad, quotas: Quotas = QUOTAS) -> Decimal:
    """How long the fastest sell-out of `places` takes when the binding quota is the only bound."""
    _, rate = largest_on_sale(load, quotas)
    return (Decimal(places) / rate).quantize(Decimal("0.1"))

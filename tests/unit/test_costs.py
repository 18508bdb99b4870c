"""AWS cost arithmetic: prices in Decimal, capacity-unit rules, cost per 1,000 tickets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.costs import (
    PRICES,
    QUOTAS,
    CallCounts,
    Prices,
    Quotas,
    TicketLoad,
    attribute_value_size,
    cost_per_thousand_tickets,
    costs,
    dominant,
    item_size,
    largest_on_sale,
    microdollars,
    read_units,
    seconds_to_sell_out,
    tickets_per_second_by_quota,
    write_units,
)

# The brief's round figures, so the example below can be checked by hand.
ROUND_PRICES = Prices(
    lambda_request=Decimal("0.0000002"),
    lambda_gb_second=Decimal("0.0000166667"),
    api_rest_request=Decimal("0.0000035"),
    api_http_request=Decimal("0.000001"),
    dynamodb_write_request_unit=Decimal("0.00000125"),
    dynamodb_read_request_unit=Decimal("0.00000025"),
    sfn_standard_transition=Decimal("0.000025"),
    sfn_express_request=Decimal("0.000001"),
    sfn_express_gb_second=Decimal("0.00001667"),
    sns_publish=Decimal("0.0000005"),
    sqs_request=Decimal("0.0000004"),
    ses_message=Decimal("0.0001"),
    ses_attachment_gb=Decimal("0.12"),
    secrets_manager_call=Decimal("0.000005"),
)


def test_a_hand_computed_order_of_four_tickets_costs_what_the_price_list_says_per_thousand_tickets():
    # One order of 4 tickets; per 1,000 tickets everything is multiplied by 250.
    order = CallCounts(
        api_rest_requests=10,
        lambda_invocations=20,
        lambda_billed_ms=2000,
        lambda_memory_mb=512,
        dynamodb_write_units=Decimal(40),
        dynamodb_read_units=Decimal("12.5"),
        sfn_standard_transitions=8,
        sns_publishes=1,
        ses_messages=1,
        ses_attachment_bytes=1024**2,
        secrets_manager_calls=2,
    )
    cost = cost_per_thousand_tickets(order, tickets=4, prices=ROUND_PRICES)
    assert cost["api_gateway"] == Decimal("0.008750")  # 10 × $3.50/M × 250
    assert cost["lambda_requests"] == Decimal("0.001000")  # 20 × $0.20/M × 250
    assert cost["lambda_duration"] == Decimal("0.004167")  # 2 s × 0.5 GB = 1 GB-s × $0.0000166667 × 250
    assert cost["dynamodb_writes"] == Decimal("0.012500")  # 40 × $1.25/M × 250
    assert cost["dynamodb_reads"] == Decimal("0.000781")  # 12.5 × $0.25/M × 250 = 0.00078125 (half-even)
    assert cost["step_functions"] == Decimal("0.050000")  # 8 × $0.025/1,000 × 250
    assert cost["sns"] == Decimal("0.000125")
    assert cost["sqs"] == Decimal("0.000000")
    assert cost["ses"] == Decimal("0.054297")  # $0.10/1,000 × 250 + 1/1024 GB × $0.12 × 250
    assert cost["secrets_manager"] == Decimal("0.002500")  # 2 × $0.05/10,000 × 250
    assert cost["total"] == sum((v for k, v in cost.items() if k != "total"), Decimal(0)) == Decimal("0.134120")
    assert microdollars(cost["total"]) == 134_120
    assert all(isinstance(value, Decimal) for value in cost.values())


def test_state_transitions_dominate_a_checkout_at_published_prices():
    # What one paid order of 3 tickets over two houses costs in calls (scripts/bench checkout).
    order = CallCounts(
        api_rest_requests=10,
        lambda_invocations=17,
        lambda_billed_ms=17 * 100,
        dynamodb_write_units=Decimal(57),
        dynamodb_read_units=Decimal(54),
        sfn_standard_transitions=7,
        sns_publishes=1,
        ses_messages=1,
        ses_attachment_bytes=68 * 1024,
    )
    cost = cost_per_thousand_tickets(order, tickets=3)
    assert dominant(cost) == "step_functions"
    assert cost["step_functions"] == Decimal("0.058333")  # 7 × $0.000025 × 1000/3
    # one transition fewer saves more than all of DynamoDB's reads
    fewer = cost_per_thousand_tickets(CallCounts(**{**order.__dict__, "sfn_standard_transitions": 6}), tickets=3)
    assert cost["total"] - fewer["total"] > cost["dynamodb_reads"]


def test_express_workflows_bill_requests_and_duration_not_transitions():
    express = CallCounts(sfn_express_requests=1, sfn_express_billed_ms=1000, sfn_express_memory_mb=64)
    assert costs(express, ROUND_PRICES)["step_functions"] == Decimal("0.000001") + Decimal("0.0625") * Decimal(
        "0.00001667"
    )


def test_the_http_api_costs_less_than_the_rest_api_per_request():
    rest = costs(CallCounts(api_rest_requests=1_000_000))["api_gateway"]
    http = costs(CallCounts(api_http_requests=1_000_000))["api_gateway"]
    assert (rest, http) == (Decimal("3.50"), Decimal("1.00"))


def test_money_never_goes_through_floats():
    with pytest.raises(TypeError):
        CallCounts(dynamodb_read_units=0.5)
    with pytest.raises(TypeError):
        Prices(**{**PRICES.__dict__, "sns_publish": 0.0000005})
    with pytest.raises(ValueError):
        cost_per_thousand_tickets(CallCounts(), tickets=0)
    with pytest.raises(ValueError):
        CallCounts(api_rest_requests=-1)


def test_write_units_are_per_started_kilobyte_and_double_in_a_transaction():
    assert [write_units(size) for size in (0, 1, 1024, 1025, 3000)] == [1, 1, 1, 2, 3]
    assert write_units(3000, transactional=True) == 6


def test_read_units_are_per_started_4_kb_halved_when_eventually_consistent():
    assert read_units(100) == Decimal("0.5")
    assert read_units(100, "strong") == 1
    assert read_units(8 * 1024, "strong") == 2
    assert read_units(8 * 1024 + 1, "eventual") == Decimal("1.5")
    assert read_units(100, "transactional") == 2


def test_item_size_counts_names_and_values_as_dynamodb_does():
    assert attribute_value_size({"S": "héllo"}) == 6
    assert attribute_value_size({"N": "1200"}) == 2  # "12": 1 byte per 2 digits + 1
    assert attribute_value_size({"N": "-0.00105"}) == 3  # "105"
    assert attribute_value_size({"BOOL": True}) == attribute_value_size({"NULL": True}) == 1
    assert attribute_value_size({"B": "AAEC"}) == 3  # base64 of 3 bytes
    assert attribute_value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert attribute_value_size({"M": {"k": {"S": "v"}}}) == 3 + 1 + 1 + 1
    assert attribute_value_size({"SS": ["a", "bc"]}) == 3
    assert item_size({"PK": {"S": "ORDER#1"}, "SK": {"S": "ORDER"}}) == 2 + 7 + 2 + 5
    assert item_size(None) == 0


# -- the largest on-sale before a quota binds --------------------------------------------------------


def test_each_quota_allows_its_quota_divided_by_what_a_ticket_uses_of_it():
    load = TicketLoad(
        api_requests=Decimal(10),
        lambda_seconds=Decimal("0.5"),
        hottest_key_write_units=Decimal(4),
        sfn_executions=Decimal("0.4"),
        sfn_transitions=Decimal("2.8"),
    )
    limits = tickets_per_second_by_quota(load)
    assert limits == {
        "api_gateway_requests": Decimal(1000),
        "lambda_concurrency": Decimal(2000),
        "dynamodb_partition_writes": Decimal(250),
        "sfn_start_execution": Decimal(750),
        "sfn_state_transitions": Decimal("1785.7"),
    }
    assert largest_on_sale(load) == ("dynamodb_partition_writes", Decimal(250))
    assert seconds_to_sell_out(1000, load) == Decimal(4)


def test_spreading_the_hot_key_moves_the_bound_to_the_next_quota():
    hot = TicketLoad(api_requests=Decimal(10), lambda_seconds=Decimal("0.5"), hottest_key_write_units=Decimal(4))
    spread = TicketLoad(api_requests=Decimal(10), lambda_seconds=Decimal("0.5"), hottest_key_write_units=Decimal("0.4"))
    assert largest_on_sale(hot)[0] == "dynamodb_partition_writes"
    assert largest_on_sale(spread) == ("api_gateway_requests", Decimal(1000))
    # a raised API quota makes Lambda concurrency the next bound
    assert largest_on_sale(spread, Quotas(api_requests_per_second=50_000))[0] == "lambda_concurrency"
    assert QUOTAS.partition_write_units_per_second == 1000


def test_a_load_that_uses_no_quota_or_is_not_decimal_is_refused():
    with pytest.raises(ValueError):
        largest_on_sale(
            TicketLoad(api_requests=Decimal(0), lambda_seconds=Decimal(0), hottest_key_write_units=Decimal(0))
        )
    with pytest.raises(TypeError):
        TicketLoad(api_requests=10.0, lambda_seconds=Decimal(1), hottest_key_write_units=Decimal(1))

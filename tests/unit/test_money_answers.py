"""Money in answers: the documents kept in plain cents inside get one shape at the HTTP edge."""

from __future__ import annotations

from chalicelib.api.views import REPORT_MONEY, STATEMENT_MONEY, with_money


def test_a_statements_figures_become_money_and_its_counts_and_names_stay_as_they_are():
    statement = {
        "house_id": "munt",
        "currency": "EUR",
        "opening_balance": -250,
        "activity": 0,
        "lines": [{"performance_id": "p1", "tickets_sold": 3, "gross": 6000, "revenue": 5400}],
        "totals": {"gross": 6000, "fees": 115},
        "transferred": 0,
    }
    answer = with_money(statement, STATEMENT_MONEY, "EUR")
    assert answer["opening_balance"] == {"amount": -250, "currency": "EUR"}
    assert answer["activity"] == {"amount": 0, "currency": "EUR"}
    assert answer["lines"] == [
        {
            "performance_id": "p1",
            "tickets_sold": 3,
            "gross": {"amount": 6000, "currency": "EUR"},
            "revenue": {"amount": 5400, "currency": "EUR"},
        }
    ]
    assert answer["totals"]["fees"] == {"amount": 115, "currency": "EUR"}
    assert statement["totals"]["gross"] == 6000  # the stored document is not changed


def test_a_reports_occupancy_and_ticket_counts_are_not_money():
    report = {
        "totals": {"tickets_sold": 2, "gross": 4000, "refunds": 0, "net": 4000},
        "occupancy": {"p1": {"sold": 2, "capacity": 10, "percent": 20.0}},
    }
    answer = with_money(report, REPORT_MONEY)
    assert answer["totals"] == {
        "tickets_sold": 2,
        "gross": {"amount": 4000, "currency": "EUR"},
        "refunds": {"amount": 0, "currency": "EUR"},
        "net": {"amount": 4000, "currency": "EUR"},
    }
    assert answer["occupancy"] == report["occupancy"]

"""A buyer's own link and erasure against the services: mail through the mail port, the erasure workflow
started by name, both paced by the fixed clock."""

from __future__ import annotations

import pytest

from chalicelib.domain import buyers as buyer_domain
from chalicelib.services import buyers
from chalicelib.services.customer_keys import cluster_key

from .flows import BUYER, hold_seats, paid_order


@pytest.fixture
def public_address(monkeypatch):
    monkeypatch.setenv("PODIUM_PUBLIC_BASE_URL", "https://tickets.example.be")


def test_a_known_buyer_asking_for_a_link_gets_one_mail_per_quarter_hour(cluster, public_address):
    paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    tickets_mails = len(cluster.ports.mail.sent)

    buyers.send_new_link(BUYER.email, "nl", cluster.now)
    buyers.send_new_link(BUYER.email, "nl", cluster.now)  # asked again at once: no second mail
    cluster.ports.clock.advance(minutes=16)
    buyers.send_new_link(BUYER.email, "nl", cluster.now)

    links = cluster.ports.mail.sent[tickets_mails:]
    assert [mail.to_address for mail in links] == [BUYER.email, BUYER.email]
    body = links[0].message.get_body(("plain",)).get_content()
    assert "https://tickets.example.be/p/preferences" in body


def test_an_unknown_address_gets_no_mail_and_the_asker_cannot_tell(cluster, public_address):
    assert buyers.send_new_link("nobody.here@example.org", "nl", cluster.now) is None

    assert cluster.ports.mail.sent == []


def test_an_erasure_starts_one_workflow_named_after_what_it_erases(cluster):
    paid_order(cluster, hold_seats(cluster, "zaal-A-1"))
    buyer = buyer_domain.buyer_id(cluster_key(), BUYER.email)

    receipt = buyers.request_erasure(buyer, cluster.now)
    again = buyers.request_erasure(buyer, cluster.now)  # a repeated request: the same execution

    (execution,) = cluster.ports.workflows.started("erasure")
    assert execution.name == receipt["erasure_id"] == again["erasure_id"]
    assert execution.payload == {"buyer_id": buyer, "erasure_id": receipt["erasure_id"]}
    erasure_starts = [start.name for start in cluster.ports.workflows.starts if start.workflow == "erasure"]
    assert erasure_starts == [execution.name] * 2

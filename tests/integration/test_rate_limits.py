"""Public writes are rate limited per client address and per buyer session: 429 with Retry-After,
counted in DynamoDB with one conditional update, so racing calls never get more than the limit.

Each test runs its own gateway (the shared one, stage `demo`, counts nothing: every benchmark buyer
comes from 127.0.0.1) with a window of an hour, so the window does not end under a test."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import Client, buyer_session

WINDOW = 3600


def gateway(stack, **limits: str):
    from scripts.embedded.stack import free_port

    port = free_port()
    process = stack.spawn_gateway(port, RATE_LIMIT_WINDOW_SECONDS=str(WINDOW), **limits)
    return process, f"http://{stack.host}:{port}"


@pytest.fixture(scope="module")
def per_session(stack):
    process, url = gateway(stack, RATE_LIMIT_PER_SESSION="5", RATE_LIMIT_PER_ADDRESS="0")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def per_address(stack):
    process, url = gateway(stack, RATE_LIMIT_PER_SESSION="0", RATE_LIMIT_PER_ADDRESS="12")
    yield url
    process.terminate()
    process.wait(timeout=10)


def same_window(test):
    """Run `test` again (once) if a window boundary passed while it ran: its counts started afresh."""

    def run(*args, **kwargs):
        for _ in range(2):
            began = int(time.time()) // WINDOW
            test(*args, **kwargs)
            if int(time.time()) // WINDOW == began:
                return
        raise AssertionError("two window boundaries in one test")

    return run


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "rate_limited" and problem["status"] == 429 and problem["title"] and problem["message"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW


def test_a_buyer_session_over_its_limit_gets_429_with_retry_after_and_others_go_on(per_session):
    @same_window
    def scenario():
        session = Client(per_session, session_token=buyer_session())
        made = [session.post("/carts") for _ in range(5)]
        assert [r.status_code for r in made] == [201] * 5
        assert_throttled(session.post("/carts"))
        assert_throttled(session.post("/performances/nope/holds", {"standing": {"count": 1}}))
        dutch = session.post("/carts", headers={"Accept-Language": "nl"}).json()
        assert dutch["title"] == "Te veel verzoeken"
        # reads are not counted, and another session is not affected
        assert session.get(f"/carts/{made[0].json()['id']}").status_code == 200
        assert Client(per_session, session_token=buyer_session()).post("/carts").status_code == 201

    scenario()


def test_racing_calls_of_one_session_never_get_more_than_the_limit(per_session):
    @same_window
    def scenario():
        session_token = buyer_session()

        def one(_):
            return Client(per_session, session_token=session_token).post("/carts").status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(one, range(40)))
        assert statuses.count(201) == 5, statuses
        assert statuses.count(429) == 35, statuses

    scenario()


def test_one_address_over_its_limit_is_refused_whatever_sessions_it_uses(per_address):
    @same_window
    def scenario():
        def one(_):
            return Client(per_address, session_token=buyer_session()).post("/sessions").status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(one, range(30)))
        assert statuses.count(201) == 12 and statuses.count(429) == 18, statuses
        assert_throttled(Client(per_address).post("/sessions"))
        # a forwarded-for header is the client's own say: it names no other address
        assert_throttled(Client(per_address).post("/sessions", headers={"X-Forwarded-For": "198.51.100.7"}))
        # the hosted pages' forms count too, and answer a browser with a page
        page = Client(per_address).post(
            "/p/performances/x/holds",
            data={"csrf": "x"},
            headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert page.status_code == 429 and "text/html" in page.headers["Content-Type"]
        assert 1 <= int(page.headers["Retry-After"]) <= WINDOW
        # what is not a public write is never throttled
        assert Client(per_address).get("/agenda").status_code == 200

    scenario()


def codes_only_gateway(stack, per_session: int, per_address: int):
    """A gateway with the general limits off and only the typed codes' limit on, in an hour."""
    process, url = gateway(
        stack,
        RATE_LIMIT_PER_SESSION="0",
        RATE_LIMIT_PER_ADDRESS="0",
        RATE_LIMIT_CODE_WINDOW_SECONDS=str(WINDOW),
        RATE_LIMIT_CODES_PER_SESSION=str(per_session),
        RATE_LIMIT_CODES_PER_ADDRESS=str(per_address),
    )
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def code_guessing(stack):
    """The typed codes' limit: 10 per session, 15 per address."""
    yield from codes_only_gateway(stack, 10, 15)


def guess() -> str:
    from chalicelib.domain.giftcards import new_code

    return new_code()


def test_guessing_gift_card_and_discount_codes_is_refused_after_a_few_tries(code_guessing):
    @same_window
    def scenario():
        guesser = Client(code_guessing, session_token=buyer_session())
        tried = [guesser.post("/gift-cards/balance", json={"code": guess()}).status_code for _ in range(10)]
        assert tried == [404] * 10
        assert_throttled(guesser.post("/gift-cards/balance", json={"code": guess()}))  # the session's 11th code
        cart = guesser.post("/carts")
        assert cart.status_code == 201  # other writes are not this limit's business
        assert_throttled(guesser.request("PUT", f"/carts/{cart.json()['id']}/voucher", json={"code": "SPRING-26"}))
        assert_throttled(guesser.request("PUT", f"/carts/{cart.json()['id']}/gift-card", json={"code": guess()}))

        # a fresh session per guess does not help: the address has its own limit of 15, and counted 13 codes so
        # far (the address is counted before the session refuses)
        statuses = [
            Client(code_guessing, session_token=buyer_session())
            .post("/gift-cards/balance", json={"code": guess()})
            .status_code
            for _ in range(4)
        ]
        assert statuses == [404, 404, 429, 429], statuses
        # no session at all: the address
        assert_throttled(Client(code_guessing).post("/gift-cards/balance", json={"code": guess()}))

    scenario()


def test_scripts_run_keeps_every_rate_limit_on_and_the_test_stack_keeps_them_off(stack):
    from scripts.embedded import run
    from scripts.embedded.stack import NO_RATE_LIMITS

    local = run.stack_for(run.arguments([])).rate_limits
    assert set(NO_RATE_LIMITS) <= set(local)
    assert all(int(local[name]) > 0 for name in NO_RATE_LIMITS), local
    # typed codes: a much tighter limit over a longer window than the other public writes
    assert int(local["RATE_LIMIT_CODES_PER_SESSION"]) * 10 <= int(local["RATE_LIMIT_PER_SESSION"])
    assert int(local["RATE_LIMIT_CODE_WINDOW_SECONDS"]) >= 5 * int(local["RATE_LIMIT_WINDOW_SECONDS"])
    assert all(stack.environment[name] == "0" for name in NO_RATE_LIMITS)


@pytest.fixture(scope="module")
def page_code_guessing(stack):
    """Only the typed codes' limit per session: 3."""
    yield from codes_only_gateway(stack, 3, 0)


def test_the_cart_pages_code_form_counts_against_the_same_limit(page_code_guessing, house, small_hall):
    import re

    import requests

    performance = house.performance(small_hall)
    web = requests.Session()
    web.headers.update({"Accept": "text/html", "Accept-Language": "nl-BE"})

    @same_window
    def scenario():
        page = web.get(f"{page_code_guessing}/p/performances/{performance['id']}")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        held = web.post(
            f"{page_code_guessing}/p/performances/{performance['id']}/holds",
            data={"csrf": token, "mode": "best", "count": "1"},
            allow_redirects=False,
        )
        assert held.status_code == 303, held.text[:300]
        tried = [
            web.post(
                f"{page_code_guessing}/p/cart/voucher",
                data={"csrf": token, "code": f"GUESS-{n}"},
                allow_redirects=False,
            )
            for n in range(4)
        ]
        assert [r.status_code for r in tried] == [422, 422, 422, 429], [r.text[:200] for r in tried]
        assert "text/html" in tried[-1].headers["Content-Type"] and int(tried[-1].headers["Retry-After"]) >= 1
        # taking a code out is not typing one
        removed = web.post(
            f"{page_code_guessing}/p/cart/voucher", data={"csrf": token, "action": "remove"}, allow_redirects=False
        )
        assert removed.status_code == 303, removed.text[:300]

    scenario()

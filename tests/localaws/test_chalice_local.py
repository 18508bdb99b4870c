"""`chalice local` with a deep backlog, first-come admission and API Gateway's own answers
(scripts/localaws/chalice_local.py)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from chalice import AuthResponse, Chalice, local
from chalice.config import Config

from scripts.localaws import chalice_local
from scripts.localaws.fairness import FairSemaphore


def answer(response_type: str, status: int, message: str, path: str) -> dict:
    return {
        "statusCode": status,
        "headers": {"x-answered-by": response_type},
        "multiValueHeaders": {},
        "body": f"{response_type} {path}",
    }


@pytest.fixture
def app():
    application = Chalice("localaws-test")
    running = {"now": 0, "most": 0}
    guard = threading.Lock()

    @application.authorizer()
    def nobody(auth_request):
        return AuthResponse(routes=[], principal_id="nobody")

    @application.route("/ping")
    def ping():
        with guard:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        time.sleep(0.05)
        with guard:
            running["now"] -= 1
        return {"pong": True}

    @application.route("/staff", authorizer=nobody)
    def staff():
        return {}

    application.running = running
    chalice_local.apply(FairSemaphore(1), answer)
    yield application
    chalice_local.uninstall()


def test_a_path_no_route_has_is_answered_as_api_gateway_answers_it(app):
    gateway = local.LocalGateway(app, Config())
    unknown = gateway.handle_request("GET", "/nowhere?x=1", {}, b"")
    signed = gateway.handle_request("GET", "/nowhere", {"Authorization": "Bearer k3Y9sQ2x"}, b"")
    assert (unknown["statusCode"], unknown["body"]) == (403, "MISSING_AUTHENTICATION_TOKEN /nowhere")
    assert signed["body"] == "INCOMPLETE_SIGNATURE /nowhere"
    assert gateway.handle_request("GET", "/ping", {}, b"")["statusCode"] == 200


def test_the_local_authorizer_s_refusal_is_api_gateway_s_default_answer(app):
    refused = local.LocalGateway(app, Config()).handle_request("GET", "/staff", {"Authorization": "k3Y9sQ2x"}, b"")
    assert (refused["statusCode"], refused["body"]) == (403, "DEFAULT_4XX /staff")


def test_requests_are_admitted_one_at_a_time_with_a_deep_backlog(app):
    server = local.LocalDevServer(app, Config(), "127.0.0.1", 0)
    assert server.server.request_queue_size == chalice_local.LISTEN_BACKLOG
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server.server_port}/ping"

    def get() -> None:
        with urllib.request.urlopen(url, timeout=10) as response:  # nosec B310: our own local server
            assert response.status == 200

    try:
        clients = [threading.Thread(target=get) for _ in range(4)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(10)
    finally:
        server.shutdown()
        server.server.server_close()
    assert app.running["most"] == 1


def test_uninstall_gives_chalice_its_own_gateway_back(app):
    chalice_local.uninstall()
    assert local.ChaliceRequestHandler.do_GET is local.ChaliceRequestHandler._generic_handle
    with pytest.raises(local.ForbiddenError):  # chalice's own, with its own text
        local.LocalGateway(app, Config()).handle_request("GET", "/nowhere", {}, b"")


def test_answers_are_sent_without_waiting_for_the_client_s_delayed_ack(app):
    # the handler writes headers and body apart: with Nagle's algorithm each answer waited ~40 ms
    assert local.ChaliceRequestHandler.disable_nagle_algorithm is True
    chalice_local.uninstall()
    assert local.ChaliceRequestHandler.disable_nagle_algorithm is False

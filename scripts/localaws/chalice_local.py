"""`chalice local` (chalice 1.34) as a gateway for a sale-opening burst that answers as API Gateway does.

Three changes, made in the gateway's own process before `chalice local` starts:

1. Listen backlog. `ThreadedHTTPServer` inherits socketserver's backlog of 5; a burst of hundreds of buyers
   then sees dropped connections and 1-3 s SYN retries that say nothing about the application. (Its
   threads are already daemons upstream, so a stopping gateway does not wait for kept-alive connections.)
2. Admission. Chalice starts a thread per connection; dozens of them competing for one GIL starved some for
   seconds. Every `do_<METHOD>` of `ChaliceRequestHandler` (all aliases of `_generic_handle`) waits for a
   place in a first-come, first-served semaphore: per request, not per connection, so an idle kept-alive
   connection holds no place.
3. API Gateway's own answers. `LocalGateway.handle_request` answers a path no route has with Chalice's
   `{"message": "Missing Authentication Token"}` and the local authorizer's refusals with Chalice's texts;
   API Gateway answers them with the template's gateway responses. `answer(response_type, status, message,
   path)` renders those (the caller reads them from its template).
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import local

from . import patching
from .fairness import FairSemaphore

# What the patches replace or rely on, as last reviewed (see dynamodb.UPSTREAM).
UPSTREAM = {
    "chalice.local:ThreadedHTTPServer": "bc688e0651753e1d",
    "chalice.local:ChaliceRequestHandler._generic_handle": "f028c5ea240f1429",
    "chalice.local:LocalGateway.handle_request": "431817c79e3b18c1",
    # `handle_request` is asked first whether a route matches the path (it raises ValueError if none does).
    "chalice.local:RouteMatcher.match_route": "ba5ac0bef56c6978",
    "chalice.local:LocalGatewayException": "eb2c95eb288651ee",
}

HTTP_METHODS = ("do_GET", "do_HEAD", "do_POST", "do_PUT", "do_PATCH", "do_DELETE", "do_OPTIONS")
LISTEN_BACKLOG = 1024

Answer = Callable[[str, int, str, str], dict]


def install_backlog() -> None:
    patching.replace(local.ThreadedHTTPServer, "request_queue_size", lambda original: LISTEN_BACKLOG)


def install_no_delay() -> None:
    """Answers sent at once: the handler writes the headers and the body apart, and with Nagle's algorithm the
    body waited for the client's delayed ACK of the headers (~40 ms per request on a kept-alive connection)."""
    patching.replace(local.ChaliceRequestHandler, "disable_nagle_algorithm", lambda original: True)


def install_admission(admission: FairSemaphore) -> None:
    """At most `admission`'s permits requests handled at once, first come, first served."""
    handle = patching.original(local.ChaliceRequestHandler, "_generic_handle")

    def admitted(self: local.ChaliceRequestHandler) -> None:
        with admission:
            handle(self)

    for method in HTTP_METHODS:
        patching.replace(local.ChaliceRequestHandler, method, lambda original: admitted)


def install_gateway_answers(answer: Answer) -> None:
    """Unknown paths and the local authorizer's refusals answered by `answer`, as API Gateway answers them."""
    handle_request = patching.original(local.LocalGateway, "handle_request")

    def handle_request_as_api_gateway(self: local.LocalGateway, method, path, headers, body):
        try:
            self.event_converter._route_matcher.match_route(path)
        except ValueError:  # API Gateway has no resource for it; with an Authorization header it blames the signature
            signed = any(name.lower() == "authorization" for name in headers)
            return answer(
                "INCOMPLETE_SIGNATURE" if signed else "MISSING_AUTHENTICATION_TOKEN",
                403,
                "Authorization header requires 'Credential' parameter." if signed else "Missing Authentication Token",
                path.split("?", 1)[0],
            )
        try:
            return handle_request(self, method, path, headers, body)
        except local.LocalGatewayException as error:  # the local authorizer's refusals: API Gateway's own answers
            return answer(
                "DEFAULT_5XX" if error.CODE >= 500 else "DEFAULT_4XX",
                error.CODE,
                (error.body or b"").decode(errors="replace"),
                path.split("?", 1)[0],
            )

    patching.replace(local.LocalGateway, "handle_request", lambda original: handle_request_as_api_gateway)


def apply(admission: FairSemaphore, answer: Answer) -> None:
    install_backlog()
    install_no_delay()
    install_admission(admission)
    install_gateway_answers(answer)


def uninstall() -> None:
    for owner, name in [
        (local.ThreadedHTTPServer, "request_queue_size"),
        (local.ChaliceRequestHandler, "disable_nagle_algorithm"),
        (local.LocalGateway, "handle_request"),
        *((local.ChaliceRequestHandler, method) for method in HTTP_METHODS),
    ]:
        patching.restore(owner, name)

"""Run `chalice local` with a listen backlog fit for a sale-opening burst, answering as API Gateway does.

Python's HTTPServer listens with a backlog of 5; a burst of hundreds of buyers then sees
dropped connections and 1-3 s SYN retries that say nothing about Podium. What API Gateway answers
itself (a path no route has) comes from the template's gateway responses (the RestAPI definition's
`x-amazon-apigateway-gateway-responses`), rendered here as API Gateway renders them, instead of Chalice's
`{"message": "Missing Authentication Token"}`. Everything else is Chalice's own local gateway.
"""
import json
import os
import sys
import uuid

from chalice import local
from chalice.cli import main

from . import access
from .fairness import FairSemaphore
from .resources import load_template
from .serving import exit_with_parent

local.ThreadedHTTPServer.request_queue_size = 1024
local.ThreadedHTTPServer.daemon_threads = True

# Requests being worked on at once. Chalice starts a thread per connection; dozens of them
# competing for one GIL starved some for seconds. A few at a time, first come first served,
# keeps the cores busy (most of a request is waiting on moto) without that starvation: 4 since
# the workflow tasks left moto's process (with 2, a sale opening's p99 hold was 1.1-1.3 s and the
# gateway's slots the queue; with 4, 0.74-0.77 s; docs/benchmarks.md).
# Admission is per request, not per connection: the handler speaks HTTP/1.1 keep-alive, and
# an idle kept-alive connection must not hold a place.
CONCURRENT_REQUESTS = int(os.environ.get("PODIUM_GATEWAY_CONCURRENCY", "4"))
_admission = FairSemaphore(CONCURRENT_REQUESTS)
_handle = local.ChaliceRequestHandler._generic_handle


def _admitted(self) -> None:
    with _admission:
        _handle(self)


for _method in ("do_GET", "do_HEAD", "do_POST", "do_PUT", "do_PATCH", "do_DELETE", "do_OPTIONS"):
    setattr(local.ChaliceRequestHandler, _method, _admitted)


GATEWAY_RESPONSES = load_template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
    "x-amazon-apigateway-gateway-responses"]


def gateway_response(response_type: str, status: int, message: str, path: str) -> dict:
    """API Gateway's own answer of `response_type` as the template defines it (falling back to DEFAULT_4XX or
    DEFAULT_5XX as API Gateway does): its status, headers and body with `$context` substituted."""
    fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    spec = GATEWAY_RESPONSES.get(response_type) or GATEWAY_RESPONSES[fallback]
    substitutions = {"$context.error.messageString": json.dumps(message),
                     "$context.requestId": str(uuid.uuid4()), "$context.path": json.dumps(path)[1:-1]}
    body = spec["responseTemplates"]["application/json"]
    for variable in sorted(substitutions, key=len, reverse=True):
        body = body.replace(variable, substitutions[variable])
    headers = {name.removeprefix("gatewayresponse.header."): value.strip("'")
               for name, value in spec.get("responseParameters", {}).items()}
    return {"statusCode": int(spec.get("statusCode", status)), "headers": headers, "multiValueHeaders": {},
            "body": body}


_handle_request = local.LocalGateway.handle_request


def _handle_request_as_api_gateway(self, method, path, headers, body):
    try:
        self.event_converter._route_matcher.match_route(path)
    except ValueError:  # API Gateway has no resource for it; with an Authorization header it blames the signature
        signed = any(name.lower() == "authorization" for name in headers)
        return gateway_response("INCOMPLETE_SIGNATURE" if signed else "MISSING_AUTHENTICATION_TOKEN", 403,
                                "Authorization header requires 'Credential' parameter." if signed
                                else "Missing Authentication Token", path.split("?", 1)[0])
    try:
        return _handle_request(self, method, path, headers, body)
    except local.LocalGatewayException as error:  # the local authorizer's refusals: API Gateway's own answers
        return gateway_response("DEFAULT_5XX" if error.CODE >= 500 else "DEFAULT_4XX", error.CODE,
                                (error.body or b"").decode(errors="replace"), path.split("?", 1)[0])


local.LocalGateway.handle_request = _handle_request_as_api_gateway


if __name__ == "__main__":
    exit_with_parent(os.getppid())
    if os.environ.get("PODIUM_ACCESS_LOG"):  # the whole gateway is the API's one function
        access.install(os.environ["PODIUM_ACCESS_LOG"], default_function="APIHandler")
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())

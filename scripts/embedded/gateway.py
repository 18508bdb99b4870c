"""Run `chalice local` fit for a sale-opening burst, answering as API Gateway does.

The changes to chalice's local server are `scripts.localaws.chalice_local` (a listen backlog, first-come
admission, API Gateway's own answers). What API Gateway answers itself (a path no route has) comes from the
template's gateway responses (the RestAPI definition's `x-amazon-apigateway-gateway-responses`), rendered
here as API Gateway renders them. Everything else is Chalice's own local gateway.
"""

import json
import os
import sys
import uuid

from chalice.cli import main

from scripts.localaws import chalice_local
from scripts.localaws.fairness import FairSemaphore

from . import access
from .resources import load_template
from .serving import exit_with_parent

# Requests being worked on at once (scripts/localaws/chalice_local.py admits them first come, first served).
# A few at a time keeps the cores busy (most of a request is waiting on moto) without starving anyone: 4 since
# the workflow tasks left moto's process (with 2, a sale opening's p99 hold was 1.1-1.3 s and the
# gateway's slots the queue; with 4, 0.74-0.77 s; docs/benchmarks.md).
CONCURRENT_REQUESTS = int(os.environ.get("PODIUM_GATEWAY_CONCURRENCY", "4"))


GATEWAY_RESPONSES = load_template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
    "x-amazon-apigateway-gateway-responses"
]


def gateway_response(response_type: str, status: int, message: str, path: str) -> dict:
    """API Gateway's own answer of `response_type` as the template defines it (falling back to DEFAULT_4XX or
    DEFAULT_5XX as API Gateway does): its status, headers and body with `$context` substituted."""
    fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    spec = GATEWAY_RESPONSES.get(response_type) or GATEWAY_RESPONSES[fallback]
    substitutions = {
        "$context.error.messageString": json.dumps(message),
        "$context.requestId": str(uuid.uuid4()),
        "$context.path": json.dumps(path)[1:-1],
    }
    body = spec["responseTemplates"]["application/json"]
    for variable in sorted(substitutions, key=len, reverse=True):
        body = body.replace(variable, substitutions[variable])
    headers = {
        name.removeprefix("gatewayresponse.header."): value.strip("'")
        for name, value in spec.get("responseParameters", {}).items()
    }
    return {
        "statusCode": int(spec.get("statusCode", status)),
        "headers": headers,
        "multiValueHeaders": {},
        "body": body,
    }


chalice_local.apply(FairSemaphore(CONCURRENT_REQUESTS), gateway_response)


if __name__ == "__main__":
    exit_with_parent(os.getppid())
    if os.environ.get("PODIUM_ACCESS_LOG"):  # the whole gateway is the API's one function
        access.install(os.environ["PODIUM_ACCESS_LOG"], default_function="APIHandler")
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())

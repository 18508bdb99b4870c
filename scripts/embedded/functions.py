"""The local Lambda service: the workflows' task functions and the queue consumers in a process of their own.

On AWS every task runs in its own Lambda environment. Locally moto's Step Functions invokes
them through `workflows.LambdaDispatcher`; run inside moto's process they shared its one GIL
with moto answering every buyer's request (in a sale-opening run about a fifth of that
process's time was task code: pricing, signing QR codes, PDFs, e-mails). Here they run in
this process instead, on the other core: the supervisor's dispatcher POSTs each invocation
(`POST /invocations/{function name}`, the event as the body) and this process answers with
what Lambda would, `{"payload", "errored", "logs"}`. The SQS consumers (consumers.py) poll their
queues here as well. Each function acts as itself for the least-privilege record (`access.py`),
and its AWS calls are background work for moto's lock.

    python -m scripts.embedded.functions --stage demo --host 127.0.0.1 --port 8123

The environment is the functions' environment (the supervisor passes the gateway's).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from . import access, resources
from .consumers import start_consumers
from .serving import QuietRequestHandler, exit_with_parent
from .workflows import LambdaDispatcher

PREFIX = "/invocations/"
REFS_VARIABLE = "PODIUM_LOCAL_REFS"  # set by the stack: the consumers run here too
RETRY_VARIABLE = "PODIUM_CONSUMER_RETRY_DELAY"


def app_functions(app, stage: str) -> dict[str, tuple[str, object]]:
    """Every Lambda function of the app: physical name -> (logical id, handler)."""
    from chalice.utils import to_cfn_resource_name

    functions = {}
    for function in app.pure_lambda_functions:
        logical_id = to_cfn_resource_name(function.name)
        functions[resources.physical_name(stage, logical_id)] = (logical_id, function)
    return functions


def register_functions(dispatcher: LambdaDispatcher, app, stage: str) -> None:
    """Every Lambda function of the app, under its physical name, acting as its logical id."""
    for name, (logical_id, function) in app_functions(app, stage).items():
        dispatcher.register(name, access.as_function(logical_id, function))


def invocation_app(dispatcher: LambdaDispatcher, consumers=None):
    """The WSGI app: `POST /invocations/{name}?timeout=seconds` answered with Lambda's three answers;
    `GET /consumers` (their counts) and `POST /consumers/{queue}/pause|resume` for the queue pollers."""

    def app(environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path.startswith(PREFIX):
            timeout = int(request.args.get("timeout", "60"))
            payload, errored, logs = dispatcher.invoke(request.path[len(PREFIX) :], request.get_data(), timeout)
            response = Response(
                json.dumps({"payload": payload, "errored": errored, "logs": logs}), content_type="application/json"
            )
        elif consumers is not None and request.method == "GET" and request.path == "/consumers":
            response = Response(json.dumps(consumers.counts()), content_type="application/json")
        elif consumers is not None and request.method == "POST" and request.path.startswith("/consumers/"):
            queue, _, action = request.path[len("/consumers/") :].partition("/")
            if queue not in consumers.pollers or action not in ("pause", "resume"):
                return Response("not found", status=404)(environ, start_response)
            getattr(consumers[queue], action)()
            response = Response(json.dumps({"queue": queue, "action": action}), content_type="application/json")
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    exit_with_parent(os.getppid())
    if os.environ.get("PODIUM_ACCESS_LOG"):
        access.install(os.environ["PODIUM_ACCESS_LOG"])
    from app import app  # late: the app reads the environment

    dispatcher = LambdaDispatcher(record=False)  # the supervisor's dispatcher records what ran
    register_functions(dispatcher, app, args.stage)
    consumers = None
    if os.environ.get(REFS_VARIABLE):  # the queues' URLs and ARNs: this process runs the consumers too
        consumers = start_consumers(
            app,
            json.loads(os.environ[REFS_VARIABLE]),
            args.stage,
            os.environ["AWS_ENDPOINT_URL"],
            int(os.environ.get(RETRY_VARIABLE, "1")),
        )
    server = make_server(
        args.host, args.port, invocation_app(dispatcher, consumers), threaded=True, request_handler=QuietRequestHandler
    )
    print(f"[functions] {len(dispatcher.names())} functions on {args.host}:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    main()

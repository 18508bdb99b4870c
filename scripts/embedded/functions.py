"""The local Lambda service: the workflows' task functions in a process of their own.

On AWS every task runs in its own Lambda environment. Locally moto's Step Functions invokes
them through `workflows.LambdaDispatcher`; run inside moto's process they shared its one GIL
with moto answering every buyer's request (in a sale-opening run about a fifth of that
process's time was task code: pricing, signing QR codes, PDFs, e-mails). Here they run in
this process instead, on the other core: the supervisor's dispatcher POSTs each invocation
(`POST /invocations/{function name}`, the event as the body) and this process answers with
what Lambda would, `{"payload", "errored", "logs"}`. Each function acts as itself for the
least-privilege record (`access.py`), and its AWS calls are background work for moto's lock.

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
from .serving import QuietRequestHandler, exit_with_parent
from .workflows import LambdaDispatcher

PREFIX = "/invocations/"


def app_functions(app, stage: str) -> dict[str, tuple[str, object]]:
    """Every Lambda function of the app: physical name -> (logical id, handler)."""
    from chalice.utils import to_cfn_resource_name

    functions = {}
    for function in app.pure_lambda_functions:
        logical_id = to_cfn_resource_name(function.name)
        functions[resources.physical_name(stage, logical_id)] = (logical_id, function)
    return functions


def register_functions(dispatcher: LambdaDispatcher, app, stage: str) -> list[str]:
    """Every Lambda function of the app, under its physical name, acting as its logical id."""
    functions = app_functions(app, stage)
    for name, (logical_id, function) in functions.items():
        dispatcher.register(name, access.as_function(logical_id, function))
    return list(functions)


def invocation_app(dispatcher: LambdaDispatcher):
    """The WSGI app answering `POST /invocations/{name}?timeout=seconds` with Lambda's three answers."""
    def app(environ, start_response):
        request = Request(environ)
        if request.method != "POST" or not request.path.startswith(PREFIX):
            return Response("not found", status=404)(environ, start_response)
        timeout = int(request.args.get("timeout", "60"))
        payload, errored, logs = dispatcher.invoke(request.path[len(PREFIX):], request.get_data(), timeout)
        body = json.dumps({"payload": payload, "errored": errored, "logs": logs})
        return Response(body, content_type="application/json")(environ, start_response)

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

    dispatcher = LambdaDispatcher()
    register_functions(dispatcher, app, args.stage)
    server = make_server(args.host, args.port, invocation_app(dispatcher), threaded=True,
                         request_handler=QuietRequestHandler)
    print(f"[functions] {len(dispatcher.names())} functions on {args.host}:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    main()

"""botocore hooks: every API call observed, every HTTP request prepared before it is sent
(scripts/localaws/botocore_hooks.py)."""

from __future__ import annotations

import threading

import boto3
from werkzeug.serving import make_server

from scripts.localaws import botocore_hooks, server


def test_an_observer_sees_each_call_before_it_is_made_and_the_call_still_answers(client):
    seen = []
    dynamodb = client("dynamodb")

    def observe(boto_client, operation_name, params):
        if boto_client is dynamodb:  # an embedded stack in this worker makes calls of its own meanwhile
            seen.append((boto_client.meta.service_model.service_name, operation_name, params))

    botocore_hooks.on_api_call(observe)
    try:
        tables = dynamodb.list_tables(Limit=5)
    finally:
        botocore_hooks.remove(observe)
    dynamodb.list_tables(Limit=5)
    assert "TableNames" in tables
    assert seen == [("dynamodb", "ListTables", {"Limit": 5})]


def test_a_header_added_before_sending_marks_the_request_as_background_work_for_moto_s_lock():
    marked = []

    def app(environ, start_response):
        marked.append(server.is_background(environ))
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b'{"TableNames": []}']

    listening = make_server("127.0.0.1", 0, app, threaded=True, request_handler=server.QuietMotoRequestHandler)
    thread = threading.Thread(target=listening.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{listening.server_port}",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def mark(request) -> None:
        request.headers[server.BACKGROUND_HEADER] = "1"

    try:
        botocore_hooks.on_send(mark)
        try:
            dynamodb.list_tables()
        finally:
            botocore_hooks.remove(mark)
        dynamodb.list_tables()
    finally:
        listening.shutdown()
        listening.server_close()
    assert marked == [True, False]

"""The one error handler (`web.http.error_answer`): by the route's kind and the caller's wish, in its language."""

from __future__ import annotations

import json

from chalice import Response
from chalice.app import Request

from chalicelib.domain import errors as domain
from chalicelib.web import http

PAGE_ROUTE = "/p/test-only/{thing_id}"


def request(route: str, accept: str | None = None, language: str = "fr-BE") -> Request:
    headers = {"accept-language": language, **({"accept": accept} if accept else {})}
    return Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": headers,
            "pathParameters": None,
            "requestContext": {"httpMethod": "GET", "resourcePath": route, "path": route},
            "body": None,
            "stageVariables": None,
        }
    )


def stand_in_page(request: Request, error: domain.DomainError | None, page: object) -> Response:
    """Where the pages' error page would be: says what it was given."""
    return Response(
        body=json.dumps({"code": error.code if error else None, "page": page}),
        status_code=299,
        headers={"Content-Type": "text/html"},
    )


http.serve_page_errors(PAGE_ROUTE, stand_in_page)


def test_a_browser_on_a_page_route_gets_the_page_s_error_page_with_the_refusal_and_the_page():
    answer = http.error_answer(domain.NotFound("No such thing."), request(PAGE_ROUTE, "text/html"), "the page")
    assert answer.status_code == 299 and json.loads(answer.body) == {"code": "not_found", "page": "the page"}


def test_a_client_of_a_page_route_and_a_browser_on_an_api_route_get_a_problem_in_their_language():
    for asked in (request(PAGE_ROUTE, "application/json"), request("/performances/{performance_id}", "text/html")):
        answer = http.error_answer(domain.NotFound("No such thing."), asked)
        assert answer.status_code == 404 and answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["Content-Language"] == "fr" and json.loads(answer.body)["code"] == "not_found"


def test_a_bug_is_the_error_page_without_a_refusal_for_a_browser_and_a_500_problem_for_a_client():
    try:
        raise RuntimeError("a bug")
    except RuntimeError as bug:
        page = http.error_answer(bug, request(PAGE_ROUTE, "text/html"))
        problem = http.error_answer(bug, request(PAGE_ROUTE))
    assert json.loads(page.body)["code"] is None
    assert problem.status_code == 500 and json.loads(problem.body)["code"] == "internal_error"


def test_chalice_s_own_refusal_keeps_its_status_and_code():
    answer = http.error_answer(
        http.ChaliceRefusal("unsupported_media_type", "Unsupported media type", 415),
        request("/carts", "application/json"),
    )
    assert answer.status_code == 415 and json.loads(answer.body)["status"] == 415
    assert json.loads(answer.body)["code"] == "unsupported_media_type"

"""The HTTP edge shared by every blueprint: JSON bodies, problem details, responses.

Every refusal is an RFC 9457 problem (`application/problem+json`) with a stable `code`,
a title in the caller's language, a `detail`, and field `errors` where input was invalid.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, overload
from zoneinfo import ZoneInfo

import pydantic
from chalice import Response
from chalice.app import BadRequestError, ChaliceViewError, Request

from ..domain import errors as domain
from ..domain import uitpas as uitpas_problems
from ..i18n import buyer_message, negotiate_language, problem_title
from ..observability import logger
from ..settings import get_settings

BRUSSELS = ZoneInfo("Europe/Brussels")
PROBLEM_TYPE = "urn:podium:problem:"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a 5,000-seat map is ~1 MB
MAX_PATH_PARAMETER = 200  # no id is longer; a longer one names nothing (and would be too long a DynamoDB key)
MAX_QUERY_VALUE = 2048  # a return URL is the longest

STATUS_BY_CODE = {
    "malformed_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "hold_expired": 410,
    "link_expired": 410,
    "link_used": 410,
    "unsupported_media_type": 415,
    "validation_failed": 422,
    "seatmap_invalid": 422,
    "hold_too_large": 422,
    "seats_unavailable": 409,
    "not_enough_seats": 409,
    "sold_out": 409,
    "not_on_sale": 409,
    "hold_not_active": 409,
    "conflict": 409,
    "already_exists": 409,
    "checkout_started": 409,
    "cart_empty": 422,
    "not_refundable": 409,
    "ticket_rejected": 422,
    "ticket_malformed": 422,
    "ticket_unknown_key": 422,
    "ticket_signature_invalid": 422,
    "ticket_not_yet_valid": 422,
    "ticket_expired": 422,
    "ticket_wrong_performance": 422,
    "ticket_void": 409,
    "ticket_already_scanned": 409,
    "rate_limited": 429,
    "voucher_unknown": 422,
    "voucher_not_yet_valid": 422,
    "voucher_expired": 422,
    "voucher_inactive": 422,
    "voucher_used_up": 409,
    "voucher_below_minimum": 422,
    "voucher_not_applicable": 422,
    "gift_card_unknown": 422,
    "gift_card_empty": 409,
    "admission_required": 403,
    "waiting_room_on": 409,
    "admission_invalid": 403,
    "admission_expired": 403,
    "admission_used": 409,
    "not_your_turn": 409,
}
STATUS_BY_CODE.update(uitpas_problems.STATUS_BY_CODE)

Model = TypeVar("Model", bound=pydantic.BaseModel)
_request: contextvars.ContextVar[Request | None] = contextvars.ContextVar("podium_request", default=None)


def current_request() -> Request:
    """The request being served (set by `endpoint` and the pages' wrapper, per thread)."""
    request = _request.get()
    if request is None:
        raise RuntimeError("no request is being served")
    return request


def serving(request: Request) -> contextvars.Token:
    return _request.set(request)


class MalformedRequest(domain.DomainError):
    code = "malformed_request"


class Unauthorized(domain.DomainError):
    code = "unauthorized"


def language_of(request: Request | None) -> str:
    header = request.headers.get("accept-language") if request is not None else None
    return negotiate_language(header, get_settings().default_language)


def problem(code: str, detail: str, request: Request | None, status: int | None = None, **extra: Any) -> Response:
    """A problem-details response for `code` in the caller's language."""
    language = language_of(request)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": problem_title(code, language),
        "status": status or STATUS_BY_CODE.get(code, 400),
        "detail": detail,
        "code": code,
    }
    if request is not None and (request.context or {}).get("path"):
        body["instance"] = request.context["path"]
    # Extension members never replace the standard ones (a context key "status" once did).
    body.update({key: value for key, value in extra.items() if value is not None and key not in body})
    headers: dict[str, str | list[str]] = {"Content-Type": "application/problem+json", "Content-Language": language}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=body["status"], headers=headers)


def domain_problem(error: domain.DomainError, request: Request | None) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(error, domain.ValidationFailed):
        extra["errors"] = [field_error.to_dict() for field_error in error.errors]
    if isinstance(error, domain.SeatsUnavailable):
        extra["taken"] = error.taken
    extra["message"] = buyer_message(
        error.code, language_of(request), seats=", ".join(getattr(error, "taken", []) or [])
    )
    extra.update({key: value for key, value in error.context.items() if key not in extra})
    response = problem(error.code, error.detail, request, **extra)
    if isinstance(error, domain.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def endpoint(blueprint) -> Callable:
    """Wrap a view so that no exception escapes as anything but a problem response."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = blueprint.current_request
            # A warm Lambda reuses the logger: the previous request's keys go first (thread-local keys, so
            # requests served side by side in one process keep theirs apart too).
            logger.thread_safe_clear_keys()
            token = serving(request)
            try:
                check_url_limits(request, kwargs)
                return view(*args, **kwargs)
            except Exception as error:
                return error_answer(error, request)
            finally:
                _request.reset(token)

        return wrapper

    return decorate


# The route kinds: a hosted page's route (registered by `chalicelib.pages` with its error page) answers a
# browser with that page; every other answer, and a page's to a client that does not ask for HTML, is a problem.
_page_error_pages: dict[str, Callable[..., Response]] = {}


def serve_page_errors(path: str, error_page: Callable[..., Response]) -> None:
    """Declare `path` a page route whose refusals a browser sees as `error_page(request, error, page)`."""
    _page_error_pages[path] = error_page


def wants_html(request: Request) -> bool:
    return "text/html" in (request.headers.get("accept") or "")


def error_answer(error: Exception, request: Request | None, page: Any = None) -> Response:
    """The one place a refusal or a failure becomes an answer, in the caller's language: the error page for a
    browser on a page route, else a problem document. Called while handling `error`: a bug is logged with its
    trace and answered 500."""
    if not isinstance(error, (domain.DomainError, ChaliceViewError)):
        logger.exception("unhandled error")
    route = ((request.context or {}).get("resourcePath") if request is not None else None) or ""
    error_page = _page_error_pages.get(route)
    if error_page is not None and request is not None and wants_html(request):
        return error_page(request, error if isinstance(error, domain.DomainError) else None, page)
    if isinstance(error, ChaliceRefusal):
        return problem(error.code, error.detail, request, status=error.status)
    if isinstance(error, domain.DomainError):
        return domain_problem(error, request)
    if isinstance(error, BadRequestError):
        return problem("malformed_request", str(error), request)
    if isinstance(error, ChaliceViewError):
        return problem("malformed_request", str(error), request, status=error.STATUS_CODE)
    return problem("internal_error", "An unexpected error occurred; it has been logged.", request, status=500)


class ChaliceRefusal(domain.DomainError):
    """A refusal Chalice gives before any view runs (415, 405 …), under our code for it."""

    def __init__(self, code: str, detail: str, status: int) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status


def check_url_limits(request: Request, path_parameters: dict[str, Any]) -> None:
    """An over-long id in the path is not found; an over-long query value is a field error."""
    if any(isinstance(value, str) and len(value) > MAX_PATH_PARAMETER for value in path_parameters.values()):
        raise domain.NotFound("No such thing.")
    long = sorted(name for name, value in (request.query_params or {}).items() if len(value) > MAX_QUERY_VALUE)
    if long:
        raise domain.ValidationFailed(
            "A query parameter is too long.",
            [domain.FieldError(name[:40], "too_long", f"At most {MAX_QUERY_VALUE} characters.") for name in long],
        )


def parse_body(request: Request, model: type[Model]) -> Model:
    """Validate the raw JSON body against `model` (strict types, unknown fields refused)."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise domain.ValidationFailed(
            "The body is too large.", [domain.FieldError("", "too_large", f"At most {MAX_BODY_BYTES} bytes.")]
        )
    if not raw.strip():
        raise MalformedRequest("A JSON body is required.")
    try:
        return model.model_validate_json(raw)
    except pydantic.ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise MalformedRequest("The body is not valid JSON.") from None
        raise domain.ValidationFailed("Some fields are not valid.", field_errors(error)) from None


class _NoBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)


def refuse_body(request: Request) -> None:
    """A route that takes nothing accepts no body or `{}`; any field is refused (422) as `parse_body` refuses
    an unknown one, so a client's mistaken field is never silently ignored by a route that then writes."""
    if (request.raw_body or b"").strip():
        parse_body(request, _NoBody)


def field_errors(error: pydantic.ValidationError) -> list[domain.FieldError]:
    """Pydantic's errors as our field errors, with paths like `tariffs[0].prices.A`."""
    result = []
    for item in error.errors(include_url=False):
        path = ""
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        result.append(domain.FieldError(path, item["type"], item["msg"]))
    return result


class InvalidQueryParameter(domain.ValidationFailed):
    """A query parameter with a value outside its list (`?format=xml`): 400, naming the parameter."""

    code = "malformed_request"


@overload
def query_param(request: Request, name: str, choices: Sequence[str] | None = None, *, default: str) -> str: ...


@overload
def query_param(
    request: Request, name: str, choices: Sequence[str] | None = None, default: None = None
) -> str | None: ...


def query_param(
    request: Request, name: str, choices: Sequence[str] | None = None, default: str | None = None
) -> str | None:
    """A query parameter's value (`default` when absent). With `choices` it is an enumeration: any other
    value is refused (400 with the field named) rather than ignored, so `?format=xml` never answers JSON."""
    value = request.query_params.get(name) if request.query_params is not None else None
    if value is None:
        return default
    if choices is not None and value not in choices:
        raise InvalidQueryParameter(
            f"Unknown value for the query parameter {name}.",
            [domain.FieldError(name, "unknown_value", "One of " + ", ".join(choices) + ".")],
        )
    return value


def date_param(request: Request, name: str) -> datetime | None:
    """An ISO 8601 query parameter; a bare date or time means Brussels time, as a person means it."""
    value = query_param(request, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise domain.ValidationFailed(
            "Bad date filter.", [domain.FieldError(name, "invalid_datetime", "Use ISO 8601.")]
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BRUSSELS)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, default=_json_default),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def download_response(body: Any, filename: str) -> Response:
    """A JSON file the browser saves (a buyer's own data): never kept by a cache on the way."""
    return Response(
        body=json.dumps(body, ensure_ascii=False, indent=2),
        status_code=200,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def brussels_text(moment: datetime) -> str:
    return moment.astimezone(BRUSSELS).isoformat()


def convert_chalice_errors(event: Request, get_response: Callable) -> Response:
    """HTTP middleware: Chalice's own refusals (415, 405 …) are answered like ours (`error_answer`)."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, (dict, str)):
        try:
            data = json.loads(body) if isinstance(body, str) else body
        except ValueError:
            return response
        if isinstance(data, dict) and "Code" in data and "Message" in data:
            code = {
                "UnsupportedMediaType": "unsupported_media_type",
                "BadRequestError": "malformed_request",
                "MethodNotAllowedError": "method_not_allowed",
                "NotFoundError": "not_found",
            }.get(data["Code"], "malformed_request")
            answer = error_answer(ChaliceRefusal(code, data["Message"], response.status_code), event)
            allowed = {name.lower(): value for name, value in (response.headers or {}).items()}.get("allow")
            if allowed:  # a 405 names the methods the path has
                answer.headers["Allow"] = allowed
            return answer
    return response


# Sent with every response unless the view set its own (pages choose their referrer policy and CSP).
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), usb=()",
}
# An API answer is data, never a document to render or frame.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def add_security_headers(event: Request, get_response: Callable) -> Response:
    """HTTP middleware: the security headers on every response (API, pages, files, problems).

    Framing: a page whose CSP says `frame-ancestors 'none'` (or that has no CSP) also gets
    `X-Frame-Options: DENY`; the embeddable checkout names its house's sites in `frame-ancestors`
    and gets no X-Frame-Options (which cannot name them)."""
    response = get_response(event)
    headers = response.headers
    present = {name.lower(): name for name in headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            headers[name] = value
    content_type = headers.get(present.get("content-type", "Content-Type"), "")
    if "content-security-policy" not in present and "json" in content_type:
        headers["Content-Security-Policy"] = API_CONTENT_SECURITY_POLICY
    policy = headers.get(present.get("content-security-policy", "Content-Security-Policy"), "")
    ancestors = next(
        (
            part.strip()[len("frame-ancestors") :].split()
            for part in policy.split(";")
            if part.strip().startswith("frame-ancestors")
        ),
        None,
    )
    if "x-frame-options" not in present:
        if ancestors is None or ancestors == ["'none'"]:
            headers["X-Frame-Options"] = "DENY"
        elif ancestors == ["'self'"]:
            headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def answers(*media: str) -> Callable:
    """Declare what a view answers with where its source cannot say (e.g. a file's type from a table); the OpenAPI
    document (`api/openapi.py`) reads it."""

    def decorate(view: Callable) -> Callable:
        view.answers = media  # type: ignore[attr-defined]
        return view

    return decorate

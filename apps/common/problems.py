"""RFC 9457 problem details for every error the API returns, wired once.

DRF's exception handler, Django's 404/500 handlers and the catch-all route under /api/ all build
their bodies here, so every error a client sees has the same machine-readable shape.
"""
from __future__ import annotations

import math
import sys
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from onestop.errors import DomainError, ErrorCode

from .outages import RETRY_AFTER_SECONDS, log_outage, unavailable_detail, unavailable_response, unavailable_service

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:onestop:problem:"
TOO_BIG = "The request body is larger than the server accepts."

# Problem titles in the request's language (RFC 9457 lets the title follow content negotiation).
TITLES: dict[int, Any] = {
    400: _("Bad Request"), 401: _("Unauthorized"), 403: _("Forbidden"), 404: _("Not Found"),
    405: _("Method Not Allowed"), 406: _("Not Acceptable"), 409: _("Conflict"), 410: _("Gone"),
    412: _("Precondition Failed"), 413: _("Content Too Large"), 415: _("Unsupported Media Type"),
    422: _("Unprocessable Content"), 428: _("Precondition Required"), 429: _("Too Many Requests"),
    500: _("Internal Server Error"), 502: _("Bad Gateway"), 503: _("Service Unavailable"),
    504: _("Gateway Timeout"),
}


# A title per domain error code (its problem `type`), in the request's language.
CODE_TITLES: dict[ErrorCode, Any] = {
    ErrorCode.VALIDATION: _("Invalid input"),
    ErrorCode.NOT_FOUND: _("Not found"),
    ErrorCode.PERMISSION_DENIED: _("Not allowed for you"),
    ErrorCode.INVALID_TRANSITION: _("Action not allowed in this state"),
    ErrorCode.STALE_STATE: _("The dossier changed meanwhile"),
    ErrorCode.PRECONDITION_FAILED: _("The dossier changed since you read it"),
    ErrorCode.PRECONDITION_REQUIRED: _("If-Match is required"),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: _("Idempotency-Key reused with another request"),
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: _("The first request with this key is still running"),
    ErrorCode.PROCEDURE_NOT_OFFERED: _("Procedure not offered by this agency"),
    ErrorCode.UNPROCESSABLE: _("The request cannot be carried out"),
    ErrorCode.CONFLICT: _("Conflict with the current state"),
    ErrorCode.KIOSK_RATING_NOT_ALLOWED: _("The applicant rates this dossier online"),
}


def problem_title(status: int, code: str) -> str:
    title = CODE_TITLES.get(code) or TITLES.get(status)  # type: ignore[call-overload]
    return str(title) if title else translated(HTTPStatus(status).phrase)


def domain_error_detail(exc: DomainError) -> str:
    """A domain error's message in the request's language; codes it names (an action, a status) read
    as their labels."""
    if not exc.params:
        return translated(exc.detail)
    from .labels import action_label, status_label

    labelled = {"action": action_label, "status": status_label}
    params = {k: (labelled[k](v) or v) if k in labelled else v for k, v in exc.params.items()}
    return gettext(exc.template) % params


def translated(text: Any) -> str:
    """A message in the active language: the code writes English (or Vietnamese labels) once, and the
    catalogues under locale/ hold the other language. Text already translated passes unchanged."""
    return gettext(str(text)) if text else str(text)

DOMAIN_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.STALE_STATE: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PRECONDITION_FAILED: 412,
    ErrorCode.PRECONDITION_REQUIRED: 428,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: 409,
    ErrorCode.PROCEDURE_NOT_OFFERED: 422,
    ErrorCode.UNPROCESSABLE: 422,
    ErrorCode.KIOSK_RATING_NOT_ALLOWED: 422,
}

# DRF's own exception codes, named the same way as our domain codes.
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "service_unavailable",
}


def problem_body(
    *,
    status: int,
    code: str,
    detail: str,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": problem_title(status, code),
        "status": status,
        "detail": translated(detail),
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = [{**error, "message": translated(error["message"])} for error in errors]
    if extra:
        body.update(extra)
    return body


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error structure into `[{field, code, message}]` with dotted paths."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            out.extend(flatten_errors(value, path))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out.extend(flatten_errors(value, f"{prefix}[{index}]"))
            else:
                out.extend(flatten_errors(value, prefix))
        return out
    return [
        {
            "field": prefix or "non_field_errors",
            "code": getattr(detail, "code", None) or "invalid",
            "message": str(detail),
        }
    ]


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0]
    summary = f"{first['field']}: {translated(first['message'])}"
    others = len(errors) - 1
    if others:
        summary += " " + ngettext("(and %(count)d more)", "(and %(count)d more)", others) % {"count": others}
    return summary


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


UNAVAILABLE_HEADERS = {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _unavailable_body(detail: str, instance: str | None) -> dict[str, Any]:
    return problem_body(status=503, code=HTTP_CODES[503], detail=detail, instance=instance,
                        extra={"retry_after": RETRY_AFTER_SECONDS})


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.get_full_path() if request is not None else None

    # PostgreSQL, Redis or the broker unreachable (apps/common/outages.py): 503 + Retry-After, not a 500.
    if (service := unavailable_service(exc)) is not None:
        if request is not None:
            log_outage(request, service, exc)
        return problem_response(_unavailable_body(unavailable_detail(service), instance), UNAVAILABLE_HEADERS)

    if isinstance(exc, DomainError):
        detail = domain_error_detail(exc)
        errors = None
        if exc.field:
            errors = [{"field": exc.field, "code": str(exc.code), "message": detail}]
        body = problem_body(
            status=DOMAIN_STATUS.get(exc.code, 422),
            code=str(exc.code),
            detail=detail,
            instance=instance,
            errors=errors,
            extra=exc.extra,
        )
        return problem_response(body)

    # Django's own request limits (body size, number of fields or files) raised while DRF parses.
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            problem_body(status=413, code=HTTP_CODES[413], detail=TOO_BIG, instance=instance)
        )
    if isinstance(exc, SuspiciousOperation):
        return problem_response(
            problem_body(status=400, code=HTTP_CODES[400], detail=str(exc) or "Bad request.", instance=instance)
        )

    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handler answer (also problem JSON)

    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        body = problem_body(
            status=response.status_code,
            code=ErrorCode.VALIDATION.value,
            detail=_summary(errors) if errors else "Invalid input.",
            instance=instance,
            errors=errors,
        )
    else:
        detail = exc.detail if isinstance(exc, drf_exceptions.APIException) else str(exc)
        if isinstance(detail, dict) and "detail" in detail:
            detail = detail["detail"]  # simplejwt's InvalidToken: {"detail", "code", "messages"}
        code = getattr(detail, "code", None) or HTTP_CODES.get(response.status_code, "error")
        if response.status_code in HTTP_CODES and code in ("error", "invalid"):
            code = HTTP_CODES[response.status_code]
        extra = {}
        if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
            extra["retry_after"] = int(exc.wait)
            detail = _throttled_detail(exc)
        body = problem_body(
            status=response.status_code,
            code=str(code),
            detail=str(detail),
            instance=instance,
            extra=extra,
        )
    return problem_response(body, headers)


def _throttled_detail(exc: drf_exceptions.Throttled) -> str:
    """DRF fills the wait into its "Expected available in {wait} seconds." before translating it, so
    no catalogue finds the message and a Vietnamese answer ended in English: translated here, then
    filled in."""
    if str(exc.detail) != drf_exceptions.Throttled(wait=exc.wait).detail:
        return str(exc.detail)  # a detail of our own: already in the request's language
    wait = math.ceil(exc.wait)
    again = ngettext("Expected available in {wait} second.", "Expected available in {wait} seconds.", wait)
    return f"{drf_exceptions.Throttled.default_detail} {again.format(wait=wait)}"


def _json_problem(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    body = problem_body(
        status=status, code=HTTP_CODES[status], detail=detail, instance=request.get_full_path()
    )
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def unavailable_problem(request: HttpRequest, detail: str) -> JsonResponse:
    """A 503 problem with Retry-After answered outside DRF (apps.common.outages)."""
    body = _unavailable_body(detail, request.get_full_path())
    return JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE, headers=UNAVAILABLE_HEADERS)


def bad_request_problem(request: HttpRequest, detail: str) -> JsonResponse:
    """A 400 problem answered outside DRF (e.g. by apps.common.request_guard)."""
    return _json_problem(request, 400, detail)


@csrf_exempt  # an unknown route is a 404 whatever the method; CSRF's HTML 403 page must not answer first
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all for unknown routes under /api/: problem JSON even with DEBUG on."""
    return _json_problem(request, 404, "No API endpoint at this path.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    with _in_page_language(request):  # no view ran: the signed-in user's language is set here
        return page_not_found(request, exception)


def _in_page_language(request: HttpRequest):
    from .i18n import page_language

    return translation.override(page_language(request))


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 for a body over a limit: problem JSON under /api/, plain text elsewhere."""
    if request.path.startswith("/api/"):
        return _json_problem(request, 413, TOO_BIG)
    return HttpResponse(TOO_BIG + "\n", status=413, content_type="text/plain; charset=utf-8")


def handler400(request: HttpRequest, exception: Exception | None = None) -> Any:
    """Limits Django enforces outside DRF (e.g. while reading the body) still answer problem JSON."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return too_large_response(request)
        return _json_problem(request, 400, "Bad request.")
    from django.views.defaults import bad_request

    with _in_page_language(request):
        return bad_request(request, exception)


def handler500(request: HttpRequest) -> Any:
    # Django calls this while handling the exception: an outage raised outside any view (a middleware
    # saving the session, say) is still a 503 with Retry-After.
    if (outage := unavailable_response(request, sys.exc_info()[1])) is not None:
        return outage
    if request.path.startswith("/api/"):
        return _json_problem(request, 500, "Internal server error; the incident was logged.")
    from django.views.defaults import server_error

    return server_error(request)

"""RFC 9457 problem details for every error the API returns, wired once.

DRF's exception handler, Django's 404/500 handlers and the catch-all route under /api/ all build
their bodies here, so every error a client sees has the same machine-readable shape.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from onestop.errors import DomainError, ErrorCode

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:onestop:problem:"
TOO_BIG = "The request body is larger than the server accepts."

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
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
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
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['field']}: {first['message']}{more}"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.get_full_path() if request is not None else None

    if isinstance(exc, DomainError):
        errors = None
        if exc.field:
            errors = [{"field": exc.field, "code": str(exc.code), "message": exc.detail}]
        body = problem_body(
            status=DOMAIN_STATUS.get(exc.code, 422),
            code=str(exc.code),
            detail=exc.detail,
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
        body = problem_body(
            status=response.status_code,
            code=str(code),
            detail=str(detail),
            instance=instance,
            extra=extra,
        )
    return problem_response(body, headers)


def _json_problem(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    body = problem_body(
        status=status, code=HTTP_CODES[status], detail=detail, instance=request.get_full_path()
    )
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


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

    return page_not_found(request, exception)


def handler400(request: HttpRequest, exception: Exception | None = None) -> Any:
    """Limits Django enforces outside DRF (e.g. while reading the body) still answer problem JSON."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return _json_problem(request, 413, TOO_BIG)
        return _json_problem(request, 400, "Bad request.")
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler500(request: HttpRequest) -> Any:
    if request.path.startswith("/api/"):
        return _json_problem(request, 500, "Internal server error; the incident was logged.")
    from django.views.defaults import server_error

    return server_error(request)

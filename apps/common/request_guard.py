"""Refuse, before any view runs, API requests whose text cannot be stored or compared safely.

A NUL character reaches PostgreSQL as a driver error (a 500) from whichever query first uses the
value, and bytes that are not UTF-8 are silently turned into U+FFFD by Django's query-string
decoding (so a search would run on a different string than the client sent). Both are refused here
once, for the path, the query string and the headers, with a 400 problem. So are control characters
and non-characters (TAB, LF and CR included: no path segment or query parameter is multi-line text)
in the path and in query parameters (`q`, codes, ...), the latter as a validation problem naming the
parameter, as the text fields of a body (apps.common.fields.CharField).
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from onestop.errors import ErrorCode
from onestop.text import code_point, forbidden_character

from .fields import CONTROL_CHARACTER, control_character_message
from .numbers import bounded_int
from .problems import PROBLEM_CONTENT_TYPE, bad_request_problem, problem_body, too_large_response

API_PREFIX = "/api/"


def _query_problem(raw_query: str) -> str | None:
    # WSGI hands the query string over as latin-1 text: back to the bytes the client sent.
    raw = unquote_to_bytes(raw_query.encode("latin-1").replace(b"+", b" "))
    if b"\x00" in raw:
        return _("The query string contains a NUL character.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return _("The query string is not valid UTF-8.")
    return None


def request_text_problem(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return _("The path contains a NUL character.")
    query = request.META.get("QUERY_STRING", "")
    if query and (problem := _query_problem(query)):
        return problem
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return _("Header %(name)s contains a NUL character.") % {"name": name[5:].replace("_", "-").title()}
    if char := forbidden_character(request.path):
        return _("The path contains %(char)s, a control character or non-character.") % {"char": code_point(char)}
    return None


def query_parameter_problem(request: HttpRequest) -> tuple[str, str] | None:
    """(parameter, message) of the first query parameter whose name or value holds a control
    character or non-character."""
    for name, values in request.GET.lists():
        for text in (name, *values):
            if char := forbidden_character(text):
                return name, control_character_message(char)
    return None


def _validation_problem(request: HttpRequest, field: str, message: str) -> JsonResponse:
    body = problem_body(
        status=400, code=ErrorCode.VALIDATION.value, detail=f"{field}: {message}", instance=request.get_full_path(),
        errors=[{"field": field, "code": CONTROL_CHARACTER, "message": message}],
    )
    return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)


class RequestTextGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            if problem := request_text_problem(request):
                return bad_request_problem(request, problem)
            if parameter := query_parameter_problem(request):
                return _validation_problem(request, *parameter)
        return self.get_response(request)


class RequestSizeGuardMiddleware:
    """Refuse a body larger than UPLOAD_MAX_REQUEST_BYTES from its Content-Length, before it is read.

    Django bounds form fields and JSON (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to
    disk without a total. nginx in front enforces the same number (deploy/nginx, client_max_body_size
    from the same variable); this check keeps a gunicorn without nginx (or a misconfigured one) to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or ""
        # Digits past the limit (however many: bounded_int never hands them to int()) are refused.
        limit = settings.UPLOAD_MAX_REQUEST_BYTES
        if length.isascii() and length.isdigit() and bounded_int(length, high=limit) is None:
            return too_large_response(request)
        return self.get_response(request)

"""Refuse, before any view runs, API requests whose text cannot be stored or compared safely.

A NUL character reaches PostgreSQL as a driver error (a 500) from whichever query first uses the
value, and bytes that are not UTF-8 are silently turned into U+FFFD by Django's query-string
decoding (so a search would run on a different string than the client sent). Both are refused here
once, for the path, the query string and the headers, with a 400 problem.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .problems import bad_request_problem, too_large_response

API_PREFIX = "/api/"


def _query_problem(raw_query: str) -> str | None:
    # WSGI hands the query string over as latin-1 text: back to the bytes the client sent.
    raw = unquote_to_bytes(raw_query.encode("latin-1").replace(b"+", b" "))
    if b"\x00" in raw:
        return "The query string contains a NUL character."
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "The query string is not valid UTF-8."
    return None


def request_text_problem(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "The path contains a NUL character."
    query = request.META.get("QUERY_STRING", "")
    if query and (problem := _query_problem(query)):
        return problem
    for name, value in request.META.items():
        if name.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return f"Header {name[5:].replace('_', '-').title()} contains a NUL character."
    return None


class RequestTextGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and (problem := request_text_problem(request)):
            return bad_request_problem(request, problem)
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
        # isascii(): "²".isdigit() is true; a length past the limit by digits alone is not parsed at all.
        if length.isascii() and length.isdigit():
            limit, digits = settings.UPLOAD_MAX_REQUEST_BYTES, length.lstrip("0") or "0"
            if len(digits) > len(str(limit)) or int(digits) > limit:
                return too_large_response(request)
        return self.get_response(request)

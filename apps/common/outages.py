"""A backing service (PostgreSQL, Redis, the Celery broker) that cannot be reached is an outage, not a bug.

Such a request is answered 503 with `Retry-After` (problem JSON under /api/, plain text elsewhere)
instead of a 500: the client learns that retrying later is right, monitoring tells an outage from a
crash, and nothing was half-written (the failing statement rolled its transaction back).

Which errors count: the database driver's operational errors as Django wraps them
(``django.db.OperationalError``: connection refused or lost, server shutting down, statement or lock
timeout, deadlock, serialization failure; ``django.db.InterfaceError``: a connection already closed),
redis-py's ``ConnectionError``/``TimeoutError`` (django-redis re-raises them as they are), and kombu's
``OperationalError`` (the broker refused a task message). ``IntegrityError``, ``ProgrammingError``
and the rest stay 500s: they are bugs.

Wired in three places, all through `unavailable_response`: DRF's exception handler
(apps/common/problems.py), `ServiceUnavailableMiddleware` for every other view (admin, dashboard), and
``handler500`` for what a middleware raises outside any view (e.g. saving a session).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: Seconds a client should wait before retrying: a database restart or failover, a Redis restart.
RETRY_AFTER_SECONDS = 10

#: What a cache (Redis) call raises when Redis is down, refusing connections or not answering in time.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)

_SERVICES: tuple[tuple[tuple[type[Exception], ...], str], ...] = (
    ((OperationalError, InterfaceError), "database"),
    (CACHE_ERRORS, "cache"),
    ((BrokerError,), "task broker"),
)


def unavailable_service(exc: BaseException | None) -> str | None:
    """The name of the unreachable service `exc` reports ("database", "cache", "task broker"), else None."""
    if exc is None:
        return None
    for classes, name in _SERVICES:
        if isinstance(exc, classes):
            return name
    return None


def unavailable_detail(service: str) -> str:
    return f"The {service} is temporarily unavailable; retry in {RETRY_AFTER_SECONDS} seconds."


def log_outage(request: HttpRequest, service: str, exc: BaseException) -> None:
    # A warning, not an error with a traceback per request: during an outage every request fails alike.
    logger.warning("503 for %s %s: %s unavailable (%s: %s)", request.method, request.path, service,
                   type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "")


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """503 with Retry-After for an outage of a backing service; None for any other exception."""
    service = unavailable_service(exc)
    if service is None:
        return None
    log_outage(request, service, exc)
    if request.path.startswith("/api/"):
        from .problems import unavailable_problem

        return unavailable_problem(request, unavailable_detail(service))
    response = HttpResponse(unavailable_detail(service) + "\n", status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    """503 + Retry-After for outages raised by views outside DRF (DRF views answer in its handler)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request, exception)

"""One middleware per request: its id, its metrics and its log line; and the operations endpoints.

/healthz, /readyz and /metrics are answered here, first in the chain: before the host check
(a probe or a scraper reaches the container by its address or service name, not a public host
name) and before the HTTPS redirect (probes speak plain HTTP inside the deployment's network).

The request id is the one apps.audit records (`apps.audit.services.request_id`: the proxy's
X-Request-ID when it looks like one, else a fresh id), so a log line, the audit entries and the
tasks the request queued share it; it is returned as X-Request-ID.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from apps.audit.services import REQUEST_ID_HEADER, request_id

from . import metrics, views
from .context import noted_dossier, request_id_var

logger = logging.getLogger("onestop.request")

# Routes whose `code` URL argument is a dossier code (the public lookup, the portal's dossier read).
DOSSIER_CODE_ROUTES = frozenset({"dossier-lookup", "portal-dossier-detail"})
# Routes whose successful answer is the dossier just created (its code is in the body).
DOSSIER_CREATING_ROUTES = frozenset({"dossier-list", "dossier-register", "portal-dossier-submit"})


ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics_view,
}


def route_of(request: HttpRequest) -> str:
    if request.path in ENDPOINTS:
        return request.path.lstrip("/")
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else metrics.UNMATCHED_ROUTE


def dossier_code_of(request: HttpRequest, response: HttpResponse) -> str | None:
    code = noted_dossier(request)
    if code:
        return code
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    if match.url_name in DOSSIER_CODE_ROUTES:
        return match.kwargs.get("code")
    data = getattr(response, "data", None)
    if match.url_name in DOSSIER_CREATING_ROUTES and response.status_code == 201 and isinstance(data, dict):
        return data.get("code")
    return None


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)  # set by DRF's authentication too (JWT), once the view ran
    return getattr(user, "pk", None) if user is not None and user.is_authenticated else None


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        rid = request_id(request)
        token = request_id_var.set(rid)
        try:
            endpoint = ENDPOINTS.get(request.path)
            response = endpoint(request) if endpoint is not None else self.get_response(request)
            seconds = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = rid
            self._record(request, response, seconds)
            return response
        finally:
            request_id_var.reset(token)

    def _record(self, request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        route = route_of(request)
        method = request.method or ""
        metrics.observe_request(method=method, route=route, status=response.status_code, seconds=seconds)
        fields: dict[str, Any] = {
            "method": method,
            "path": request.path,  # without the query string: it may carry personal data (lookup)
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": _user_id(request),
            "dossier_code": dossier_code_of(request, response),
        }
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        logger.log(level, "%s %s %s %.1fms", method, request.path, response.status_code, seconds * 1000,
                   extra=fields)

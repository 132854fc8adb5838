"""/healthz (liveness), /readyz (readiness), /metrics (Prometheus). Plain Django views: no session,
no authentication classes, no database on /healthz."""
from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.common.problems import PROBLEM_CONTENT_TYPE, problem_body
from apps.common.throttling import client_ip

from . import health, metrics


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked (a database outage must not restart the web)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = health.readiness()
    failing = [name for name, result in checks.items() if result != health.OK]
    if not failing:
        return JsonResponse({"status": "ready", "checks": checks})
    body = problem_body(
        status=503, code="not_ready", detail=f"Not ready: {', '.join(failing)}.", instance=request.path,
        extra={"failing": failing, "checks": checks},
    )
    return JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)


def metrics_allowed(request: HttpRequest) -> bool:
    """METRICS_TOKEN (as `Authorization: Bearer <token>`), or a client address in METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        body = problem_body(status=403, code="permission_denied", instance=request.path,
                            detail="Metrics need METRICS_TOKEN as a bearer token, or a client address in "
                                   "METRICS_ALLOWED_NETWORKS.")
        return JsonResponse(body, status=403, content_type=PROBLEM_CONTENT_TYPE)
    payload, content_type = metrics.render()
    return HttpResponse(payload, content_type=content_type)

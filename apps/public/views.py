"""Public pages for citizens: no sign-in, server-rendered, no inline script or style (CSP)."""
from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from apps.common.throttling import LookupThrottle

from .selectors import public_lookup

CODE_MAX = 64  # Dossier.code
ID_NUMBER_MAX = 20  # Dossier.applicant_id_number
FAVICON = Path(__file__).resolve().parent / "static" / "public" / "favicon.ico"


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "public/landing.html")


def _field(data, name: str, limit: int) -> str:
    value = data.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """GET shows the form (`?ma=<code>` fills the code in, as the receipt's QR does); POST looks up.

    The ID number travels in the POST body only: not in URLs, server logs, history or Referer."""
    context: dict = {"code": _field(request.GET, "ma", CODE_MAX), "errors": {}}
    status = 200
    if request.method == "POST":
        code = _field(request.POST, "ma", CODE_MAX)
        id_number = _field(request.POST, "so_giay_to", ID_NUMBER_MAX)
        context["code"] = code
        if not code:
            context["errors"]["ma"] = _("Vui lòng nhập mã hồ sơ.")
        if not id_number:
            context["errors"]["so_giay_to"] = _("Vui lòng nhập số giấy tờ tùy thân.")
        if not context["errors"]:
            throttle = LookupThrottle()  # the same bucket as GET /api/v1/lookup/
            if not throttle.allow_request(request, None):
                wait = throttle.wait() or 60
                context["retry_after"] = wait
                response = render(request, "public/lookup.html", context, status=429)
                response["Retry-After"] = str(wait)
                return response
            result = public_lookup(code, id_number)
            context["result"] = result
            context["not_found"] = result is None
            status = 200
        else:
            status = 400
    response = render(request, "public/lookup.html", context, status=status)
    response["Cache-Control"] = "no-store"  # a result page must not stay in a shared device's cache
    return response


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")

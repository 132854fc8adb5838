"""Content-Security-Policy header for every response; flash messages for pages only.

Django 5.2 has no CSP support (6.0 adds SECURE_CSP / SECURE_CSP_REPORT_ONLY with this same
dict shape, so moving to it is a settings rename). One fixed policy needs no nonces, which is all
django-csp would add: no page we serve has an inline script (the admin has none; Swagger UI loads
its start-up script from a URL, see config/urls.py).
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse

from .i18n import is_api_request


def policy_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.headers = {
            name: policy_header(policy)
            for name, policy in (
                ("Content-Security-Policy", settings.SECURE_CSP),
                ("Content-Security-Policy-Report-Only", settings.SECURE_CSP_REPORT_ONLY),
            )
            if policy
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)  # a view may set a stricter one of its own
        return response


class PageMessageMiddleware(MessageMiddleware):
    """Django's flash messages ("Đã thực hiện: …" after a workbench action) for the pages. The API is
    stateless and never shows one: its requests get no message store (three objects built and
    checked on every filing for nothing)."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_api_request(request):
            super().process_request(request)

"""Flash messages are the pages' (apps.common.middleware.PageMessageMiddleware): an API request gets
no message store, a page request gets Django's (the workbench's "Đã thực hiện: …" notices rely on it;
tests/workbench/test_pages.py shows one end to end)."""
from __future__ import annotations

from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import RequestFactory

from apps.common.middleware import PageMessageMiddleware


def requests_seen(path: str):
    seen = []

    def view(request):
        seen.append(request)
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    request.session = {}
    response = PageMessageMiddleware(view)(request)
    assert response.status_code == 200
    return seen[0]


def test_an_api_request_gets_no_message_store():
    assert not hasattr(requests_seen("/api/v1/dossiers/"), "_messages")


def test_a_page_request_gets_djangos_message_store():
    assert isinstance(requests_seen("/can-bo/").__dict__.get("_messages"), FallbackStorage)

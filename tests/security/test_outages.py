"""Issue 14, item 11 (and the generic part of item 6): a backing service that cannot be reached is a
503 with `Retry-After`, never a 500.

PostgreSQL is made really unreachable for the request: the default connection is pointed at a
closed loopback port (the shared server is never touched). Redis likewise, at a closed port.
"""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.common.outages import RETRY_AFTER_SECONDS, unavailable_service
from tests.outages import cache_at, closed_port, database_unreachable

PROBLEM = "application/problem+json"


def assert_unavailable_problem(response, instance: str) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == PROBLEM
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert (body["status"], body["code"], body["retry_after"]) == (503, "service_unavailable", RETRY_AFTER_SECONDS)
    assert body["type"] == "urn:onestop:problem:service_unavailable"
    assert body["instance"] == instance


# --- PostgreSQL unreachable ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/api/v1/agencies/", "/api/v1/procedures/?q=khai", "/api/v1/calendar/2026/",
                                 "/api/v1/portal/health/"])
def test_api_reads_answer_503_while_the_database_is_unreachable(url):
    with database_unreachable():
        response = APIClient().get(url)
    assert_unavailable_problem(response, url)
    assert APIClient().get(url).status_code == 200  # and work again once it is back


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_writes_answer_503_while_the_database_is_unreachable(demo):
    with database_unreachable():
        token = APIClient().post("/api/v1/auth/token/", {"username": "citizen1", "password": "demo-Pass-2025"},
                                 format="json")
        signup = APIClient().post("/api/v1/auth/register/", {
            "username": "nguyenvanan", "password": "Mat-khau-2025!", "full_name": "Nguyễn Văn An",
            "applicant_type": "citizen", "id_number": "001099012345",
        }, format="json")
    assert_unavailable_problem(token, "/api/v1/auth/token/")
    assert_unavailable_problem(signup, "/api/v1/auth/register/")


@pytest.mark.django_db(transaction=True)
def test_authenticated_api_call_answers_503(demo):
    client = APIClient()
    client.force_authenticate(User.objects.get(username="clerk_tuphap"))
    with database_unreachable():
        response = client.get("/api/v1/dossiers/")
    assert_unavailable_problem(response, "/api/v1/dossiers/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/dashboard/", "/admin/"])
def test_pages_outside_drf_answer_503_with_retry_after(demo, url):
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="supervisor"))  # the session lives in the database
    with database_unreachable():
        response = client.get(url)
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/plain")
    assert b"database" in response.content


@pytest.mark.django_db(transaction=True)
def test_an_outage_outside_any_view_is_still_503(settings, demo):
    # Without the middleware (an exception raised by a middleware, say) handler500 still tells an
    # outage from a bug.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("ServiceUnavailableMiddleware")]
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="supervisor"))
    with database_unreachable():
        response = client.get("/dashboard/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


# --- Redis unreachable where a view truly needs it; errors that are bugs stay 500 ---------------


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_needs_cache(request):
    return Response({"value": cache.get("needed")})


def plain_needs_cache(request):
    return HttpResponse(str(cache.get("needed")))


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_closed_connection(request):
    raise InterfaceError("connection already closed")


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_integrity_bug(request):
    raise IntegrityError("duplicate key value violates unique constraint")


urlpatterns = [
    path("api/v1/needs-cache/", drf_needs_cache),
    path("api/v1/plain-needs-cache/", plain_needs_cache),
    path("page-needs-cache/", plain_needs_cache),
    path("api/v1/closed-connection/", drf_closed_connection),
    path("api/v1/integrity-bug/", drf_integrity_bug),
]
handler500 = "apps.common.problems.handler500"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/api/v1/needs-cache/", "/api/v1/plain-needs-cache/"])
def test_redis_unreachable_where_needed_is_503_problem(settings, url):
    with closed_port() as port:
        cache_at(settings, f"redis://127.0.0.1:{port}/0")
        response = Client(raise_request_exception=False).get(url)
    assert_unavailable_problem(response, url)
    assert "cache" in response.json()["detail"]


@pytest.mark.urls(__name__)
def test_redis_unreachable_on_a_page_is_503_text(settings):
    with closed_port() as port:
        cache_at(settings, f"redis://127.0.0.1:{port}/0")
        response = Client(raise_request_exception=False).get("/page-needs-cache/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


@pytest.mark.urls(__name__)
def test_interface_error_is_503_but_a_bug_stays_500():
    client = Client(raise_request_exception=False)
    assert_unavailable_problem(client.get("/api/v1/closed-connection/"), "/api/v1/closed-connection/")
    bug = client.get("/api/v1/integrity-bug/")
    assert bug.status_code == 500
    assert "Retry-After" not in bug


def test_which_errors_are_outages():
    from django.db import OperationalError, ProgrammingError
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    assert unavailable_service(OperationalError("server closed the connection unexpectedly")) == "database"
    assert unavailable_service(InterfaceError("connection already closed")) == "database"
    assert unavailable_service(RedisConnectionError("refused")) == "cache"
    assert unavailable_service(RedisTimeoutError("timeout")) == "cache"
    assert unavailable_service(BrokerError("broker")) == "task broker"
    for bug in (IntegrityError("dup"), ProgrammingError("syntax"), ValueError("x"), None):
        assert unavailable_service(bug) is None
    assert connection.vendor == "postgresql"  # the outage tests above ran against the real server

"""apps.common.postgresql: no `SELECT 1` before a request's first query when the connection served a
request moments ago; after a quiet spell the check runs, and a connection that died is replaced."""
from __future__ import annotations

import psycopg
import pytest
from django.db import connections

from apps.common.postgresql import base as backend

pytestmark = pytest.mark.django_db(transaction=True)
connection = connections["default"]  # the wrapper itself, not the thread-local proxy


@pytest.fixture
def health_checks(monkeypatch):
    """Count the backend's health checks (`is_usable`, the `SELECT 1` Django's query log never shows)."""
    calls = []
    original = connection.is_usable

    def counted():
        calls.append(1)
        return original()

    connection.ensure_connection()
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS, as in production
    monkeypatch.setattr(connection, "is_usable", counted)
    return calls


def request(sql: str = "SELECT 1") -> None:
    """What a request does to the connection: the start signal, one query, the end signal."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchone()
    connection.close_if_unusable_or_obsolete()


def test_the_backend_is_in_use():
    assert isinstance(connection, backend.DatabaseWrapper)


def test_back_to_back_requests_pay_no_health_check(health_checks):
    request()  # the connection is proven by a request that used it
    health_checks.clear()
    for _ in range(5):
        request()
    assert health_checks == []


def test_after_a_quiet_spell_the_first_query_checks(health_checks, monkeypatch):
    request()
    connection._proven_at -= backend.HEALTH_CHECK_FRESH_SECONDS + 1  # as if a second had passed
    health_checks.clear()
    request()
    request()
    assert health_checks == [1]  # the first request after the spell, not the one after it


def test_a_connection_that_died_in_a_quiet_spell_is_replaced(health_checks):
    request()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    connection.close_if_unusable_or_obsolete()  # that request's end
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         user=settings["USER"], dbname=settings["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection._proven_at -= backend.HEALTH_CHECK_FRESH_SECONDS + 1
    request("SELECT 2")  # would raise OperationalError on the dead connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_request_without_a_query_proves_nothing(health_checks):
    request()
    connection._proven_at -= backend.HEALTH_CHECK_FRESH_SECONDS + 1
    connection.close_if_unusable_or_obsolete()  # a request that never touched the database
    connection.close_if_unusable_or_obsolete()
    health_checks.clear()
    request()
    assert health_checks == [1]

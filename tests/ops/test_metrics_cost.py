"""A scrape stays cheap at scale: a fixed number of queries, each one served by an index (checked on
PostgreSQL's plans with sequential scans disabled: a query no index can serve still plans a Seq Scan)."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def scrape_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/metrics").status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_scrape_runs_a_fixed_number_of_queries(demo, register, client):
    empty = scrape_queries(client)
    for _ in range(3):
        register()
    assert len(scrape_queries(client)) == len(empty) <= 10


def test_every_scrape_query_is_served_by_an_index(demo, register, client):
    register()
    sqls = scrape_queries(client)
    assert sqls
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in sqls:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, f"{sql}\n{plan}"

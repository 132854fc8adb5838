"""Issue 16 item 4: a folded-name search in a clerk's queue is served by the trigram index over the
agency's active dossiers only (p95 104 ms -> a few ms at 12.25 M dossiers, bench/stats_bench.py)."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.dossiers.models import ACTIVE_STATUSES

pytestmark = pytest.mark.django_db


def index_definition() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'dossier_active_name_trgm'")
        row = cursor.fetchone()
    assert row is not None, "the active-queue name index is missing"
    return row[0]


def test_the_index_covers_exactly_the_active_statuses():
    definition = index_definition()
    assert "gin (agency_id, applicant_name_folded gin_trgm_ops)" in definition
    assert set(re.findall(r"'([a-z_]+)'::", definition)) == set(ACTIVE_STATUSES)


def _grow_the_table(copies: int) -> None:
    """Copies of the registered dossier, most of them long closed, so the planner sees a table shaped
    like a province's (a few active dossiers per agency among many closed ones)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'dossiers_dossier' "
                       "AND column_name NOT IN ('id', 'code', 'status', 'timeliness', 'applicant_name', "
                       "'applicant_name_folded')")
        columns = ", ".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            f"INSERT INTO dossiers_dossier (code, status, timeliness, applicant_name, {columns}) "
            f"SELECT 'GROW-' || n, CASE WHEN n %% 20 = 0 THEN d.status ELSE 'returned' END, "
            f"CASE WHEN n %% 20 = 0 THEN d.timeliness ELSE 'on_time' END, "
            f"(ARRAY['Nguyễn','Trần','Lê','Phạm'])[1 + n %% 4] || ' Văn ' || 'Hùng' || n, "
            f"{columns} FROM dossiers_dossier d, generate_series(1, %s) n WHERE d.code NOT LIKE 'GROW-%%'",
            [copies])
        cursor.execute("ANALYZE dossiers_dossier")


def test_the_queue_search_by_name_uses_it(as_user, register):
    register()
    _grow_the_table(20_000)
    clerk = as_user("clerk_tuphap")
    with CaptureQueriesContext(connection) as captured:
        response = clerk.get("/api/v1/dossiers/", {"q": "tran thi bich"})
    assert response.status_code == 200
    (sql,) = [q["sql"] for q in captured.captured_queries if "applicant_name_folded" in q["sql"] and "LIKE" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "dossier_active_name_trgm" in plan, plan

"""The clerk workbench's queue page at scale: GET /workbench/ rendered in-process for a clerk of the
agency with the most open dossiers (issue 18: 30,000 open at 12.25 M dossiers), p95 <= 150 ms server
time, and the number of SQL statements one page runs (fixed: it does not grow with the page size).

    # inside bench/stats_bench.py, Django already set up on the bench database:
    from workbench_case import WORKBENCH_TARGET_MS, measure_workbench_queue
    rows = measure_workbench_queue(repeat=args.repeat, budget_seconds=args.case_budget)

    # or on its own, against a kept bench database (stats_bench.py --keep):
    .venv/bin/python bench/workbench_case.py --db onestop_stats_bench [--repeat 30]

Cases: the default page (every active status, soonest due first, with the counts per status), the
overdue filter, and a search by dossier code. The full page is rendered (template, labels, tabs); the
static files are addressed without the manifest (the bench runs no collectstatic).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import percentile, time_calls

WORKBENCH_TARGET_MS = 150.0
BENCH_USERNAME = "bench-workbench-clerk"


def _busiest_agency() -> tuple[int, str, int, str]:
    """(agency id, code, open dossiers, one open dossier's code) of the agency with the most open dossiers."""
    from django.db.models import Count, Min

    from apps.agencies.models import Agency
    from apps.dossiers.models import ACTIVE_STATUSES, Dossier

    row = (Dossier.objects.filter(status__in=ACTIVE_STATUSES).values("agency_id")
           .annotate(n=Count("id"), code=Min("code")).order_by("-n").first())
    if row is None:
        raise RuntimeError("no open dossier in the database")
    return row["agency_id"], Agency.objects.get(pk=row["agency_id"]).code, row["n"], row["code"]


def _clerk(agency_code: str):
    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.accounts.services import staff_create
    from apps.agencies.models import Agency

    user = User.objects.filter(username=BENCH_USERNAME).first()
    if user is None:
        user = staff_create(username=BENCH_USERNAME, password="bench-only-password", full_name="Bench workbench",
                            roles=[Role.CLERK], agencies=[Agency.objects.get(code=agency_code)])
    return user


def measure_workbench_queue(repeat: int = 30, budget_seconds: float = 45.0) -> list[dict[str, Any]]:
    """One row per case: label, p50/p95/max (ms), statements per page, open dossiers of the agency."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    _, agency_code, open_count, code = _busiest_agency()
    client = Client()
    client.force_login(_clerk(agency_code))
    rows = []
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                     "staticfiles": static}):
        for label, query in (("default page", {}), ("overdue", {"overdue": "true"}), ("search by code", {"q": code})):
            def fn(query=query):
                response = client.get("/workbench/", query)
                if response.status_code != 200:
                    raise RuntimeError(f"/workbench/ {query!r} answered {response.status_code}")

            times = time_calls(fn, repeat, budget_seconds)
            with CaptureQueriesContext(connection) as captured:
                fn()
            rows.append({"label": label, "agency": agency_code, "open": open_count, "p50_ms": percentile(times, 0.5),
                         "p95_ms": percentile(times, 0.95), "max_ms": max(times), "statements": len(captured),
                         "runs": len(times)})
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        ok = row["p95_ms"] <= WORKBENCH_TARGET_MS
        print(f"  {row['label']:<16} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
              f"{row['statements']} statements  (target <= {WORKBENCH_TARGET_MS:.0f} ms): {'PASS' if ok else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    from _common import add_pg_arguments, django_env

    add_pg_arguments(parser, "onestop_stats_bench")
    args = parser.parse_args(argv)
    import os

    os.environ.update(django_env(args))
    import django

    django.setup()
    rows = measure_workbench_queue(repeat=args.repeat)
    print(f"clerk of {rows[0]['agency']} ({rows[0]['open']:,} open dossiers): GET /workbench/")
    print_rows(rows)
    return 0 if all(r["p95_ms"] <= WORKBENCH_TARGET_MS for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

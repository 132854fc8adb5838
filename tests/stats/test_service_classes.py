"""Decree 42/2022 service classes in the statistics (issue 21, item 5).

A dossier keeps the class its offering had when it was filed (as it keeps the level); the counters
carry the class beside the level; the API filters (`class=`) and groups (`by=class`) by it and
gives the provision and online-share figures by class. Every figure equals the plain-Python
recompute from raw rows of tests/stats/test_stats_exact.py, across an offering's change of class.
"""
from __future__ import annotations

import importlib
import itertools
from datetime import date, datetime, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from apps.catalog.models import Offering
from apps.catalog.selectors import forget_catalog_cache
from apps.dossiers.models import Dossier
from apps.stats.models import StatDelta, StatRollup, StatTransfer
from apps.stats.services import (
    coarse_differences,
    stats_compact,
    stats_compact_all,
    stats_rebuild,
    stats_rebuild_coarse,
)
from onestop.indicators import Metric

from .test_invariants import busy_world
from .test_stats_exact import SCOPES, World, assert_matches, generate, recompute

CLASSES = ("full", "partial", "none")
SUMMARY, BREAKDOWN = "/api/v1/stats/summary/", "/api/v1/stats/breakdown/"
ADDITIVE = ("received", "online_received", "submitted_online", "resolved", "resolved_late", "rejected", "withdrawn",
            "carried_over", "pending_end", "overdue_end", "payments_confirmed", "ratings", "transferred_in",
            "transferred_out")


def offering_classes() -> dict[tuple[int, int], str]:
    return {(a, p): c for a, p, c in Offering.objects.values_list("agency_id", "procedure_id", "service_class")}


def change_classes(world: World) -> tuple[datetime, list[tuple[int, int]]]:
    """Mid-history the busiest partial offering becomes full and the busiest full one partial (a
    province moves one service wholly online and finds another must take payment at the counter).
    Returns the moment and the offerings changed."""
    busiest = (Dossier.objects.values("receiving_agency_id", "procedure_id", "service_class")
               .annotate(n=Count("id")).order_by("-n", "receiving_agency_id", "procedure_id"))
    changed = []
    for old, new in (("partial", "full"), ("full", "partial")):
        row = next(r for r in busiest if r["service_class"] == old)
        Offering.objects.filter(agency_id=row["receiving_agency_id"], procedure_id=row["procedure_id"]).update(
            service_class=new)
        changed.append((row["receiving_agency_id"], row["procedure_id"]))
    forget_catalog_cache()  # as the admin and the catalogue import do
    return world.now, changed


@pytest.mark.django_db
def test_class_figures_equal_a_recompute_across_an_offerings_change_of_class(demo, monkeypatch, as_user):
    world = World(monkeypatch, 31)
    generate(world, steps=140)
    before = offering_classes()
    changed_at, changed = change_classes(world)
    generate(world, steps=140)
    after = offering_classes()

    # Every dossier keeps the class its offering had when it was filed.
    for dossier in Dossier.objects.all():
        classes = before if dossier.submitted_at <= changed_at else after
        assert dossier.service_class == classes[dossier.receiving_agency_id, dossier.procedure_id], dossier.code
    for key in changed:
        kept = set(Dossier.objects.filter(receiving_agency_id=key[0], procedure_id=key[1])
                   .values_list("service_class", flat=True))
        assert kept == {before[key], after[key]}, key  # old dossiers in the old class, new ones in the new
    assert set(Dossier.objects.values_list("service_class", flat=True)) == set(CLASSES)

    supervisor = as_user("supervisor")
    day = timezone.localdate(changed_at)
    periods = [(date(2025, 1, 1), date(2025, 7, 1)), (day - timedelta(days=12), day + timedelta(days=12))]
    compared = 0
    for (scope_code, codes), (start, end) in itertools.product(SCOPES, periods):
        params = {"scope": scope_code, "from": start, "to": end}
        summary = supervisor.get(SUMMARY, params).json()
        assert_matches(summary, recompute(codes, start, end))
        groups = supervisor.get(BREAKDOWN, {**params, "by": "class"}).json()["groups"]
        assert [g["group"] for g in groups] == ["full", "none", "partial"]  # every class, even with zeros
        for group in groups:
            assert_matches(group, recompute(codes, start, end, service_class=group["group"]))
            filtered = supervisor.get(SUMMARY, {**params, "class": group["group"]}).json()
            assert {k: v for k, v in filtered.items() if k not in ("from", "to")} == {
                k: v for k, v in group.items() if k not in ("group", "group_label")}
            compared += 1
        for name in ADDITIVE:  # a dossier never changes class: the groups add up, transfers included
            assert sum(g[name] for g in groups) == summary[name], (scope_code, start, name)
        by_class = {g["group"]: g for g in groups}
        assert (by_class["full"]["received"], by_class["partial"]["received"]) == (
            summary["received_class_full"], summary["received_class_partial"])
    assert compared == 18
    whole = supervisor.get(SUMMARY, {"from": "2025-01-01", "to": "2025-07-01"}).json()
    assert whole["received_class_full"] > 5 and whole["received_class_partial"] > 5
    assert whole["online_share_class_full"]["numerator"] > 0 and whole["online_share_class_partial"]["numerator"] > 0


@pytest.mark.django_db
def test_class_figures_of_the_demo_catalogue(as_user, submit, register, media_root):
    """The provision figures by class from the catalogue, the online shares from the dossiers, and
    each intake path recording the offering's class (not the catalogue's)."""
    supervisor = as_user("supervisor")
    params = {"from": timezone.localdate().replace(day=1).isoformat(),
              "to": (timezone.localdate() + timedelta(days=1)).isoformat()}
    body = supervisor.get(SUMMARY, params).json()
    # Demo: 6 procedures offered; best class in the whole scope: full (1.001193, 2.001610), partial
    # (1.000894, 1.009994, and 2.000488: the department offers it partly online), none (2.000815).
    assert (body["procedures_offered_class_full"], body["procedures_offered_class_partial"]) == (2, 3)
    assert body["class_full_provision_rate"] == {"numerator": 2, "denominator": 6, "value": 2 / 6}
    assert body["class_full_partial_provision_rate"] == {"numerator": 5, "denominator": 6, "value": 5 / 6}
    # Đông Tảo offers the birth registration only partly online (the catalogue says full).
    commune = supervisor.get(SUMMARY, {**params, "scope": "000.32.01.H29"}).json()
    assert (commune["procedures_offered_class_full"], commune["procedures_offered_class_partial"]) == (0, 2)
    dong_tao, xuan_quan = ({"agency": code, "procedure": "1.001193"} for code in ("000.32.01.H29", "000.31.01.H29"))
    online = submit(target=dong_tao, docs=("TKKS", "GCS"))  # partial, online
    assert online.status_code == 201
    assert register(target=dong_tao, docs=("TKKS", "GCS"), username="clerk_dongtao").status_code == 201  # partial
    assert register(target=xuan_quan, docs=("TKKS", "GCS"), username="clerk_xuanquan").status_code == 201  # full
    assert online.json()["service_class"] == "partial" and online.json()["service_class_label"] == "Một phần"
    assert sorted(Dossier.objects.values_list("service_class", flat=True)) == ["full", "partial", "partial"]
    body = supervisor.get(SUMMARY, params).json()
    assert body["online_share_class_full"] == {"numerator": 0, "denominator": 1, "value": 0.0}
    assert body["online_share_class_partial"] == {"numerator": 0, "denominator": 1, "value": 0.0}  # not accepted yet
    accepted = as_user("clerk_dongtao").post(f"/api/v1/dossiers/{online.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    body = supervisor.get(SUMMARY, params).json()
    assert body["online_share_class_partial"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert body["online_share_of_class_full_partial"] == {"numerator": 1, "denominator": 3, "value": 1 / 3}
    # In the whole scope the birth registration's best class is full (Xuân Quan's), in Đông Tảo partial.
    assert body["procedures_with_online_dossiers_class_full_rate"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    commune = supervisor.get(SUMMARY, {**params, "scope": "000.32.01.H29", "class": "partial"}).json()
    assert (commune["received"], commune["online_received"], commune["procedures_offered"]) == (2, 1, 2)
    assert commune["procedures_with_online_dossiers_class_partial_rate"] == {"numerator": 1, "denominator": 2,
                                                                             "value": 0.5}
    assert supervisor.get(SUMMARY, {**params, "scope": "000.32.01.H29", "class": "full"}).json()["received"] == 0


@pytest.mark.django_db
def test_load_demo_dossiers_carry_their_offerings_class(demo):
    from apps.dossiers.demo import demo_dossiers_load

    assert demo_dossiers_load(count=25) == 25
    classes = offering_classes()
    for receiving, procedure, service_class in Dossier.objects.values_list("receiving_agency_id", "procedure_id",
                                                                           "service_class"):
        assert service_class == classes[receiving, procedure]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [SUMMARY, BREAKDOWN, "/api/v1/stats/summary.csv", "/api/v1/stats/summary.xlsx"])
@pytest.mark.parametrize("value", ["toan-trinh", "FULL", "4", ""])
def test_a_bad_class_is_a_400_naming_class(as_user, url, value):
    params = {"from": "2025-01-01", "to": "2025-02-01", "class": value, "by": "level"}
    response = as_user("supervisor").get(url, params)
    assert response.status_code == 400, response.content  # as a bad `level`: never "no filter" by mistake
    assert response["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in response.json()["errors"]} == {"class"}


@pytest.mark.django_db
def test_by_class_lists_every_class_with_its_label_in_the_request_language(as_user):
    params = {"from": "2025-01-01", "to": "2025-02-01", "by": "class"}
    client = as_user("supervisor")
    vietnamese = client.get(BREAKDOWN, params).json()["groups"]
    english = client.get(BREAKDOWN, params, HTTP_ACCEPT_LANGUAGE="en").json()["groups"]
    assert [(g["group"], g["group_label"]) for g in vietnamese] == [
        ("full", "Toàn trình"), ("none", "Không (thông tin, biểu mẫu)"), ("partial", "Một phần")]
    assert [g["group"] for g in english] == ["full", "none", "partial"]
    assert english[0]["group_label"] == "Full online" and english[2]["group_label"] == "Partly online"
    assert all(g["received"] == 0 for g in vietnamese)  # listed although nothing happened
    assert [g["procedures_offered"] for g in vietnamese] == [2, 1, 3]
    one = client.get(BREAKDOWN, {**params, "class": "partial"}).json()["groups"]
    assert [g["group"] for g in one] == ["partial"]
    levels = client.get(BREAKDOWN, {**params, "by": "level"}).json()["groups"]
    assert [g["group_label"] for g in levels] == ["Mức độ 1", "Mức độ 2", "Mức độ 3", "Mức độ 4"]
    csv = b"".join(client.get("/api/v1/stats/summary.csv", params).streaming_content).decode("utf-8-sig")
    header = csv.splitlines()[0].split(",")
    assert "group_label" in header and "online_share_class_full.value" in header


# --- rebuild_stats and the migration ---------------------------------------------------------------


@pytest.mark.django_db
def test_rebuild_stats_repairs_a_counter_booked_under_another_class(demo, monkeypatch, as_user):
    generate(World(monkeypatch, 3), steps=150)
    stats_compact_all()
    supervisor = as_user("supervisor")
    params = {"from": "2025-01-01", "to": "2025-07-01"}
    right = supervisor.get(SUMMARY, params).json()
    keys = set(StatRollup.objects.values_list("agency_id", "procedure_id", "day", "channel", "level", "service_class",
                                              "metric", "due_day"))
    # A RECEIVED counter of a full-class dossier booked as partial (no partial row with its key yet).
    row = next(r for r in StatRollup.objects.filter(metric=Metric.RECEIVED, service_class="full").order_by("id")
               if (r.agency_id, r.procedure_id, r.day, r.channel, r.level, "partial", r.metric, r.due_day) not in keys)
    StatRollup.objects.filter(pk=row.pk).update(service_class="partial")
    stats_rebuild_coarse()  # as a compaction would have carried it into the coarse tables
    report = stats_rebuild()
    assert sorted((key[5], stored, recomputed) for key, stored, recomputed in report.differences) == [
        ("full", 0, row.n), ("partial", row.n, 0)]
    wrong = supervisor.get(SUMMARY, params).json()
    assert wrong["received_class_full"] == right["received_class_full"] - row.n
    assert wrong["received"] == right["received"]  # only the class is wrong
    with pytest.raises(SystemExit):
        call_command("rebuild_stats", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_stats", "--fix", stdout=out)
    assert "2 differ" in out.getvalue() and "counters replaced" in out.getvalue()
    report = stats_rebuild()
    assert (report.differences, report.coarse_differences, report.transfer_differences) == ([], [], [])
    assert supervisor.get(SUMMARY, params).json() == right


@pytest.mark.django_db
def test_rebuild_stats_repairs_a_transfer_booked_under_another_class(demo, monkeypatch):
    generate(busy_world(monkeypatch, 5), steps=160)
    row = StatTransfer.objects.order_by("id").first()
    StatTransfer.objects.filter(pk=row.pk).update(service_class="bogus")
    report = stats_rebuild()
    assert sorted(key[6] for key, _, _ in report.transfer_differences) == sorted({"bogus", row.service_class})
    out = StringIO()
    call_command("rebuild_stats", "--fix", stdout=out)
    assert "transfers replaced" in out.getvalue()
    assert stats_rebuild().transfer_differences == []


def _as_before_the_migration() -> None:
    """The tables as they were before the class existed: every dossier, counter and transfer of
    class `none` (the columns' value when added), counters summed over the classes, coarse tables
    emptied (the migration's first step)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE dossiers_dossier SET service_class = 'none'")
        cursor.execute("UPDATE stats_statdelta SET service_class = 'none'")
        cursor.execute("UPDATE stats_stattransfer SET service_class = 'none'")
    summed: dict[tuple, int] = {}
    for *key, n in StatRollup.objects.values_list("agency_id", "procedure_id", "day", "channel", "level", "metric",
                                                  "due_day", "n"):
        summed[tuple(key)] = summed.get(tuple(key), 0) + n
    StatRollup.objects.all().delete()
    StatRollup.objects.bulk_create([
        StatRollup(agency_id=a, procedure_id=p, day=d, channel=c, level=lv, service_class="none", metric=m,
                   due_day=due, n=n) for (a, p, d, c, lv, m, due), n in summed.items()])
    migration = importlib.import_module("apps.stats.migrations.0006_service_class")
    with connection.cursor() as cursor:
        for table in migration.COARSE_TABLES:
            cursor.execute(f"DELETE FROM {table}")


@pytest.mark.django_db
def test_the_migration_splits_the_existing_counters_by_class_exactly(demo, monkeypatch, as_user):
    """Agencies offer shared procedures at other classes than their neighbours' and transfer
    dossiers to one another: the counters of a transferred dossier at the other agency are moved
    to the dossier's own class. Afterwards every counter, coarse table and transfer row equals the
    recompute from raw rows, and the figures are the ones the history had."""
    world = busy_world(monkeypatch, 1307)
    for k, offering in enumerate(Offering.objects.order_by("agency_id", "procedure_id")):
        offering.service_class = CLASSES[k % 3]  # neighbours differ
        offering.save(update_fields=["service_class"])
    forget_catalog_cache()
    world.offerings = list(Offering.objects.select_related("agency", "procedure"))
    generate(world, steps=220)
    stats_compact(batch=StatDelta.objects.count() // 2)  # half compacted, half still deltas
    stats_rebuild_coarse()
    assert stats_rebuild().differences == [] and coarse_differences() == []
    supervisor = as_user("supervisor")
    queries = [{"from": "2025-01-01", "to": "2025-07-01"}, {"from": "2025-02-01", "to": "2025-03-01", "by": "class"},
               {"from": "2025-01-01", "to": "2025-07-01", "scope": "000.00.31.H29", "class": "none"}]
    figures = [supervisor.get(BREAKDOWN if "by" in q else SUMMARY, q).json() for q in queries]
    classes = dict(Dossier.objects.values_list("pk", "service_class"))

    _as_before_the_migration()
    dossiers = importlib.import_module("apps.dossiers.migrations.0007_service_class")
    with connection.cursor() as cursor:
        cursor.execute(dossiers.FILL)
    assert dict(Dossier.objects.values_list("pk", "service_class")) == classes
    migration = importlib.import_module("apps.stats.migrations.0006_service_class")
    moved = migration.split_counters_by_class(django_apps, SimpleNamespace(connection=connection))
    assert moved > 10  # transferred dossiers' counters really were moved

    report = stats_rebuild()
    assert (report.differences, report.coarse_differences, report.transfer_differences) == ([], [], [])
    assert [supervisor.get(BREAKDOWN if "by" in q else SUMMARY, q).json() for q in queries] == figures
    stats_compact_all()  # the correction pairs fold into the rollup
    assert stats_rebuild().differences == [] and coarse_differences() == []
    assert [supervisor.get(BREAKDOWN if "by" in q else SUMMARY, q).json() for q in queries] == figures

"""Issue 13: statistics that stay true under transfers, future periods, empty groups and mergers.

Small histories written through the real services, with every figure worked out by hand.
"""
from __future__ import annotations

import importlib
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_create
from apps.agencies.models import Agency
from apps.catalog.models import DocumentType, Offering, Procedure
from apps.dossiers import services as ds
from apps.stats.models import StatTransfer
from apps.stats.services import recompute_transfers, stats_rebuild, stored_transfers

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT, DEPARTMENT, FINANCE = "000.00.00.H29", "000.00.17.H29", "000.00.12.H29"
VAN_GIANG, XUAN_QUAN, KHOAI_CHAU, DONG_TAO = "000.00.31.H29", "000.31.01.H29", "000.00.32.H29", "000.32.01.H29"
RECORD, MARRIAGE = "2.000488", "1.000894"  # 7 working days at the department; same day at communes
MARCH = {"from": "2025-03-01", "to": "2025-04-01"}


class Desk:
    """A clerk-specialist-leader of the whole province, with a clock."""

    def __init__(self, monkeypatch, now: datetime):
        self.now = now
        monkeypatch.setattr("apps.dossiers.services._now", lambda: self.now)
        DocumentType.objects.update(required=False)
        staff = staff_create(username="desk", password="x" * 12, full_name="Cán bộ", agencies=[
            Agency.objects.get(code=ROOT)], roles=[Role.CLERK, Role.SPECIALIST, Role.LEADER], include_subtree=True)
        self.caller = ds.Caller.for_user(staff)

    def at(self, day: date, hour: int, minute: int = 0) -> Desk:
        self.now = datetime.combine(day, time(hour, minute), tzinfo=VN)
        return self

    def register(self, agency: str, procedure: str, received_at: datetime | None = None):
        request = ds.IntakeRequest(agency_code=agency, procedure_code=procedure, applicant=ds.ApplicantData(
            applicant_type="citizen", name="Phạm Thị Hoa", id_number="001190000001"))
        return ds.dossier_register(caller=self.caller, request=request, channel="counter",
                                   received_at=received_at).dossier

    def transfer(self, dossier, agency: str) -> None:
        ds.dossier_transfer(dossier_id=dossier.pk, caller=self.caller, agency_code=agency, reason="Liên thông")

    def resolve(self, dossier) -> None:
        ds.dossier_resolve(dossier_id=dossier.pk, caller=self.caller, result="approved")


def march_with_transfers(monkeypatch) -> Desk:
    """Four records at the department on Monday 3 March 2025 (due 12 March); three handed to Xuân
    Quan, which hands one on to Văn Giang (inside the district's subtree); Xuân Quan and Văn Giang
    each resolve one early; one stays at the department and one at Xuân Quan, both overdue by 1 April."""
    from apps.catalog.selectors import forget_catalog_cache

    record = Procedure.objects.get(code=RECORD)
    for agency in (XUAN_QUAN, VAN_GIANG):  # a transfer goes to an agency offering the procedure
        Offering.objects.create(agency=Agency.objects.get(code=agency), procedure=record, online_level=4)
    forget_catalog_cache()
    desk = Desk(monkeypatch, datetime(2025, 3, 3, 9, 0, tzinfo=VN))
    records = [desk.register(DEPARTMENT, RECORD) for _ in range(4)]
    desk.at(date(2025, 3, 3), 10)
    for dossier in records[1:]:
        desk.transfer(dossier, XUAN_QUAN)
    desk.at(date(2025, 3, 3), 11).transfer(records[3], VAN_GIANG)
    desk.at(date(2025, 3, 4), 9).resolve(records[1])
    desk.resolve(records[3])
    return desk


def summary(client, **params) -> dict:
    response = client.get("/api/v1/stats/summary/", {**MARCH, **params})
    assert response.status_code == 200, response.json()
    return response.json()


def rate(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "value": numerator / denominator if denominator else None}


@pytest.mark.django_db
def test_decision_766_counts_each_dossier_at_the_agency_holding_it(demo, monkeypatch, as_user):
    march_with_transfers(monkeypatch)
    client = as_user("supervisor")
    department = summary(client, scope=DEPARTMENT)
    # Transferred-out dossiers leave the sender's figures: it handled one (pending, overdue).
    assert (department["received"], department["transferred_out"], department["resolved"]) == (4, 3, 0)
    assert (department["handled"], department["pending_end"], department["overdue_end"]) == (1, 1, 1)
    assert department["on_time_rate_766"] == rate(0, 1) and department["overdue_rate_766"] == rate(1, 1)
    commune = summary(client, scope=XUAN_QUAN)
    # Transferred-in dossiers join the receiver's: 3 in, 1 on, 1 resolved early, 1 pending overdue.
    assert (commune["received"], commune["transferred_in"], commune["transferred_out"]) == (0, 3, 1)
    assert commune["on_time_rate_766"] == rate(1, 2) and commune["overdue_rate_766"] == rate(1, 2)
    # Its counters keep the records' class (partial: the department's offering), not the class at
    # which Xuân Quan itself offers the procedure (none).
    partial = summary(client, scope=XUAN_QUAN, **{"class": "partial"})
    assert (partial["transferred_in"], partial["transferred_out"], partial["pending_end"]) == (
        3, 1, commune["pending_end"])
    assert summary(client, scope=XUAN_QUAN, **{"class": "none"})["transferred_in"] == 0
    district_alone = summary(client, scope=VAN_GIANG, subtree="false")
    assert district_alone["on_time_rate_766"] == rate(1, 1) and district_alone["transferred_in"] == 1
    # The district's subtree: the hand-over from Xuân Quan to Văn Giang is internal and cancels.
    district = summary(client, scope=VAN_GIANG)
    assert (district["transferred_in"], district["transferred_out"]) == (3, 0)
    assert district["on_time_rate_766"] == rate(2, 3) and district["overdue_rate_766"] == rate(1, 3)
    assert district["balance"] == {"carried_over_plus_received_plus_in": 3,
                                   "resolved_rejected_withdrawn_out_pending": 3}
    province = summary(client)
    assert (province["transferred_in"], province["transferred_out"]) == (0, 0)  # every transfer is internal
    assert province["on_time_rate_766"] == rate(2, 4) and province["overdue_rate_766"] == rate(2, 4)
    assert summary(client, scope=ROOT) == province
    # The breakdown by agency: every group is the agency's own figures; the transfers between two
    # agencies of the district are the only difference between its groups' sum and its summary.
    groups = {g["group"]: g for g in client.get("/api/v1/stats/breakdown/", {
        **MARCH, "scope": VAN_GIANG, "by": "agency"}).json()["groups"]}
    assert set(groups) == {VAN_GIANG, XUAN_QUAN}
    assert sum(g["transferred_in"] for g in groups.values()) == district["transferred_in"] + 1
    assert sum(g["handled"] for g in groups.values()) == district["handled"]


@pytest.mark.django_db
def test_a_period_running_into_the_future_counts_overdue_at_now(demo, monkeypatch, as_user):
    now = timezone.now()
    desk = Desk(monkeypatch, now)
    desk.register(DEPARTMENT, RECORD)  # due in 7 working days: not overdue now
    desk.register(DEPARTMENT, RECORD, received_at=now - timedelta(days=25))  # due weeks ago: overdue
    today = timezone.localdate()
    client = as_user("supervisor")
    future = {"from": (today - timedelta(days=60)).isoformat(), "to": (today + timedelta(days=90)).isoformat()}
    figures = client.get("/api/v1/stats/summary/", future).json()
    assert (figures["pending_end"], figures["overdue_end"]) == (2, 1)
    assert figures["overdue_rate_766"] == rate(1, 2) and figures["on_time_rate_766"] == rate(1, 2)
    # The same in every breakdown and in the export: each bucket ends at min(its end, now).
    months = client.get("/api/v1/stats/breakdown/", {**future, "by": "month"}).json()["groups"]
    assert months[-1]["period_from"] > today.isoformat()  # a month wholly in the future is listed
    assert [g["overdue_end"] for g in months if g["period_to"] > today.isoformat()] == [1] * sum(
        1 for g in months if g["period_to"] > today.isoformat())
    for by in ("agency", "procedure", "level", "class", "tier", "channel"):
        groups = client.get("/api/v1/stats/breakdown/", {**future, "by": by}).json()["groups"]
        assert sum(g["overdue_end"] for g in groups) == 1, by
    csv = client.get("/api/v1/stats/summary.csv", future)
    header, row = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()[:2]
    assert dict(zip(header.split(","), row.split(","), strict=True))["overdue_end"] == "1"


@pytest.mark.django_db
def test_overdue_at_now_counts_a_dossier_due_earlier_today(demo, monkeypatch, as_user):
    """Asked on 12 March 2025, the two records still open (due that day at 09:00) are overdue at
    15:00 and not at 08:00, for a period up to today or running on into the future."""
    desk = march_with_transfers(monkeypatch)
    client = as_user("supervisor")
    for hour, overdue in ((8, 0), (15, 2)):
        now = datetime(2025, 3, 12, hour, 0, tzinfo=VN)
        monkeypatch.setattr("apps.stats.selectors._now", lambda now=now: now)
        monkeypatch.setattr("django.utils.timezone.now", lambda now=now: now)
        desk.now = now
        for period in (MARCH, {"from": "2025-03-01", "to": "2025-03-13"}):
            figures = summary(client, **period)
            assert (figures["pending_end"], figures["overdue_end"]) == (2, overdue), (hour, period)
            assert figures["overdue_rate_766"] == rate(overdue, 4)
            by_agency = client.get("/api/v1/stats/breakdown/", {**period, "by": "agency"}).json()["groups"]
            assert {g["group"]: g["overdue_end"] for g in by_agency if g["overdue_end"]} == (
                {DEPARTMENT: 1, XUAN_QUAN: 1} if overdue else {})
            days = client.get("/api/v1/stats/breakdown/", {**period, "by": "day"}).json()["groups"]
            assert [g["overdue_end"] for g in days if g["group"] >= "2025-03-12"] == [overdue] * sum(
                1 for g in days if g["group"] >= "2025-03-12")
        # A period that ended at the start of the day knows no overdue dossier yet.
        assert summary(client, **{"from": "2025-03-01", "to": "2025-03-12"})["overdue_end"] == 0


@pytest.mark.django_db
def test_every_group_is_listed_with_zeros_and_its_provision(demo, as_user):
    client = as_user("supervisor")
    quiet = {"from": "2024-01-01", "to": "2024-04-01"}  # nothing happened
    tiers = {g["group"]: g for g in client.get("/api/v1/stats/breakdown/", {**quiet, "by": "tier"}).json()["groups"]}
    assert set(tiers) == {"province", "district", "commune"}
    for tier, group in tiers.items():
        alone = client.get("/api/v1/stats/summary/", {**quiet, "tier": tier}).json()
        assert group["received"] == 0 and group["procedures_offered"] == alone["procedures_offered"] > 0
        assert group["level_3_4_provision_rate"] == alone["level_3_4_provision_rate"]
    agencies = client.get("/api/v1/stats/breakdown/", {**quiet, "by": "agency"}).json()["groups"]
    assert {g["group"] for g in agencies} == set(Agency.objects.values_list("code", flat=True))
    by_code = {g["group"]: g for g in agencies}
    assert by_code[XUAN_QUAN]["procedures_offered"] == 3 and by_code[ROOT]["procedures_offered"] == 0
    procedures = client.get("/api/v1/stats/breakdown/", {**quiet, "by": "procedure"}).json()["groups"]
    assert len(procedures) == 6 and all(g["received"] == 0 and g["procedures_offered"] == 1 for g in procedures)
    levels = client.get("/api/v1/stats/breakdown/", {**quiet, "by": "level"}).json()["groups"]
    assert [g["group"] for g in levels] == ["1", "2", "3", "4"]
    assert [g["procedures_offered"] for g in levels] == [0, 1, 2, 3]
    classes = client.get("/api/v1/stats/breakdown/", {**quiet, "by": "class"}).json()["groups"]
    assert [(g["group"], g["procedures_offered"], g["received"]) for g in classes] == [
        ("full", 2, 0), ("none", 1, 0), ("partial", 3, 0)]
    channels = client.get("/api/v1/stats/breakdown/", {**quiet, "by": "channel"}).json()["groups"]
    assert {g["group"] for g in channels} == {"online", "portal", "counter", "post"}
    days = client.get("/api/v1/stats/breakdown/", {**quiet, "by": "day"}).json()["groups"]
    assert len(days) == 91 and not any(g["received"] for g in days)
    # A district statistician: every agency of its subtree, every tier it has.
    district = as_user("stats_vangiang")
    assert [g["group"] for g in district.get("/api/v1/stats/breakdown/", {**quiet, "by": "agency"}).json()[
        "groups"]] == [VAN_GIANG, XUAN_QUAN]
    assert [g["group"] for g in district.get("/api/v1/stats/breakdown/", {**quiet, "by": "tier"}).json()[
        "groups"]] == ["commune", "district"]


@pytest.mark.django_db
def test_a_merged_agency_can_include_its_predecessors_history(demo, monkeypatch, as_user):
    """Đông Tảo merged into Xuân Quan on 1 July 2025 (DESIGN.md section 10)."""
    desk = Desk(monkeypatch, datetime(2025, 2, 10, 9, 0, tzinfo=VN))
    for _ in range(2):
        desk.register(DONG_TAO, MARRIAGE)
    desk.at(date(2025, 8, 11), 9).register(XUAN_QUAN, MARRIAGE)
    Agency.objects.filter(code=DONG_TAO).update(successor=Agency.objects.get(code=XUAN_QUAN),
                                                valid_to=date(2025, 7, 1))
    year = {"from": "2025-01-01", "to": "2026-01-01", "scope": XUAN_QUAN}
    for username in ("supervisor", "stats_vangiang"):  # whoever may read the successor reads its past
        client = as_user(username)
        assert client.get("/api/v1/stats/summary/", year).json()["received"] == 1
        merged = client.get("/api/v1/stats/summary/", {**year, "include_predecessors": "true"}).json()
        assert merged["received"] == 3
        groups = client.get("/api/v1/stats/breakdown/", {**year, "include_predecessors": "true", "by": "agency"})
        assert {g["group"]: g["received"] for g in groups.json()["groups"]} == {XUAN_QUAN: 1, DONG_TAO: 2}
    assert as_user("stats_vangiang").get("/api/v1/stats/summary/", {**year, "scope": DONG_TAO}).status_code == 404
    # A chain of mergers and the predecessors' subtrees: Khoái Châu (with Đông Tảo) into Văn Giang.
    Agency.objects.filter(code=KHOAI_CHAU).update(successor=Agency.objects.get(code=VAN_GIANG))
    district = as_user("supervisor").get("/api/v1/stats/breakdown/", {
        **year, "scope": VAN_GIANG, "include_predecessors": "true", "by": "agency"}).json()["groups"]
    assert {g["group"] for g in district} == {VAN_GIANG, XUAN_QUAN, KHOAI_CHAU, DONG_TAO}


@pytest.mark.django_db
def test_rebuild_checks_and_repairs_the_transfers(demo, monkeypatch, as_user):
    march_with_transfers(monkeypatch)
    client = as_user("supervisor")
    before = summary(client, scope=VAN_GIANG)
    assert stored_transfers() == recompute_transfers() and len(stored_transfers()) == 2
    assert stats_rebuild().transfer_differences == []
    StatTransfer.objects.filter(to_agency__code=VAN_GIANG).delete()
    assert summary(client, scope=VAN_GIANG)["transferred_in"] == 4  # the internal one is no longer known
    assert len(stats_rebuild().transfer_differences) == 1
    with pytest.raises(SystemExit):
        call_command("rebuild_stats", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_stats", "--fix", stdout=out)
    assert "1 transfer rows differ" in out.getvalue() and "transfers replaced" in out.getvalue()
    assert stats_rebuild().transfer_differences == []
    assert summary(client, scope=VAN_GIANG) == before


@pytest.mark.django_db
def test_the_migration_fills_the_transfers_from_the_events(demo, monkeypatch):
    from django.apps import apps

    march_with_transfers(monkeypatch)
    expected = stored_transfers()
    StatTransfer.objects.all().delete()
    migration = importlib.import_module("apps.stats.migrations.0005_stat_transfer")
    migration.refill_from_events(apps, None)

    def classless(transfers: dict) -> dict:  # 0005 knew no service class: 0006 refills the rows with it
        return {key[:6]: n for key, n in transfers.items()}  # (tests/stats/test_service_classes.py)

    assert classless(stored_transfers()) == classless(expected) == classless(recompute_transfers())
    assert expected == recompute_transfers()


@pytest.mark.django_db
def test_the_dashboard_ranks_every_agency_and_never_shows_more_than_100_percent(demo, monkeypatch):
    from apps.dashboard.selectors import dashboard_page_data

    march_with_transfers(monkeypatch)
    supervisor = User.objects.get(username="supervisor")
    page = dashboard_page_data(supervisor, {"period": "month", "year": "2025", "month": "3", "scope": VAN_GIANG})
    tile = {t["key"]: t for t in page["tiles"]}
    assert (tile["on_time_rate_766"]["numerator"], tile["on_time_rate_766"]["denominator"]) == (2, 3)
    assert tile["on_time_rate_766"]["detail"] == "2 / 3 hồ sơ đã xử lý (giải quyết 2 · đang giải quyết 1)"
    assert all(t["value"] is None or not t["is_rate"] or 0 <= t["value"] <= 1 for t in page["tiles"])
    whole = dashboard_page_data(supervisor, {"period": "month", "year": "2025", "month": "3"})
    assert {a["code"] for a in whole["agencies"]} == set(Agency.objects.values_list("code", flat=True))
    quiet = {a["code"]: a for a in whole["agencies"]}[FINANCE]  # received nothing: listed as such
    assert quiet["received"] == 0 and quiet["on_time_rate_766"] is None
    district = dashboard_page_data(User.objects.get(username="stats_vangiang"),
                                   {"period": "month", "year": "2025", "month": "3"})
    assert sorted(a["code"] for a in district["agencies"]) == [VAN_GIANG, XUAN_QUAN]

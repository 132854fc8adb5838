"""Correctness is the feature: every indicator from the API equals a recompute from raw rows.

A seeded generator writes a random history through the real services (many agencies, procedures,
channels, pauses, late and early resolutions, withdrawals, transfers, payments, ratings, events at
and around local midnight). The recompute below walks the dossiers and their events in plain
Python/ORM, independently of the counters, and must match the API to the unit.
"""
from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_create
from apps.agencies.models import Agency
from apps.catalog.models import DocumentType, Offering, Procedure
from apps.dossiers import services as ds
from apps.dossiers.models import Dossier, DossierEvent
from apps.ratings.models import Rating
from apps.ratings.services import kiosk_may_rate, rating_give
from apps.stats.services import stats_compact
from apps.workcalendar.selectors import working_calendar
from onestop.lifecycle import Action, Actor, Status, allowed_actions

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EVERY_STAFF = [Actor.CLERK, Actor.SPECIALIST, Actor.LEADER]


class World:
    def __init__(self, monkeypatch, seed: int):
        self.rng = random.Random(seed)
        self.now = datetime(2025, 1, 20, 8, 0, tzinfo=VN)
        monkeypatch.setattr("apps.dossiers.services._now", lambda: self.now)
        monkeypatch.setattr("apps.ratings.services._now", lambda: self.now)
        monkeypatch.setattr(settings, "REGISTRATION_BACKDATE_DAYS", 60)  # late registrations below
        DocumentType.objects.update(required=False)
        Offering.objects.update(processing_days=None)
        root = Agency.objects.get(code="000.00.00.H29")
        self.staff = staff_create(username="everyone", password="x" * 12, full_name="Cán bộ tổng hợp",
                                  roles=[Role.CLERK, Role.SPECIALIST, Role.LEADER], agencies=[root],
                                  include_subtree=True)
        self.staff_caller = ds.Caller.for_user(self.staff)
        self.applicant = User.objects.get(username="citizen1")
        self.applicant_caller = ds.Caller.for_user(self.applicant)
        self.gateway_caller = ds.Caller(user=None, client_id="payment:test", is_payment_callback=True)
        self.offerings = list(Offering.objects.select_related("agency", "procedure"))
        self.agencies = list(Agency.objects.values_list("code", flat=True))
        self.weights = {"resolve": 4, "accept": 5, "assign": 2, "withdraw": 0.3, "reject": 0.4, "transfer": 0.6}
        self.back_and_forth = False  # transfers half the time back to the agency that handed the dossier on
        self.transferred_from: dict[int, str] = {}
        self.partners: dict[str, str] = {}  # agency → another one of its subtree (back_and_forth)

    def transfer_target(self, dossier: Dossier, target: str, targets: list[str]) -> str:
        """`target`, or with back_and_forth often the agency that handed the dossier on, or the
        agency's partner in its subtree (when they offer the procedure)."""
        back, here = self.transferred_from.get(dossier.pk), dossier.agency.code
        if self.back_and_forth:
            draw = self.rng.random()
            if back in targets and draw < 0.4:
                target = back
            elif self.partners.get(here) in targets and draw < 0.7:  # inside the same subtree
                target = self.partners[here]
        self.transferred_from[dossier.pk] = dossier.agency.code
        return target

    def tick(self):
        step = self.rng.choices(["minutes", "hours", "midnight", "day"], [40, 35, 15, 10])[0]
        if step == "minutes":
            self.now += timedelta(minutes=self.rng.randint(1, 90))
        elif step == "hours":
            self.now += timedelta(hours=self.rng.randint(1, 20))
        elif step == "midnight":  # land exactly on, or just before, a local midnight
            next_midnight = datetime.combine(self.now.date() + timedelta(days=1), time(0), tzinfo=VN)
            self.now = next_midnight - timedelta(seconds=self.rng.choice([0, 1]))
            if self.now <= self.now - timedelta(seconds=1):
                self.now = next_midnight
        else:
            self.now += timedelta(days=self.rng.randint(1, 4))

    def new_dossier(self):
        offering = self.rng.choice(self.offerings)
        request = ds.IntakeRequest(
            agency_code=offering.agency.code, procedure_code=offering.procedure.code,
            applicant=ds.ApplicantData(applicant_type="citizen", name="Phạm Thị Hoa", id_number="001190000001"),
        )
        if offering.online_level >= 3 and self.rng.random() < 0.6:
            return ds.dossier_submit(caller=self.applicant_caller, request=request).dossier
        # Some counter dossiers are registered late with their real (earlier) reception time: their
        # counters land on past days, behind compactions and month-start snapshots already made.
        received_at = None
        if self.rng.random() < 0.2:
            received_at = self.now - timedelta(days=self.rng.randint(0, 45), minutes=self.rng.randint(0, 600))
        return ds.dossier_register(caller=self.staff_caller, request=request, received_at=received_at,
                                   channel=self.rng.choice(["counter", "post"])).dossier

    def act(self, dossier: Dossier):
        dossier.refresh_from_db()
        actors = [Actor.APPLICANT, *EVERY_STAFF] if dossier.applicant_id else EVERY_STAFF
        choices = allowed_actions(Status(dossier.status), actors)
        if not choices:
            if dossier.status in ("resolved", "returned", "rejected") and self.rng.random() < 0.5:
                if not Rating.objects.filter(dossier=dossier).exists():
                    finished = dossier.resolved_at or dossier.closed_at
                    if self.now - finished <= timedelta(days=30):
                        # The applicant rates an online filing; the kiosk the others (issue 14).
                        source = "kiosk" if kiosk_may_rate(dossier) else "online"
                        rating_give(dossier_id=dossier.pk, rated_by=self.applicant, source=source,
                                    level=self.rng.choice(["very_satisfied", "satisfied", "dissatisfied"]))
            return
        # Favour progress so that many dossiers finish, some late, some early.
        weights = self.weights
        action = self.rng.choices(choices, [weights.get(str(c), 1) for c in choices])[0]
        caller = self.applicant_caller if action in (Action.WITHDRAW,) else self.staff_caller
        if action == Action.SUPPLEMENT and dossier.applicant_id and self.rng.random() < 0.5:
            caller = self.applicant_caller
        kwargs: dict = {"dossier_id": dossier.pk, "caller": caller}
        targets = [o.agency.code for o in self.offerings
                   if o.procedure_id == dossier.procedure_id and o.agency_id != dossier.agency_id]
        if action == Action.TRANSFER and not targets:
            return
        extra = {
            Action.REJECT: {"reason": "Không đủ điều kiện"},
            Action.ASSIGN: {"assignee_username": "everyone"},
            Action.REQUEST_SUPPLEMENT: {"reason": "Thiếu", "items": ["Tờ khai"]},
            # A transfer's target offers the procedure; a new appointment is in working time (issue 15).
            Action.TRANSFER: {"agency_code": self.rng.choice(targets) if targets else None,
                              "reason": "Liên thông"},
            Action.APOLOGISE: {"reason": "Chậm", "new_appointment": working_calendar().earliest_appointment_after(
                (dossier.appointment_at or self.now) + timedelta(days=2))},
            Action.SUPPLEMENT: {"note": "Đã bổ sung"},
            Action.REQUEST_PAYMENT: {"amount": 50000, "items": []},
            Action.CONFIRM_PAYMENT: {"method": self.rng.choice(["online", "counter"])},
            Action.RESOLVE: {"result": "approved"},
            Action.RETURN: {"method": "counter"},
        }.get(action, {})
        if action == Action.TRANSFER:
            extra["agency_code"] = self.transfer_target(dossier, extra["agency_code"], targets)
        if action == Action.CONFIRM_PAYMENT and extra["method"] == "online":
            kwargs["caller"] = self.gateway_caller  # online payments are confirmed by the gateway only
        if action == Action.WITHDRAW and not dossier.applicant_id:
            return  # counter dossiers are withdrawn at the counter: not modelled by the API
        getattr(ds, f"dossier_{action.value}")(**kwargs, **extra)


def generate(world: World, steps: int) -> None:
    dossiers: list[Dossier] = []
    for _ in range(steps):
        world.tick()
        if not dossiers or world.rng.random() < 0.35:
            dossiers.append(world.new_dossier())
        else:
            world.act(world.rng.choice(dossiers))
        if world.rng.random() < 0.05:
            stats_compact(batch=world.rng.randint(1, 50))  # compaction at random moments


# --- the independent recompute ------------------------------------------------------------------


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VN)


def recompute(agency_codes: set[str], start: date, end: date, procedure_id: int | None = None,
              level: int | None = None, service_class: str | None = None) -> dict:
    """The indicators' raw figures; `procedure_id` / `level` / `service_class` keep only dossiers of
    that procedure / offered at that level or class (the dossier's online_level and service_class,
    recorded at intake), and procedures offered at that level or class (highest level, best class)."""
    lo, hi = midnight(start), midnight(end)
    dossiers = Dossier.objects.all()
    if procedure_id is not None:
        dossiers = dossiers.filter(procedure_id=procedure_id)
    if level is not None:
        dossiers = dossiers.filter(online_level=level)
    if service_class is not None:
        dossiers = dossiers.filter(service_class=service_class)
    kept = set(dossiers.values_list("pk", flat=True))
    agency_ids = set(Agency.objects.filter(code__in=agency_codes).values_list("pk", flat=True))
    code_of = dict(Agency.objects.values_list("pk", "code"))
    out: dict = defaultdict(int)
    events_by_dossier = defaultdict(list)
    for event in DossierEvent.objects.order_by("id"):
        events_by_dossier[event.dossier_id].append(event)

    def state_at(dossier: Dossier, instant: datetime):
        """(holding agency id, status, due_at) after the last event before `instant`."""
        agency = status = due = None
        for event in events_by_dossier[dossier.pk]:
            effective = event.at
            if event.action == "register" and event.payload.get("received_at"):  # a late registration
                effective = datetime.fromisoformat(event.payload["received_at"])
            if effective >= instant:
                break
            agency, status = event.agency_id, event.to_status
            if "due_at" in event.payload and event.action in ("register", "accept"):
                due = datetime.fromisoformat(event.payload["due_at"])
            if event.action == "supplement":
                due = datetime.fromisoformat(event.payload["due_at_after"])
        return agency, status, due

    def pending(instant: datetime, overdue_before: datetime | None = None) -> int:
        count = 0
        for dossier in dossiers.filter(received_at__lt=instant):
            agency, status, due = state_at(dossier, instant)
            if agency not in agency_ids or status not in ("received", "in_progress", "awaiting_supplement",
                                                          "awaiting_payment"):
                continue
            if overdue_before and not (status != "awaiting_supplement" and due < overdue_before):
                continue
            count += 1
        return count

    received = dossiers.filter(received_at__gte=lo, received_at__lt=hi, receiving_agency_id__in=agency_ids)
    out["received"] = received.count()
    out["online_received"] = received.filter(channel__in=["online", "portal"]).count()
    online_offered = received.filter(online_level__gte=3)
    out["online_share_of_online_offered"] = (online_offered.filter(channel__in=["online", "portal"]).count(),
                                             online_offered.count())
    for event in DossierEvent.objects.filter(at__gte=lo, at__lt=hi, dossier_id__in=kept).select_related("dossier"):
        in_scope = event.agency_id in agency_ids
        if event.action == "resolve" and in_scope:
            out[f"resolved_{event.dossier.timeliness}"] += 1
        elif event.action in ("reject", "withdraw") and in_scope:
            key = event.action + ("ed" if event.action == "reject" else "n")
            if event.from_status == "submitted":
                key = "rejected_at_intake" if event.action == "reject" else "withdrawn_before_reception"
            out[key] += 1
        elif event.action == "transfer":  # a transfer between two agencies of the scope is internal
            to_inside = event.payload["to_agency"] in agency_codes
            from_inside = event.payload["from_agency"] in agency_codes
            out["transferred_in"] += int(to_inside and not from_inside)
            out["transferred_out"] += int(from_inside and not to_inside)
        elif event.action == "confirm_payment" and in_scope:
            out["payments_confirmed"] += 1
            out["online_payments"] += int(event.payload["method"] == "online")
        elif event.action == "submit" and in_scope:
            out["submitted_online"] += 1
    out["carried_over"] = pending(lo)
    out["pending_end"] = pending(hi)
    # The end of the period is min(its end, now).
    out["overdue_end"] = pending(hi, overdue_before=min(hi, timezone.now()))
    ratings = Rating.objects.filter(created_at__gte=lo, created_at__lt=hi, agency_id__in=agency_ids,
                                    dossier_id__in=kept)
    for rating in ("very_satisfied", "satisfied", "dissatisfied"):
        out[f"ratings_{rating}"] = ratings.filter(level=rating).count()
    offerings = Offering.objects.filter(agency_id__in=agency_ids)
    if procedure_id is not None:
        offerings = offerings.filter(procedure_id=procedure_id)
    levels = dict(offerings.values("procedure_id").annotate(m=Max("online_level")).values_list("procedure_id", "m"))
    classes: dict[int, str] = {}  # the best class any agency of the scope offers the procedure at
    for procedure, offered_class in offerings.values_list("procedure_id", "service_class"):
        if CLASS_ORDER.index(offered_class) < CLASS_ORDER.index(classes.get(procedure, "none")):
            offered_class = classes[procedure]
        classes[procedure] = offered_class
    if level is not None:  # procedures whose (highest) level offered in the scope is that level
        levels = {p: v for p, v in levels.items() if v == level}
    if service_class is not None:  # and whose best class in the scope is that class
        levels = {p: v for p, v in levels.items() if classes[p] == service_class}
    classes = {p: classes[p] for p in levels}
    online_procs = set(received.filter(channel__in=["online", "portal"]).values_list("procedure_id", flat=True))
    out["offered"] = len(levels)
    out["offered_l3"] = sum(1 for v in levels.values() if v == 3)
    out["offered_l4"] = sum(1 for v in levels.values() if v == 4)
    out["with_online"] = sum(1 for p, v in levels.items() if v >= 3 and p in online_procs)
    for name in ("full", "partial"):
        of_class = received.filter(service_class=name)
        out[f"received_{name}"] = of_class.count()
        out[f"online_received_{name}"] = of_class.filter(channel__in=["online", "portal"]).count()
        out[f"offered_{name}"] = sum(1 for v in classes.values() if v == name)
        out[f"with_online_{name}"] = sum(1 for p, v in classes.items() if v == name and p in online_procs)
    del code_of
    return out


CLASS_ORDER = ("none", "partial", "full")  # Decree 42/2022 classes, worst to best


def assert_matches(api: dict, raw: dict) -> None:
    resolved = raw["resolved_early"] + raw["resolved_on_time"] + raw["resolved_late"]
    expected = {
        "received": raw["received"],
        "online_received": raw["online_received"],
        "resolved_early": raw["resolved_early"],
        "resolved_on_time": raw["resolved_on_time"],
        "resolved_late": raw["resolved_late"],
        "resolved": resolved,
        "rejected": raw["rejected"],
        "withdrawn": raw["withdrawn"],
        "rejected_at_intake": raw["rejected_at_intake"],
        "withdrawn_before_reception": raw["withdrawn_before_reception"],
        "transferred_in": raw["transferred_in"],
        "transferred_out": raw["transferred_out"],
        "carried_over": raw["carried_over"],
        "pending_end": raw["pending_end"],
        "overdue_end": raw["overdue_end"],
        "payments_confirmed": raw["payments_confirmed"],
        "submitted_online": raw["submitted_online"],
        "ratings_very_satisfied": raw["ratings_very_satisfied"],
        "ratings_satisfied": raw["ratings_satisfied"],
        "ratings_dissatisfied": raw["ratings_dissatisfied"],
        "procedures_offered": raw["offered"],
        "procedures_offered_level_3": raw["offered_l3"],
        "procedures_offered_level_4": raw["offered_l4"],
        "procedures_with_online_dossiers": raw["with_online"],
        "procedures_offered_class_full": raw["offered_full"],
        "procedures_offered_class_partial": raw["offered_partial"],
        "received_class_full": raw["received_full"],
        "received_class_partial": raw["received_partial"],
        "procedures_with_online_dossiers_class_full_partial": raw["with_online_full"] + raw["with_online_partial"],
    }
    assert {k: api[k] for k in expected} == expected
    # Decree 42/2022 classes: provision over every procedure offered, online shares over the class's dossiers.
    full, partial, offered = raw["offered_full"], raw["offered_partial"], raw["offered"]
    assert api["class_full_provision_rate"] == _ratio(full, offered)
    assert api["class_partial_provision_rate"] == _ratio(partial, offered)
    assert api["class_full_partial_provision_rate"] == _ratio(full + partial, offered)
    assert api["online_share_class_full"] == _ratio(raw["online_received_full"], raw["received_full"])
    assert api["online_share_class_partial"] == _ratio(raw["online_received_partial"], raw["received_partial"])
    assert api["online_share_of_class_full_partial"] == _ratio(
        raw["online_received_full"] + raw["online_received_partial"], raw["received_full"] + raw["received_partial"])
    assert api["procedures_with_online_dossiers_class_full_rate"] == _ratio(raw["with_online_full"], full)
    assert api["procedures_with_online_dossiers_class_partial_rate"] == _ratio(raw["with_online_partial"], partial)
    assert api["procedures_with_online_dossiers_class_full_partial_rate"] == _ratio(
        raw["with_online_full"] + raw["with_online_partial"], full + partial)
    assert api["online_share"]["numerator"] == raw["online_received"]
    assert api["online_share"]["denominator"] == raw["received"]
    assert (api["online_share_of_online_offered"]["numerator"],
            api["online_share_of_online_offered"]["denominator"]) == raw["online_share_of_online_offered"]
    assert api["on_time_rate"] == _ratio(raw["resolved_early"] + raw["resolved_on_time"], resolved)
    handled = resolved + raw["pending_end"]  # Decision 766: resolved in the period + pending at its end
    not_overdue = raw["pending_end"] - raw["overdue_end"]
    assert api["handled"] == handled
    assert api["on_time_rate_766"] == _ratio(raw["resolved_early"] + raw["resolved_on_time"] + not_overdue,
                                             handled)
    assert api["overdue_rate_766"] == _ratio(raw["resolved_late"] + raw["overdue_end"], handled)
    assert api["online_payment_rate"] == _ratio(raw["online_payments"], raw["payments_confirmed"])
    ratings = raw["ratings_very_satisfied"] + raw["ratings_satisfied"] + raw["ratings_dissatisfied"]
    assert api["satisfaction_rate"] == _ratio(raw["ratings_very_satisfied"] + raw["ratings_satisfied"], ratings)
    balance = api["balance"]
    assert balance["carried_over_plus_received_plus_in"] == balance["resolved_rejected_withdrawn_out_pending"]


def _ratio(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "value": numerator / denominator if denominator else None}


SCOPES = [
    ("000.00.00.H29", {"000.00.00.H29", "000.00.17.H29", "000.00.12.H29", "000.00.31.H29", "000.31.01.H29",
                       "000.00.32.H29", "000.32.01.H29"}),
    ("000.00.31.H29", {"000.00.31.H29", "000.31.01.H29"}),
    ("000.00.17.H29", {"000.00.17.H29"}),
]
PERIODS = [(date(2025, 1, 1), date(2025, 7, 1)), (date(2025, 2, 1), date(2025, 3, 1)),
           (date(2025, 1, 27), date(2025, 2, 3)), (date(2025, 3, 15), date(2025, 3, 16))]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [7, 2025])
def test_api_equals_recompute_from_raw_rows(demo, monkeypatch, as_user, seed):
    world = World(monkeypatch, seed)
    generate(world, steps=260)
    supervisor = as_user("supervisor")
    checked = 0
    for scope_code, codes in SCOPES:
        for start, end in PERIODS:
            response = supervisor.get("/api/v1/stats/summary/", {"scope": scope_code, "from": start, "to": end})
            assert response.status_code == 200, response.json()
            assert_matches(response.json(), recompute(codes, start, end))
            checked += 1
    # Compacting everything changes no figure.
    from apps.stats.services import stats_compact_all

    before = supervisor.get("/api/v1/stats/summary/", {"from": "2025-01-01", "to": "2025-07-01"}).json()
    stats_compact_all()
    after = supervisor.get("/api/v1/stats/summary/", {"from": "2025-01-01", "to": "2025-07-01"}).json()
    assert before == after
    assert checked == 12 and after["received"] > 20 and after["resolved"] > 10


def _busiest_procedures(count: int) -> list[int]:
    rows = Dossier.objects.values("procedure_id").annotate(n=Count("id")).order_by("-n", "procedure_id")
    return [row["procedure_id"] for row in rows[:count]]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [13, 2026])
def test_filtered_api_equals_recompute_from_raw_rows(demo, monkeypatch, as_user, seed):
    """Level and procedure filters (the per-level columns and the per-procedure tables, with the
    rollup's edge days) equal the raw recompute, for every scope and for whole and partial months."""
    world = World(monkeypatch, seed)
    generate(world, steps=260)
    supervisor = as_user("supervisor")
    first, second = _busiest_procedures(2)
    code_of = dict(Procedure.objects.values_list("pk", "code"))
    first_level = Dossier.objects.filter(procedure_id=first).values_list("online_level", flat=True).first()
    filters = [{"level": 2}, {"level": 3}, {"level": 4}, {"procedure": first}, {"procedure": second},
               {"procedure": first, "level": first_level}, {"class": "full"}, {"class": "partial"}, {"class": "none"},
               {"class": "full", "level": 4}]
    received = defaultdict(int)
    for scope_code, codes in SCOPES:
        for start, end in (PERIODS[0], PERIODS[2], PERIODS[3], (date(2025, 2, 10), date(2025, 4, 1))):
            for f in filters:
                params = {"scope": scope_code, "from": start, "to": end, **f}
                if "procedure" in f:
                    params["procedure"] = code_of[f["procedure"]]
                response = supervisor.get("/api/v1/stats/summary/", params)
                assert response.status_code == 200, response.json()
                raw = recompute(codes, start, end, procedure_id=f.get("procedure"), level=f.get("level"),
                                service_class=f.get("class"))
                assert_matches(response.json(), raw)
                received[tuple(f.items())] += raw["received"]
    assert all(received[tuple(f.items())] > 0 for f in filters), received  # no filter compares zeros only


@pytest.mark.django_db
def test_breakdowns_add_up_to_the_summary(demo, monkeypatch, as_user):
    world = World(monkeypatch, 99)
    generate(world, steps=200)
    supervisor = as_user("supervisor")
    params = {"from": "2025-01-01", "to": "2025-06-01"}
    summary = supervisor.get("/api/v1/stats/summary/", params).json()
    additive = ("received", "online_received", "resolved", "resolved_late", "rejected", "withdrawn",
                "payments_confirmed", "ratings")
    for by in ("agency", "procedure", "channel", "level", "class", "tier"):
        groups = supervisor.get("/api/v1/stats/breakdown/", {**params, "by": by}).json()["groups"]
        for name in additive:
            assert sum(g[name] for g in groups) == summary[name], (by, name)
    months = supervisor.get("/api/v1/stats/breakdown/", {**params, "by": "month"}).json()["groups"]
    assert [g["group"] for g in months] == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"]
    for name in additive:
        assert sum(g[name] for g in months) == summary[name], name
    # Each month's carried-over is the previous month's pending at end.
    for previous, current in itertools.pairwise(months):
        assert current["carried_over"] == previous["pending_end"]
    assert months[0]["carried_over"] == summary["carried_over"]
    assert months[-1]["pending_end"] == summary["pending_end"]
    for code, codes in SCOPES[1:]:
        one = supervisor.get("/api/v1/stats/summary/", {**params, "scope": code}).json()
        assert_matches(one, recompute(codes, date(2025, 1, 1), date(2025, 6, 1)))


@pytest.mark.django_db
def test_rebuild_finds_no_difference_then_repairs_a_broken_counter(demo, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from apps.stats.models import StatDelta, StatRollup
    from apps.stats.services import stats_rebuild

    generate(World(monkeypatch, 3), steps=150)
    stats_compact(batch=40)
    assert stats_rebuild().differences == []
    row = StatRollup.objects.order_by("id").first() or StatDelta.objects.order_by("id").first()
    type(row).objects.filter(pk=row.pk).update(n=row.n + 5)
    report = stats_rebuild()
    assert len(report.differences) == 1 and report.differences[0][1] - report.differences[0][2] == 5
    with pytest.raises(SystemExit):
        call_command("rebuild_stats", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_stats", "--fix", stdout=out)
    assert "1 differ" in out.getvalue()
    assert stats_rebuild().differences == []


@pytest.mark.django_db
def test_compaction_task_moves_every_delta_and_changes_no_figure(demo, monkeypatch, as_user):
    from apps.stats.models import StatDelta, StatRollup
    from apps.stats.tasks import compact_stats

    generate(World(monkeypatch, 11), steps=80)
    params = {"from": "2025-01-01", "to": "2025-04-01"}
    before = as_user("supervisor").get("/api/v1/stats/summary/", params).json()
    deltas = StatDelta.objects.count()
    assert deltas > 0
    assert compact_stats.apply(kwargs={"batch": 7}).get() == deltas
    assert StatDelta.objects.count() == 0 and StatRollup.objects.exists()
    assert as_user("supervisor").get("/api/v1/stats/summary/", params).json() == before


# --- the coarse tables (agency × day/month, month-start balances) against the fine rollup --------


def _fine_and_coarse_agree() -> int:
    """Every coarse answer equals the fine-rollup answer (the reference) for several scopes,
    filters and periods: summaries, time buckets, agency, tier, procedure and level groups.
    Returns how many were compared."""
    from apps.stats.selectors import (
        Scope,
        _breakdown_fine,
        _summary_fine,
        latest_compacted_day,
        stats_breakdown,
        stats_summary,
        time_buckets,
    )

    district = frozenset(Agency.objects.filter(code__in=SCOPES[1][1]).values_list("pk", flat=True))
    one = frozenset(Agency.objects.filter(code="000.00.17.H29").values_list("pk", flat=True))
    first, second = _busiest_procedures(2)
    first_level = Dossier.objects.filter(procedure_id=first).values_list("online_level", flat=True).first()
    first_class = Dossier.objects.filter(procedure_id=first).values_list("service_class", flat=True).first()
    scopes = [Scope(None), Scope(district), Scope(one), Scope(None, tier="district"), Scope(frozenset()),
              # level filters: the level column of the agency tables
              Scope(None, level=3), Scope(None, level=4), Scope(district, level=2),
              Scope(None, tier="district", level=3),
              # procedure filters: the per-procedure tables and the rollup's edge days
              Scope(None, procedure_id=first), Scope(district, procedure_id=first), Scope(one, procedure_id=second),
              Scope(None, procedure_id=first, level=first_level), Scope(None, procedure_id=second, tier="commune"),
              # class filters: the class column of every table
              Scope(None, service_class="full"), Scope(district, service_class="partial"),
              Scope(None, service_class="none", level=2), Scope(None, procedure_id=first, service_class=first_class)]
    # Periods "up to today" end after the latest compacted day: their last month's row and the
    # horizon's balance snapshot answer for its days (selectors._spans, _snapshot_month).
    latest = latest_compacted_day()
    month = latest.replace(day=1)
    after = latest + timedelta(days=1)
    periods = [*PERIODS, (date(2024, 11, 15), date(2025, 2, 10)), (date(2025, 2, 10), date(2025, 2, 20)),
               (date(2025, 3, 1), date(2025, 9, 1)), (date(2025, 5, 3), date(2026, 1, 2)),
               (date(2024, 1, 1), date(2024, 2, 1)), (month, after), (month - timedelta(days=40), after),
               (latest - timedelta(days=3), after), (latest, latest + timedelta(days=3)),
               (after, after + timedelta(days=2)), (month, latest)]
    compared = 0
    for scope in scopes:
        for start, end in periods:
            assert stats_summary(scope, start, end) == _summary_fine(scope, start, end), (scope, start, end)
            compared += 1
        for by, (start, end) in (("month", (date(2024, 12, 10), date(2025, 5, 20))),
                                 ("month", (date(2024, 12, 10), after)),
                                 ("day", (date(2025, 1, 25), date(2025, 2, 8))),
                                 ("quarter", (date(2024, 12, 1), date(2025, 7, 1)))):
            groups = stats_breakdown(scope, start, end, by)
            buckets = time_buckets(start, end, by)
            assert [g["group"] for g in groups] == [low.isoformat() for low, _ in buckets]
            for group, (low, high) in zip(groups, buckets, strict=True):
                fine = _summary_fine(scope, low, high)
                assert {k: v for k, v in group.items() if k in fine} == fine, (scope, by, low)
                compared += 1
    start, end = date(2025, 1, 10), date(2025, 3, 20)
    for scope in (Scope(None), Scope(None, level=3), Scope(None, procedure_id=first), Scope(district, level=4),
                  Scope(None, service_class="partial")):
        for group in stats_breakdown(scope, start, end, "agency"):
            pk = Agency.objects.get(code=group["group"]).pk
            fine = _summary_fine(replace(scope, agency_ids=frozenset({pk})), start, end)
            assert {k: v for k, v in group.items() if k != "group"} == fine, (scope, group["group"])
            compared += 1
        for group in stats_breakdown(replace(scope, agency_ids=scope.agency_ids or district), start, end, "tier"):
            fine = _summary_fine(replace(scope, agency_ids=scope.agency_ids or district, tier=group["group"]),
                                 start, end)
            assert {k: v for k, v in group.items() if k not in ("group", "group_label")} == fine
            compared += 1
    # By procedure, by level and by class (coarse now): each group equals the fine summary of that
    # group's scope, and a group only the fine breakdown lists has nothing to count.
    procedure_pk = dict(Procedure.objects.values_list("code", "pk"))
    narrow = {"procedure": lambda scope, key: replace(scope, procedure_id=procedure_pk[key]),
              "level": lambda scope, key: replace(scope, level=int(key)),
              "class": lambda scope, key: replace(scope, service_class=key)}
    for scope in (Scope(None), Scope(district), Scope(None, level=3), Scope(district, procedure_id=first),
                  Scope(None, service_class="full")):
        for by, (start, end) in itertools.product(narrow, ((date(2025, 1, 10), date(2025, 3, 20)),
                                                           (date(2025, 2, 1), date(2025, 5, 1)), (month, after))):
            groups = {g["group"]: g for g in stats_breakdown(scope, start, end, by)}
            assert list(groups) == sorted(groups, key=str)
            for key, group in groups.items():
                narrowed = narrow[by](scope, key)
                assert {k: v for k, v in group.items() if k not in ("group", "group_label")} == _summary_fine(
                    narrowed, start, end), (scope, by, key)
                compared += 1
            for group in _breakdown_fine(scope, start, end, by):
                if group["group"] not in groups:
                    assert (group["received"], group["resolved"], group["carried_over"], group["pending_end"],
                            group["ratings"], group["submitted_online"]) == (0, 0, 0, 0, 0, 0), group
    return compared


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [5, 41])
def test_coarse_tables_equal_the_fine_rollup(demo, monkeypatch, seed):
    from apps.stats.models import StatBalance, StatDelta
    from apps.stats.services import coarse_differences, stats_compact_all

    world = World(monkeypatch, seed)
    generate(world, steps=120)
    assert coarse_differences() == []  # kept in step by compaction == derived from the rollup
    assert StatDelta.objects.exists()  # part of the answer still comes from the uncompacted tail
    assert _fine_and_coarse_agree() > 50
    generate(world, steps=120)  # more history (and late registrations) on top of the snapshots
    stats_compact_all()
    assert coarse_differences() == []
    assert StatBalance.objects.filter(n=0).count() == 0 and StatBalance.objects.exists()
    assert _fine_and_coarse_agree() > 50


@pytest.mark.django_db
def test_rebuild_repairs_a_corrupted_coarse_table(demo, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from apps.stats.models import StatAgencyMonth, StatBalance
    from apps.stats.selectors import Scope, _summary_fine, stats_summary
    from apps.stats.services import stats_compact_all, stats_rebuild

    generate(World(monkeypatch, 8), steps=150)
    stats_compact_all()
    row = StatAgencyMonth.objects.order_by("id").first()
    StatAgencyMonth.objects.filter(pk=row.pk).update(n=row.n + 3)
    StatBalance.objects.filter(pk=StatBalance.objects.order_by("id").first().pk).delete()
    report = stats_rebuild()
    assert report.differences == [] and set(report.coarse_differences) == {
        StatAgencyMonth._meta.db_table, StatBalance._meta.db_table}
    with pytest.raises(SystemExit):
        call_command("rebuild_stats", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_stats", "--fix", stdout=out)
    assert "coarse table stats_statagencymonth differs" in out.getvalue()
    assert "coarse tables rebuilt" in out.getvalue()
    report = stats_rebuild()
    assert report.differences == [] and report.coarse_differences == []
    period = (date(2025, 1, 1), date(2025, 7, 1))
    assert stats_summary(Scope(None), *period) == _summary_fine(Scope(None), *period)


@pytest.mark.django_db
def test_rebuild_detects_a_corrupted_row_in_every_coarse_table(demo, monkeypatch):
    from apps.stats import models as m
    from apps.stats.services import coarse_differences, stats_compact_all

    generate(World(monkeypatch, 21), steps=150)
    stats_compact_all()
    assert coarse_differences() == []
    tables = [m.StatAgencyDay, m.StatAgencyMonth, m.StatAgencyDayDue, m.StatBalance, m.StatOnlineProcedureDay,
              m.StatOnlineProcedureMonth, m.StatProcedureMonth, m.StatProcedureBalance]
    for model in tables:
        for rows in (model.objects.exclude(agency_id=m.ALL_AGENCIES), model.objects.filter(agency_id=m.ALL_AGENCIES)):
            row = rows.order_by("id").first()
            assert row is not None, model
            rows.filter(pk=row.pk).update(n=row.n + 1)
            assert coarse_differences() == [model._meta.db_table], (model, row.agency_id)
            rows.filter(pk=row.pk).update(n=row.n)
        if hasattr(model, "level"):  # a counter booked under the wrong level is found too
            row = model.objects.exclude(agency_id=m.ALL_AGENCIES).order_by("id").first()
            model.objects.filter(pk=row.pk).update(level=9)
            assert coarse_differences() == [model._meta.db_table], model
            model.objects.filter(pk=row.pk).update(level=row.level)
        # and one booked under the wrong class (classes need not follow levels)
        row = model.objects.exclude(agency_id=m.ALL_AGENCIES).order_by("id").first()
        model.objects.filter(pk=row.pk).update(service_class="bogus")
        assert coarse_differences() == [model._meta.db_table], model
        model.objects.filter(pk=row.pk).update(service_class=row.service_class)
    assert coarse_differences() == []


@pytest.mark.django_db
def test_a_read_planned_for_a_stale_latest_day_is_planned_again(demo, monkeypatch):
    """A compaction of a new day's counters between reading the latest compacted day and the read
    itself: the statement sees that in its own snapshot, and the read is planned again."""
    from apps.stats import selectors
    from apps.stats.services import stats_compact_all

    generate(World(monkeypatch, 17), steps=120)
    stats_compact_all()
    latest = selectors.latest_compacted_day()
    start, end = (latest - timedelta(days=1)).replace(day=1), latest  # the latest day itself is outside
    stale = latest - timedelta(days=1)  # what a read planned just before that day was compacted saw
    scope = selectors.Scope(None)
    expected = selectors._summary_fine(scope, start, end)
    # Planned for the stale day, the read takes the latest month's row as "up to `end`": it holds
    # the latest day's counters too, so the answer would be wrong.
    sql, params = selectors._coarse_sql(scope, [(start, end)], None, stale)
    wrong = selectors._coarse_counts(selectors._fetch_all(sql, params), 1)[0][0]
    right = selectors._coarse_counts(selectors._coarse_rows(scope, [(start, end)], None), 1)[0][0]
    assert wrong != right and right.pending_end == expected["pending_end"]
    real, seen = selectors.latest_compacted_day, []

    def stale_first():
        seen.append(real())
        return stale if len(seen) == 1 else seen[-1]

    monkeypatch.setattr(selectors, "latest_compacted_day", stale_first)
    assert selectors.stats_summary(scope, start, end) == expected
    assert len(seen) >= 3  # the summary's rows planned twice, then the online procedures once
    monkeypatch.setattr(selectors, "latest_compacted_day", lambda: stale)
    with pytest.raises(RuntimeError):  # never consistent: no answer rather than a wrong one
        selectors.stats_summary(scope, start, end)

"""Invariants of DESIGN.md section 6 over seeded random histories made through the real services.

Transfers go back and forth, inside and across subtrees; dossiers are supplemented, paid (online
and at the counter), apologised for, withdrawn and rejected at every stage the lifecycle allows,
and the counters are compacted at random moments. Then, for every scope and period:

- every rate lies in [0, 1], its numerator never exceeds its denominator;
- on-time (Decision 766) + overdue (Decision 766) = handled whenever handled > 0;
- the balance holds (a transfer inside the scope on neither side);
- every breakdown lists every group of the scope and its groups add up to the summary (transfers
  between two groups excepted: exactly those, counted from the raw events, make the difference);
- the summary equals the plain-Python recompute from the raw rows (tests/stats/test_stats_exact.py).
"""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from apps.agencies.models import Agency
from apps.catalog.models import Offering, Procedure
from apps.dossiers.models import DossierEvent
from apps.stats.services import stats_compact_all

from .test_stats_exact import World, assert_matches, generate, midnight, recompute

ROOT, DEPARTMENT, FINANCE = "000.00.00.H29", "000.00.17.H29", "000.00.12.H29"
VAN_GIANG, XUAN_QUAN, KHOAI_CHAU, DONG_TAO = "000.00.31.H29", "000.31.01.H29", "000.00.32.H29", "000.32.01.H29"
EVERY_AGENCY = {ROOT, DEPARTMENT, FINANCE, VAN_GIANG, XUAN_QUAN, KHOAI_CHAU, DONG_TAO}
#: (API query, the agency codes it covers)
SCOPES = [
    ({}, EVERY_AGENCY),
    ({"scope": ROOT}, EVERY_AGENCY),
    ({"scope": VAN_GIANG}, {VAN_GIANG, XUAN_QUAN}),
    ({"scope": KHOAI_CHAU}, {KHOAI_CHAU, DONG_TAO}),
    ({"scope": DEPARTMENT}, {DEPARTMENT}),
    ({"scope": VAN_GIANG, "subtree": "false"}, {VAN_GIANG}),
]
PERIODS = [(date(2025, 1, 1), date(2025, 7, 1)), (date(2025, 2, 1), date(2025, 3, 1)),
           (date(2025, 1, 27), date(2025, 2, 12)), (date(2025, 3, 10), date(2025, 3, 11))]
#: Counts that add up over the groups of any breakdown (stocks too: the groups are disjoint).
ADDITIVE = ("received", "online_received", "submitted_online", "resolved", "resolved_early", "resolved_on_time",
            "resolved_late", "rejected", "withdrawn", "rejected_at_intake", "withdrawn_before_reception",
            "carried_over", "pending_end", "overdue_end", "handled", "payments_confirmed", "ratings",
            "ratings_very_satisfied", "ratings_satisfied", "ratings_dissatisfied")
BY_GROUP = ("agency", "tier", "procedure", "channel", "level", "class")
BY_TIME = ("day", "month", "quarter", "year")


def rates(figures: dict) -> list[tuple[str, dict]]:
    return [(k, v) for k, v in figures.items() if isinstance(v, dict) and "numerator" in v]


def assert_invariants(figures: dict, label) -> None:
    for name, rate in rates(figures):
        assert 0 <= rate["numerator"] <= rate["denominator"], (label, name, rate)
        if rate["denominator"]:
            assert 0 <= rate["value"] <= 1, (label, name, rate)
        else:
            assert rate["value"] is None, (label, name, rate)
    on_time, overdue = figures["on_time_rate_766"], figures["overdue_rate_766"]
    handled = figures["resolved"] + figures["pending_end"]
    assert figures["handled"] == handled == on_time["denominator"] == overdue["denominator"], label
    if handled:
        assert on_time["numerator"] + overdue["numerator"] == handled, label
        assert on_time["value"] + overdue["value"] == pytest.approx(1.0), label
    balance = figures["balance"]
    assert balance["carried_over_plus_received_plus_in"] == balance["resolved_rejected_withdrawn_out_pending"], label
    assert figures["carried_over"] + figures["received"] + figures["transferred_in"] == (
        figures["resolved"] + figures["rejected"] + figures["withdrawn"] + figures["transferred_out"]
        + figures["pending_end"]), label
    assert 0 <= figures["overdue_end"] <= figures["pending_end"], label
    assert figures["transferred_in"] >= 0 and figures["transferred_out"] >= 0, label
    # Decree 42/2022 classes: parts of the procedures offered and of the dossiers received.
    full, partial = figures["procedures_offered_class_full"], figures["procedures_offered_class_partial"]
    assert full + partial == figures["class_full_partial_provision_rate"]["numerator"] <= figures["procedures_offered"]
    assert figures["received_class_full"] + figures["received_class_partial"] <= figures["received"], label
    assert figures["online_share_of_class_full_partial"]["numerator"] == (
        figures["online_share_class_full"]["numerator"] + figures["online_share_class_partial"]["numerator"]), label
    assert figures["online_share_of_class_full_partial"]["numerator"] <= figures["online_received"], label


def transfers_between_groups(codes: set[str], start: date, end: date, group_of) -> int:
    """Transfers in [start, end) between two agencies of `codes` that lie in different groups."""
    count = 0
    for payload in DossierEvent.objects.filter(action="transfer", at__gte=midnight(start),
                                               at__lt=midnight(end)).values_list("payload", flat=True):
        a, b = payload["from_agency"], payload["to_agency"]
        if a in codes and b in codes and group_of(a) != group_of(b):
            count += 1
    return count


def expected_groups(by: str, codes: set[str], query: dict) -> set[str]:
    ids = set(Agency.objects.filter(code__in=codes).values_list("pk", flat=True))
    if by == "agency":
        return set(codes)
    if by == "tier":
        return set(Agency.objects.filter(code__in=codes).values_list("tier", flat=True))
    if by == "procedure":  # every procedure the scope offers
        offered = Offering.objects.filter(agency_id__in=ids, is_active=True).values("procedure_id")
        return set(Procedure.objects.filter(pk__in=offered).values_list("code", flat=True))
    if by == "level":
        return {"1", "2", "3", "4"}
    if by == "class":
        return {"full", "partial", "none"}
    return {"online", "portal", "counter", "post"}


def check_history(client, *, periods=PERIODS, scopes=SCOPES) -> int:
    """Every invariant for every scope and period; returns how many figures sets were checked."""
    tier_of = dict(Agency.objects.values_list("code", "tier"))
    checked = 0
    for (query, codes), (start, end) in itertools.product(scopes, periods):
        params = {**query, "from": start.isoformat(), "to": end.isoformat()}
        summary = client.get("/api/v1/stats/summary/", params).json()
        assert_invariants(summary, (query, start))
        assert_matches(summary, recompute(codes, start, end))
        checked += 1
        for by in BY_GROUP:
            groups = client.get("/api/v1/stats/breakdown/", {**params, "by": by}).json()["groups"]
            label = (query, start, by)
            names = {g["group"] for g in groups}
            assert expected_groups(by, codes, query) <= names, label  # every group, even without figures
            if by == "class":  # a group per class, no other
                assert names == expected_groups(by, codes, query), label
                by_class = {g["group"]: g for g in groups}
                assert (by_class["full"]["received"], by_class["partial"]["received"]) == (
                    summary["received_class_full"], summary["received_class_partial"]), label
            for group in groups:
                assert_invariants(group, (*label, group["group"]))
                checked += 1
            for name in ADDITIVE:
                assert sum(g[name] for g in groups) == summary[name], (*label, name)
            between = 0
            if by in ("agency", "tier"):
                between = transfers_between_groups(codes, start, end,
                                                   (lambda c: c) if by == "agency" else tier_of.get)
            for name in ("transferred_in", "transferred_out"):
                assert sum(g[name] for g in groups) == summary[name] + between, (*label, name)
        for by in BY_TIME:
            groups = client.get("/api/v1/stats/breakdown/", {**params, "by": by}).json()["groups"]
            if len(groups) > 40:
                continue
            assert groups[0]["carried_over"] == summary["carried_over"]
            assert groups[-1]["pending_end"] == summary["pending_end"]
            assert groups[-1]["overdue_end"] == summary["overdue_end"]
            for previous, current in itertools.pairwise(groups):
                assert current["carried_over"] == previous["pending_end"], (query, by, current["group"])
            for group in groups:
                assert_invariants(group, (query, by, group["group"]))
            flows = [n for n in ADDITIVE if n not in ("carried_over", "pending_end", "overdue_end", "handled")]
            for name in (*flows, "transferred_in", "transferred_out"):
                assert sum(g[name] for g in groups) == summary[name], (query, start, by, name)
    return checked


def busy_world(monkeypatch, seed: int) -> World:
    """A World whose agencies share procedures inside their subtrees (a transfer goes only to an
    agency offering the dossier's procedure), each at its own service class (so transferred
    dossiers are counted at agencies offering their procedure at another class), transfers often,
    back and forth."""
    from apps.catalog.selectors import forget_catalog_cache

    shared = {VAN_GIANG: ("1.001193", "1.000894"), KHOAI_CHAU: ("1.001193", "1.000894", "2.000815"),
              FINANCE: ("2.000488",), ROOT: ("1.009994",)}
    classes = itertools.cycle(("none", "full", "partial"))
    for agency, codes in shared.items():
        for code in codes:
            Offering.objects.create(agency=Agency.objects.get(code=agency), procedure=Procedure.objects.get(code=code),
                                    online_level=Procedure.objects.get(code=code).online_level,
                                    service_class=next(classes))
    forget_catalog_cache()
    world = World(monkeypatch, seed)
    world.back_and_forth = True
    world.partners = {VAN_GIANG: XUAN_QUAN, XUAN_QUAN: VAN_GIANG, KHOAI_CHAU: DONG_TAO, DONG_TAO: KHOAI_CHAU}
    world.weights = {**world.weights, "transfer": 6, "withdraw": 0.6, "reject": 0.7, "apologise": 0.8}
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 1307])
def test_invariants_hold_over_random_histories_with_transfers(demo, monkeypatch, as_user, seed):
    world = busy_world(monkeypatch, seed)
    generate(world, steps=240)
    transfers = DossierEvent.objects.filter(action="transfer")
    codes = list(transfers.values_list("payload", flat=True))
    inside = sum(1 for p in codes if {p["from_agency"], p["to_agency"]} <= {VAN_GIANG, XUAN_QUAN})
    assert transfers.count() >= 15 and inside >= 1, (transfers.count(), inside)  # the history is a real test
    for action in ("apologise", "supplement", "confirm_payment", "withdraw"):
        assert DossierEvent.objects.filter(action=action).exists(), action
    rejected_from = set(DossierEvent.objects.filter(action="reject").values_list("from_status", flat=True))
    assert len(rejected_from) >= 2, rejected_from  # rejections at more than one stage
    client = as_user("supervisor")
    assert check_history(client) > 300
    stats_compact_all()  # and once everything is compacted
    assert check_history(client, periods=PERIODS[:2], scopes=SCOPES[1:4]) > 100


@pytest.mark.django_db
def test_a_district_statistician_reads_the_same_invariants(demo, monkeypatch, as_user):
    """Without `scope` a district statistician's figures are its subtree's: transfers inside it cancel."""
    generate(busy_world(monkeypatch, 77), steps=200)
    client = as_user("stats_vangiang")
    check_history(client, periods=PERIODS[:2], scopes=[({}, {VAN_GIANG, XUAN_QUAN}),
                                                       ({"scope": XUAN_QUAN}, {XUAN_QUAN})])
    # The tier filter is a scope of several agencies too.
    supervisor = as_user("supervisor")
    for start, end in PERIODS[:2]:
        params = {"from": start.isoformat(), "to": end.isoformat(), "tier": "commune"}
        summary = supervisor.get("/api/v1/stats/summary/", params).json()
        assert_invariants(summary, "commune tier")
        assert_matches(summary, recompute({XUAN_QUAN, DONG_TAO}, start, end))


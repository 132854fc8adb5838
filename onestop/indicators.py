"""Statistics: the counters each dossier event adds, and the indicators computed from them.

DESIGN.md section 6, to the letter. Counters are signed deltas keyed by (agency, procedure, local
day, channel, online level, service class, metric[, due day]); summing them over any scope and period gives the
indicators. Balances ("pending at T") are sums over every day before T, so they need no snapshot.

Attribution: every counter goes to the agency that held the dossier when the event happened
(reception to the receiving agency, a transfer moves one pending dossier from one agency to the
other), so statistics of a past period do not change when a dossier moves later.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any, NamedTuple

from .lifecycle import CLOCK_RUNNING, Action, Status
from .lifecycle import ONLINE_CHANNELS as ONLINE_CHANNELS  # re-exported; stated once, in lifecycle

NO_DUE_DAY = date(1900, 1, 1)  # the due-day key of counters that have none

# Decree 42/2022/NĐ-CP service classes: every step online (toàn trình), some steps in person (một
# phần), no online service (information and forms only). Full and partial are the online services.
CLASS_FULL, CLASS_PARTIAL, CLASS_NONE = "full", "partial", "none"
SERVICE_CLASSES = (CLASS_FULL, CLASS_PARTIAL, CLASS_NONE)
ONLINE_CLASSES = (CLASS_FULL, CLASS_PARTIAL)


class Metric(IntEnum):
    RECEIVED = 1
    RESOLVED_EARLY = 2
    RESOLVED_ON_TIME = 3
    RESOLVED_LATE = 4
    REJECTED = 5  # after reception (processing stopped)
    WITHDRAWN = 6  # after reception
    TRANSFER_IN = 7
    TRANSFER_OUT = 8
    OPEN_DUE = 9  # received, clock running, keyed by due day: ±1 as that changes
    PAYMENT_CONFIRMED = 10
    PAYMENT_ONLINE = 11
    RATING_VERY_SATISFIED = 12
    RATING_SATISFIED = 13
    RATING_DISSATISFIED = 14
    REJECTED_AT_INTAKE = 15
    WITHDRAWN_BEFORE_RECEPTION = 16
    SUBMITTED = 17  # filed online or through the portal (before acceptance)


RESOLVED_METRIC = {"early": Metric.RESOLVED_EARLY, "on_time": Metric.RESOLVED_ON_TIME, "late": Metric.RESOLVED_LATE}
RATING_METRIC = {
    "very_satisfied": Metric.RATING_VERY_SATISFIED,
    "satisfied": Metric.RATING_SATISFIED,
    "dissatisfied": Metric.RATING_DISSATISFIED,
}


@dataclass(frozen=True)
class EventFacts:
    """What one event tells the counters; agencies are opaque keys (ids)."""

    action: Action
    from_status: Status | None
    to_status: Status
    day: date  # local day of the event
    agency: Any  # the agency holding the dossier after the event
    received_day: date | None = None
    due_day: date | None = None  # after the event
    due_day_before: date | None = None  # before the event (supplement, close)
    from_agency: Any = None  # transfer
    timeliness: str = ""
    payment_method: str = ""


@dataclass(frozen=True)
class Delta:
    agency: Any
    day: date
    metric: Metric
    n: int
    due_day: date = NO_DUE_DAY


def deltas_for_event(facts: EventFacts) -> list[Delta]:
    """The counter changes one event makes. Pure: the rules of section 6 live here only."""
    a, f = facts.action, facts
    if a == Action.SUBMIT:
        return [Delta(f.agency, f.day, Metric.SUBMITTED, 1)]
    if a in (Action.REGISTER, Action.ACCEPT):
        assert f.received_day is not None and f.due_day is not None
        return [
            Delta(f.agency, f.received_day, Metric.RECEIVED, 1),
            Delta(f.agency, f.received_day, Metric.OPEN_DUE, 1, f.due_day),
        ]
    if a == Action.REQUEST_SUPPLEMENT:  # the clock stops: not overdue while paused
        return [Delta(f.agency, f.day, Metric.OPEN_DUE, -1, _day(f.due_day_before))]
    if a == Action.SUPPLEMENT:
        return [Delta(f.agency, f.day, Metric.OPEN_DUE, 1, _day(f.due_day))]
    if a == Action.TRANSFER:
        return [
            Delta(f.from_agency, f.day, Metric.TRANSFER_OUT, 1),
            Delta(f.from_agency, f.day, Metric.OPEN_DUE, -1, _day(f.due_day)),
            Delta(f.agency, f.day, Metric.TRANSFER_IN, 1),
            Delta(f.agency, f.day, Metric.OPEN_DUE, 1, _day(f.due_day)),
        ]
    if a == Action.CONFIRM_PAYMENT:
        out = [Delta(f.agency, f.day, Metric.PAYMENT_CONFIRMED, 1)]
        if f.payment_method == "online":
            out.append(Delta(f.agency, f.day, Metric.PAYMENT_ONLINE, 1))
        return out
    if a in (Action.RESOLVE, Action.REJECT, Action.WITHDRAW):
        if f.from_status == Status.SUBMITTED:  # never received: outside the balance
            metric = Metric.REJECTED_AT_INTAKE if a == Action.REJECT else Metric.WITHDRAWN_BEFORE_RECEPTION
            return [Delta(f.agency, f.day, metric, 1)]
        if a == Action.RESOLVE:
            closing = Delta(f.agency, f.day, RESOLVED_METRIC[f.timeliness], 1)
        else:
            closing = Delta(f.agency, f.day, Metric.REJECTED if a == Action.REJECT else Metric.WITHDRAWN, 1)
        out = [closing]
        if f.from_status in CLOCK_RUNNING:
            out.append(Delta(f.agency, f.day, Metric.OPEN_DUE, -1, _day(f.due_day_before)))
        return out
    return []  # assign, apologise, request_payment, return: no counter moves


def month_after(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _day(value: date | None) -> date:
    if value is None:
        raise ValueError("a due day is required for this event")
    return value


# --- indicators ---------------------------------------------------------------------------------

BALANCE_IN = (Metric.RECEIVED, Metric.TRANSFER_IN)
BALANCE_OUT = (
    Metric.TRANSFER_OUT, Metric.RESOLVED_EARLY, Metric.RESOLVED_ON_TIME, Metric.RESOLVED_LATE,
    Metric.REJECTED, Metric.WITHDRAWN,
)


def balance_delta(counts: dict[Metric, int]) -> int:
    """Change of the pending balance that these counters make."""
    return sum(counts.get(m, 0) for m in BALANCE_IN) - sum(counts.get(m, 0) for m in BALANCE_OUT)


def ratio(numerator: int, denominator: int) -> dict[str, Any]:
    """An exact rate: numerator, denominator, and the value (None when there is nothing to divide)."""
    # int / int is correctly rounded in Python: the same float as float(Fraction(n, d)), and ~10×
    # faster (a breakdown by procedure computes ~20 000 of them).
    value = numerator / denominator if denominator else None
    return {"numerator": numerator, "denominator": denominator, "value": value}


@dataclass(frozen=True)
class PeriodCounts:
    """Everything the indicators need for one scope and period."""

    period: dict[Metric, int]  # counters with day in [from, to)
    online_received: int
    received_online_offered: int  # received of procedures offered online (level >= 3)
    online_received_online_offered: int
    carried_over: int  # pending at `from`
    pending_end: int  # pending at min(`to`, now)
    overdue_end: int  # pending at min(`to`, now), clock running, due before it (selectors.overdue_cutoff)
    offered: dict[int, int]  # procedures offered by the scope, by (max) level
    offered_with_online: dict[int, int]  # level-3/4 offered procedures with >= 1 online dossier received
    # By Decree 42/2022 class: dossiers received (of the class their offering had at intake), those
    # received online; procedures offered by the scope, by (best) class; full/partial ones of them
    # with >= 1 online dossier received.
    received_by_class: dict[str, int]
    online_received_by_class: dict[str, int]
    offered_by_class: dict[str, int]
    offered_with_online_by_class: dict[str, int]


class Offered(NamedTuple):
    """How a scope offers a procedure: the highest online level and the best class any of its
    agencies offers it at (active offerings)."""

    level: int
    service_class: str


CLASS_RANK = {CLASS_NONE: 0, CLASS_PARTIAL: 1, CLASS_FULL: 2}  # "best class": full > partial > none


def provision(offered: Mapping[Any, Offered], online: Collection[Any]) -> dict[str, dict]:
    """PeriodCounts' provision fields from the procedures a scope offers and the procedures that
    received >= 1 online dossier in the period: by level (with online: levels 3 and 4) and by
    class (with online: full and partial)."""
    # Counted per (level, class) pair first: Counter hashes the pairs in C, and a dashboard asks
    # this for every agency of a province (~16,500 offerings per page).
    pairs = Counter(offered.values())
    online_pairs = Counter(map(offered.__getitem__, offered.keys() & online))
    by_level: dict[int, int] = {}
    with_online: dict[int, int] = {}
    by_class: dict[str, int] = {}
    with_online_by_class: dict[str, int] = {}
    for (level, service_class), n in pairs.items():
        by_level[level] = by_level.get(level, 0) + n
        by_class[service_class] = by_class.get(service_class, 0) + n
    for (level, service_class), n in online_pairs.items():
        if level >= 3:
            with_online[level] = with_online.get(level, 0) + n
        if service_class in ONLINE_CLASSES:
            with_online_by_class[service_class] = with_online_by_class.get(service_class, 0) + n
    return {"offered": by_level, "offered_with_online": with_online, "offered_by_class": by_class,
            "offered_with_online_by_class": with_online_by_class}


def indicators(c: PeriodCounts) -> dict[str, Any]:
    p = c.period.get
    received = p(Metric.RECEIVED, 0)
    early, on_time, late = p(Metric.RESOLVED_EARLY, 0), p(Metric.RESOLVED_ON_TIME, 0), p(Metric.RESOLVED_LATE, 0)
    resolved = early + on_time + late
    rejected, withdrawn = p(Metric.REJECTED, 0), p(Metric.WITHDRAWN, 0)
    transfer_in, transfer_out = p(Metric.TRANSFER_IN, 0), p(Metric.TRANSFER_OUT, 0)
    pending_not_overdue = c.pending_end - c.overdue_end
    # Decision 766: over the dossiers handled, i.e. resolved in the period + held pending at its end,
    # each at the agency holding it then (counters follow transfers), so the two forms add up to 1.
    handled = resolved + c.pending_end
    offered_total = sum(c.offered.values())
    l3, l4 = c.offered.get(3, 0), c.offered.get(4, 0)
    w3, w4 = c.offered_with_online.get(3, 0), c.offered_with_online.get(4, 0)
    very, satisfied = p(Metric.RATING_VERY_SATISFIED, 0), p(Metric.RATING_SATISFIED, 0)
    ratings = very + satisfied + p(Metric.RATING_DISSATISFIED, 0)
    return {
        "received": received,
        "online_received": c.online_received,
        "online_share": ratio(c.online_received, received),
        "online_share_of_online_offered": ratio(c.online_received_online_offered, c.received_online_offered),
        "submitted_online": p(Metric.SUBMITTED, 0),
        "resolved": resolved,
        "resolved_early": early,
        "resolved_on_time": on_time,
        "resolved_late": late,
        "on_time_rate": ratio(early + on_time, resolved),
        "rejected": rejected,
        "withdrawn": withdrawn,
        "rejected_at_intake": p(Metric.REJECTED_AT_INTAKE, 0),
        "withdrawn_before_reception": p(Metric.WITHDRAWN_BEFORE_RECEPTION, 0),
        "transferred_in": transfer_in,
        "transferred_out": transfer_out,
        "carried_over": c.carried_over,
        "pending_end": c.pending_end,
        "overdue_end": c.overdue_end,
        "handled": handled,
        "on_time_rate_766": ratio(early + on_time + pending_not_overdue, handled),
        "overdue_rate_766": ratio(late + c.overdue_end, handled),
        "balance": {
            "carried_over_plus_received_plus_in": c.carried_over + received + transfer_in,
            "resolved_rejected_withdrawn_out_pending": resolved + rejected + withdrawn + transfer_out + c.pending_end,
        },
        "procedures_offered": offered_total,
        "procedures_offered_level_3": l3,
        "procedures_offered_level_4": l4,
        "level_3_4_provision_rate": ratio(l3 + l4, offered_total),
        "level_3_provision_rate": ratio(l3, offered_total),
        "level_4_provision_rate": ratio(l4, offered_total),
        "procedures_with_online_dossiers": w3 + w4,
        "procedures_with_online_dossiers_rate": ratio(w3 + w4, l3 + l4),
        "procedures_with_online_dossiers_level_3_rate": ratio(w3, l3),
        "procedures_with_online_dossiers_level_4_rate": ratio(w4, l4),
        **class_indicators(c, offered_total),
        "payments_confirmed": p(Metric.PAYMENT_CONFIRMED, 0),
        "online_payment_rate": ratio(p(Metric.PAYMENT_ONLINE, 0), p(Metric.PAYMENT_CONFIRMED, 0)),
        "ratings": ratings,
        "ratings_very_satisfied": very,
        "ratings_satisfied": satisfied,
        "ratings_dissatisfied": p(Metric.RATING_DISSATISFIED, 0),
        "satisfaction_rate": ratio(very + satisfied, ratings),
    }


def class_indicators(c: PeriodCounts, offered_total: int) -> dict[str, Any]:
    """The Decree 42/2022 figures beside the level ones: provision by class (procedures offered
    whose best class in the scope is full / partial, over every procedure offered), the online
    share of the dossiers received of each class (a dossier's class is its offering's at intake),
    and the full/partial procedures with online dossiers."""
    full, partial = c.offered_by_class.get(CLASS_FULL, 0), c.offered_by_class.get(CLASS_PARTIAL, 0)
    w_full = c.offered_with_online_by_class.get(CLASS_FULL, 0)
    w_partial = c.offered_with_online_by_class.get(CLASS_PARTIAL, 0)
    received, online = c.received_by_class.get, c.online_received_by_class.get
    online_classes_received = sum(received(k, 0) for k in ONLINE_CLASSES)
    online_classes_online = sum(online(k, 0) for k in ONLINE_CLASSES)
    return {
        "procedures_offered_class_full": full,
        "procedures_offered_class_partial": partial,
        "class_full_partial_provision_rate": ratio(full + partial, offered_total),
        "class_full_provision_rate": ratio(full, offered_total),
        "class_partial_provision_rate": ratio(partial, offered_total),
        "received_class_full": received(CLASS_FULL, 0),
        "received_class_partial": received(CLASS_PARTIAL, 0),
        "online_share_class_full": ratio(online(CLASS_FULL, 0), received(CLASS_FULL, 0)),
        "online_share_class_partial": ratio(online(CLASS_PARTIAL, 0), received(CLASS_PARTIAL, 0)),
        "online_share_of_class_full_partial": ratio(online_classes_online, online_classes_received),
        "procedures_with_online_dossiers_class_full_partial": w_full + w_partial,
        "procedures_with_online_dossiers_class_full_partial_rate": ratio(w_full + w_partial, full + partial),
        "procedures_with_online_dossiers_class_full_rate": ratio(w_full, full),
        "procedures_with_online_dossiers_class_partial_rate": ratio(w_partial, partial),
    }

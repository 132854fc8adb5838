"""Everything the dashboard shows, built by one function from the statistics selectors.

Scope and authorisation are the statistics API's own: the page's query is handed to
`apps.stats.selectors.stats_query`, so the dashboard can never show more (or differently scoped
figures) than `/api/v1/stats/summary/` answers for the same query. The first paint costs a fixed
handful of statements whatever the history's size: two summaries (the period and the one before),
one breakdown by month (the trend), one by agency (the ranking), one index-only scan of the
overdue dossiers (the procedure ranking), and small catalogue/agency/target reads.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import staff_agencies
from apps.agencies.models import Agency, Tier
from apps.catalog.models import Procedure
from apps.common import formats
from apps.common.labels import service_class_label, tier_label
from apps.common.numbers import bounded_int
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import overdue_filter
from apps.stats.selectors import Scope, stats_breakdown, stats_query, stats_summary
from onestop.errors import DomainError, ErrorCode
from onestop.indicators import CLASS_FULL, CLASS_PARTIAL
from onestop.text import vietnamese_sort_key

from .models import COUNT_INDICATORS, LOWER_IS_BETTER, Indicator, IndicatorTarget

#: Who may open the dashboard: those who read statistics for a living (clerks use their queues).
DASHBOARD_ROLES = (Role.STATISTICIAN, Role.SUPERVISOR, Role.LEADER, Role.ADMINISTRATOR)
PERIOD_KINDS = {"month": _("Tháng"), "quarter": _("Quý"), "year": _("Năm"), "custom": _("Tùy chọn")}
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the statistics API's bounds
TREND_MONTHS = 12
TOP_OVERDUE = 20
LEVELS = (1, 2, 3, 4)


class DashboardQueryError(Exception):
    """The page's own parameters (period, year...) are invalid: field → messages, shown as a 400."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def can_view_dashboard(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*DASHBOARD_ROLES))


# --- the period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive; a period reaching past today stops after today
    full_end: date  # exclusive, as chosen

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def is_partial(self) -> bool:
        return self.end < self.full_end

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end, "last_day": self.last_day, "is_partial": self.is_partial,
                "label": period_label(self.start, self.last_day)}


def period_label(first: date, last: date) -> str:
    return formats.period(first, last)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int,
         errors: dict[str, list[str]]) -> int:
    raw = params.get(name) or ""
    if not raw:
        return default
    value = bounded_int(str(raw), low=low, high=high)
    if value is None:
        errors[name] = [gettext("Phải là số nguyên từ %(low)s đến %(high)s.") % {"low": low, "high": high}]
        return default
    return value


def _day(params: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = params.get(name) or ""
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = [gettext("Ngày không hợp lệ (YYYY-MM-DD).")]
        return None
    if not FIRST_YEAR <= value.year < LAST_YEAR:
        errors[name] = [gettext("Ngày phải trong khoảng %(first)s–%(last)s.") % {"first": FIRST_YEAR,
                                                                                  "last": LAST_YEAR - 1}]
        return None
    return value


def resolve_period(params: Mapping[str, str], today: date) -> tuple[dict[str, Any], Period, Period]:
    """(the form's state, the chosen period, the period before it) from the page's parameters.

    month/quarter/year take `year` and `month`/`quarter` (default: the one containing today);
    custom takes `start` and `end`, both inclusive. A period that has not ended stops after today.
    The previous period is the preceding month/quarter/year (whole), or for a custom period the
    same number of days just before it.
    """
    errors: dict[str, list[str]] = {}
    kind = params.get("period") or "month"
    if kind not in PERIOD_KINDS:
        choose = gettext("Chọn một trong: %(kinds)s.") % {"kinds": ", ".join(PERIOD_KINDS)}
        raise DashboardQueryError({"period": [choose]})
    year = _int(params, "year", today.year, FIRST_YEAR, LAST_YEAR - 1, errors)
    month = _int(params, "month", today.month, 1, 12, errors)
    quarter = _int(params, "quarter", (today.month - 1) // 3 + 1, 1, 4, errors)
    form = {"period": kind, "year": year, "month": month, "quarter": quarter,
            "start": params.get("start") or "", "end": params.get("end") or ""}
    if kind == "month":
        start = date(year, month, 1)
        full_end, previous = _add_months(start, 1), _add_months(start, -1)
    elif kind == "quarter":
        start = date(year, 3 * (quarter - 1) + 1, 1)
        full_end, previous = _add_months(start, 3), _add_months(start, -3)
    elif kind == "year":
        start = date(year, 1, 1)
        full_end, previous = date(year + 1, 1, 1), date(year - 1, 1, 1)
    else:
        first, last = _day(params, "start", errors), _day(params, "end", errors)
        if first and last and last < first:
            errors["end"] = [gettext("Ngày kết thúc phải sau ngày bắt đầu.")]
        if errors:
            raise DashboardQueryError(errors)
        assert first is not None and last is not None
        start, full_end = first, last + timedelta(days=1)
        previous = start - (full_end - start)
        form.update(start=first.isoformat(), end=last.isoformat())
    if errors:
        raise DashboardQueryError(errors)
    tomorrow = today + timedelta(days=1)
    end = min(full_end, tomorrow) if start < tomorrow else full_end
    return form, Period(start, end, full_end), Period(previous, start, start)


def _navigation(form: dict[str, Any], period: Period, today: date) -> dict[str, str]:
    """Query strings (without scope/filters) of the period before and after the chosen one (no
    "after" once it would start in the future)."""
    kind = form["period"]
    if kind == "custom":
        length = period.full_end - period.start
        before = {"period": kind, "start": (period.start - length).isoformat(),
                  "end": (period.start - timedelta(days=1)).isoformat()}
        after = {"period": kind, "start": period.full_end.isoformat(),
                 "end": (period.full_end + length - timedelta(days=1)).isoformat()}
        return {"previous": urlencode(before), "next": urlencode(after) if period.full_end <= today else ""}
    step = {"month": 1, "quarter": 3, "year": 12}[kind]
    out = {}
    for name, months in (("previous", -step), ("next", step)):
        start = _add_months(period.start, months)
        query = {"period": kind, "year": start.year}
        if kind == "month":
            query["month"] = start.month
        if kind == "quarter":
            query["quarter"] = (start.month - 1) // 3 + 1
        usable = FIRST_YEAR <= start.year < LAST_YEAR and start <= today
        out[name] = urlencode(query) if usable else ""
    return out


# --- scope, targets, rankings ----------------------------------------------------------------------


def _api_query(params: Mapping[str, str], period: Period) -> dict[str, str]:
    """The statistics API query equal to the page's (the export links carry it too)."""
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    for name in ("scope", "tier", "level", "include_predecessors"):
        if params.get(name):
            query[name] = params[name]
    return query


def _prefixes(path: str) -> list[str]:
    """"/a/b/c/" → ["/a/", "/a/b/", "/a/b/c/"]: the paths of an agency and its ancestors."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def targets_for(path: str | None) -> dict[str, float]:
    """Indicator → target for the scope whose agency has this tree path (None: no single agency):
    the most specific one, i.e. the agency's own, else its nearest ancestor's, else the general one."""
    paths = _prefixes(path) if path else []
    best: dict[str, tuple[int, float]] = {}
    rows = IndicatorTarget.objects.filter(Q(agency__isnull=True) | Q(agency__path__in=paths))
    for indicator, value, agency_path in rows.values_list("indicator", "target_value", "agency__path"):
        depth = len(agency_path or "")  # deeper in the tree = longer path = more specific
        if indicator not in best or depth > best[indicator][0]:
            number = float(value) if indicator in COUNT_INDICATORS else float(value) / 100
            best[indicator] = (depth, number)
    return {k: v for k, (_, v) in best.items()}


def _figure(summary: dict[str, Any], key: str) -> dict[str, Any]:
    item = summary[key]
    if isinstance(item, dict):
        return {"value": item["value"], "numerator": item["numerator"], "denominator": item["denominator"]}
    return {"value": item, "numerator": None, "denominator": None}


def _tile_detail(summary: dict[str, Any], key: str) -> str:
    """A line under the figure: what it is made of, in the words of the scoreboards."""
    n = formats.number
    if key == Indicator.RECEIVED:
        return gettext("Trực tuyến %(online)s · tồn kỳ trước %(carried)s") % {
            "online": n(summary["online_received"]), "carried": n(summary["carried_over"])}
    if key == Indicator.OVERDUE_END:
        return gettext("Đang giải quyết %(pending)s hồ sơ") % {"pending": n(summary["pending_end"])}
    if key == Indicator.LEVEL_3_4_PROVISION_RATE:
        return gettext("Mức 3: %(level_3)s · mức 4: %(level_4)s / %(offered)s TTHC") % {
            "level_3": n(summary["procedures_offered_level_3"]), "level_4": n(summary["procedures_offered_level_4"]),
            "offered": n(summary["procedures_offered"])}
    if key == Indicator.ON_TIME_RATE_766:  # over the dossiers handled: resolved + pending at the end
        figure = summary[key]
        return gettext("%(on_time)s / %(handled)s hồ sơ đã xử lý (giải quyết %(resolved)s · đang giải quyết "
                       "%(pending)s)") % {"on_time": n(figure["numerator"]), "handled": n(figure["denominator"]),
                                          "resolved": n(summary["resolved"]), "pending": n(summary["pending_end"])}
    if key == Indicator.PROCEDURES_WITH_ONLINE_DOSSIERS_RATE:
        return gettext("%(count)s TTHC có hồ sơ trực tuyến") % {"count": n(summary["procedures_with_online_dossiers"])}
    figure = summary[key]
    return f"{n(figure['numerator'])} / {n(figure['denominator'])}"


def _tiles(summary: dict[str, Any], previous: dict[str, Any], targets: dict[str, float]) -> list[dict[str, Any]]:
    tiles = []
    for indicator in Indicator:
        key = indicator.value
        current, before = _figure(summary, key), _figure(previous, key)
        target = targets.get(key)
        lower_is_better = indicator in LOWER_IS_BETTER
        met = None
        if target is not None and current["value"] is not None:
            met = current["value"] <= target if lower_is_better else current["value"] >= target
        change = change_good = None
        if current["value"] is not None and before["value"] is not None:
            change = current["value"] - before["value"]
            change_good = None if change == 0 else (change > 0) != lower_is_better
        tiles.append({
            "key": key, "label": gettext(indicator.label), "is_rate": indicator not in COUNT_INDICATORS,
            **current, "previous": before, "change": change, "change_good": change_good,
            "target": target, "target_met": met, "lower_is_better": lower_is_better,
            "detail": _tile_detail(summary, key),
        })
    return tiles


#: The Decree 42/2022 tiles beside the level ones: (key, API key of the share of procedures offered,
#: API key of the online share of dossiers received). "full_partial" is both online classes together.
CLASS_TILES = (
    (CLASS_FULL, "class_full_provision_rate", "online_share_class_full"),
    (CLASS_PARTIAL, "class_partial_provision_rate", "online_share_class_partial"),
    ("full_partial", "class_full_partial_provision_rate", "online_share_of_class_full_partial"),
)


def _class_tiles(summary: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Per Decree 42/2022 class (and both online classes together): the share of the procedures
    offered at it and the online share of its dossiers received, now and in the previous period."""
    return [{
        "key": key, "label": service_class_label(key),
        "provision": _figure(summary, provision), "provision_previous": previous[provision]["value"],
        "online_share": _figure(summary, online), "online_share_previous": previous[online]["value"],
    } for key, provision, online in CLASS_TILES]


#: The ranking's columns: every tile, with a header short enough for a table.
RANKED = {
    Indicator.RECEIVED: pgettext_lazy("dossiers received", "Tiếp nhận"),
    Indicator.ONLINE_SHARE: _("Trực tuyến"),
    Indicator.ONLINE_SHARE_OF_ONLINE_OFFERED: _("Trực tuyến (TTHC mức 3, 4)"),
    Indicator.ON_TIME_RATE: _("Đúng hạn"),
    Indicator.ON_TIME_RATE_766: _("Đúng hạn (QĐ 766)"),
    Indicator.OVERDUE_END: pgettext_lazy("overdue", "Quá hạn"),
    Indicator.LEVEL_3_4_PROVISION_RATE: _("TTHC mức 3, 4"),
    Indicator.PROCEDURES_WITH_ONLINE_DOSSIERS_RATE: _("TTHC có hồ sơ trực tuyến"),
    Indicator.ONLINE_PAYMENT_RATE: _("Thanh toán trực tuyến"),
    Indicator.SATISFACTION_RATE: _("Hài lòng"),
}


def _agency_ranking(scope: Scope, period: Period) -> list[dict[str, Any]]:
    """The API's breakdown by agency (each agency's own figures), with names; busiest first, equals in
    Vietnamese name order ("Đ" after "D", not after "Z" as bytes would have it)."""
    groups = stats_breakdown(scope, period.start, period.end, "agency")
    agencies = {a["code"]: a for a in Agency.objects.filter(code__in=[g["group"] for g in groups]).values(
        "code", "name", "tier")}
    tier_labels = {tier: tier_label(tier) for tier in {"", *(a["tier"] for a in agencies.values())}}
    rows = []
    for group in groups:
        agency = agencies.get(group["group"], {"name": group["group"], "tier": ""})
        row = {"code": group["group"], "name": agency["name"], "tier": agency["tier"],
               "tier_label": tier_labels[agency["tier"]]}
        row["cells"] = [{"key": key.value, "value": _figure(group, key)["value"],
                         "is_rate": key not in COUNT_INDICATORS} for key in RANKED]
        row.update((cell["key"], cell["value"]) for cell in row["cells"])
        rows.append(row)
    rows.sort(key=lambda r: (-r["received"], vietnamese_sort_key(r["name"]), r["code"]))
    return rows


def overdue_procedures(scope: Scope, at: datetime, limit: int = TOP_OVERDUE) -> list[dict[str, Any]]:
    """The procedures with the most dossiers overdue at `at` (clock running, due before it), from
    the dossiers as they are now, so `at` is now: the statistics' `overdue_end` for a period up to
    today, per procedure; one index-only scan (dossier_overdue_idx) over the overdue dossiers only."""
    dossiers = overdue_filter(Dossier.objects.all(), True, now=at)
    if scope.agency_ids is not None:
        dossiers = dossiers.filter(agency_id__in=sorted(scope.agency_ids))
    if scope.tier is not None:
        dossiers = dossiers.filter(agency_id__in=Agency.objects.filter(tier=scope.tier).values("pk"))
    if scope.level is not None:
        dossiers = dossiers.filter(online_level=scope.level)
    if scope.service_class is not None:
        dossiers = dossiers.filter(service_class=scope.service_class)
    if scope.procedure_id is not None:
        dossiers = dossiers.filter(procedure_id=scope.procedure_id)
    counts = list(dossiers.values("procedure_id").annotate(overdue=Count("procedure_id"))
                  .order_by("-overdue", "procedure_id")[:limit])
    names = {p["pk"]: p for p in Procedure.objects.filter(pk__in=[c["procedure_id"] for c in counts])
             .values("pk", "code", "name")}
    return [{"code": names[c["procedure_id"]]["code"], "name": names[c["procedure_id"]]["name"],
             "overdue": c["overdue"]} for c in counts]


def _scope_choices(user: User) -> list[dict[str, Any]]:
    # The options list the tree in path order, indented by depth (non-breaking spaces survive HTML).
    return [{"code": code, "name": name, "tier_label": tier_label(tier) or tier, "path": path,
             "indented": "\u00a0\u00a0\u00a0" * max(0, path.count("/") - 2) + name}
            for code, name, tier, path in staff_agencies(user).order_by("path").values_list(
                "code", "name", "tier", "path")]


def _monthly(scope: Scope, period: Period) -> tuple[date, list[dict[str, Any]]]:
    """The API's breakdown by month over the 12 months up to the period's end (or the whole
    period if longer): the trend, and for a month period also its summary and the previous one's."""
    start = min(period.start, _add_months(period.last_day.replace(day=1), 1 - TREND_MONTHS))
    return start, stats_breakdown(scope, start, period.end, "month")


def _trend_points(months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{
        "month": formats.month(m["period_from"]), "from": m["period_from"], "to": m["period_to"],
        "received": m["received"], "online_share": m["online_share"]["value"],
        "on_time_rate": m["on_time_rate"]["value"], "on_time_rate_766": m["on_time_rate_766"]["value"],
    } for m in months]


def _summary(scope: Scope, period: Period, months: list[dict[str, Any]]) -> dict[str, Any]:
    """stats_summary over the period; a period that is one of the trend's months is read from it
    (the API computes a month bucket exactly as a summary over that month: same counters, same
    provision), which saves two summaries on the default page."""
    for month in months:
        if (month["period_from"], month["period_to"]) == (period.start, period.end):
            return {k: v for k, v in month.items() if k not in ("group", "period_from", "period_to")}
    return stats_summary(scope, period.start, period.end)


# --- the page ------------------------------------------------------------------------------------


def dashboard_page_data(user: User, params: Mapping[str, str], today: date | None = None) -> dict[str, Any]:
    """Everything the dashboard's first paint shows, for `user` and the page's query parameters:
    `scope` (agency code, its subtree), `period` (month | quarter | year | custom) with `year`,
    `month`, `quarter` or `start`/`end` (inclusive), `tier`, `level`.

    Raises DomainError (not a statistics reader: 403), rest_framework NotFound (an agency outside
    the user's scope: 404, as the API), rest_framework ValidationError or DashboardQueryError (400).
    """
    if not can_view_dashboard(user):
        raise DomainError("The dashboard is for statisticians, supervisors, leaders and administrators.",
                          code=ErrorCode.PERMISSION_DENIED)
    today = today or timezone.localdate()
    form, period, previous = resolve_period(params, today)
    api_query = _api_query(params, period)
    scope, _start, _end, _data = stats_query(user, {**api_query, "subtree": "true"})

    choices = _scope_choices(user)
    by_code = {c["code"]: c for c in choices}
    root = by_code.get(params.get("scope") or "")
    by_path = {c["path"]: c for c in choices}
    breadcrumb = [by_path[p] for p in _prefixes(root["path"])[:-1] if p in by_path] if root else []

    trend_start, months = _monthly(scope, period)
    summary = _summary(scope, period, months)
    summary_before = _summary(scope, previous, months)
    # The end of the period is min(its end, now) (DESIGN.md section 6): overdue means due before now
    # (or, for a page asked as on an earlier `today`, before that day's end).
    overdue_at = min(timezone.now(), datetime.combine(today + timedelta(days=1), time.min,
                                                      tzinfo=timezone.get_current_timezone()))
    targets = targets_for(root["path"] if root else None)

    filters = {k: api_query[k] for k in ("tier", "level") if k in api_query}
    period_query = {k: v for k, v in form.items() if v not in ("", None)}
    if form["period"] != "custom":
        period_query.pop("start", None)
        period_query.pop("end", None)
    return {
        "form": {**form, "scope": root["code"] if root else "", "tier": filters.get("tier", ""),
                 "tier_label": tier_label(filters.get("tier", "")), "level": filters.get("level", "")},
        "today": today,
        "period": {"kind": form["period"], "kind_label": str(PERIOD_KINDS[form["period"]]), **period.as_dict()},
        "previous": previous.as_dict(),
        "scope": {"code": root["code"] if root else "", "name": root["name"] if root else "",
                  "tier_label": root["tier_label"] if root else "", "breadcrumb": breadcrumb},
        "api_query": api_query,
        "period_query": urlencode(period_query),
        "filter_query": urlencode(filters),
        "navigation": _navigation(form, period, today),
        "exports": {
            "summary": urlencode(api_query),
            "by_agency": urlencode({**api_query, "by": "agency"}),
            "by_month": urlencode({**api_query, "from": trend_start.isoformat(), "by": "month"}),
        },
        "summary": summary,
        "previous_summary": summary_before,
        "tiles": _tiles(summary, summary_before, targets),
        "class_tiles": _class_tiles(summary, summary_before),
        "targets": targets,
        "trend": _trend_points(months),
        "trend_from": trend_start,
        "agencies": _agency_ranking(scope, period),
        "overdue_at": overdue_at,
        "overdue_day": today,
        "overdue_procedures": overdue_procedures(scope, overdue_at),
        "scope_choices": choices,
        "tier_choices": [(tier, tier_label(tier)) for tier in Tier.values],
        "level_choices": list(LEVELS),
        "period_choices": [(kind, str(label)) for kind, label in PERIOD_KINDS.items()],
        "ranking_columns": [{"key": k.value, "label": str(label)} for k, label in RANKED.items()],
        "years": sorted({form["year"], *range(max(FIRST_YEAR, today.year - 10), today.year + 1)}, reverse=True),
        "month_choices": [(number, formats.month_name(number)) for number in range(1, 13)],
        "quarter_choices": [(1, "I"), (2, "II"), (3, "III"), (4, "IV")],
    }

"""The dashboard page without a browser: who may open it, its scope, its figures against the
statistics API for the same query, targets, parameters, and its cost in statements."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.agencies.models import Agency
from apps.dashboard.models import Indicator, IndicatorTarget
from apps.dashboard.selectors import dashboard_page_data, resolve_period

from .history import DEPARTMENT, DONG_TAO, KHOAI_CHAU, VAN_GIANG, XUAN_QUAN, make_history

PASSWORD = "demo-Pass-2025"


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


TILE = re.compile(r'data-indicator="([a-z0-9_]+)"\s+data-value="([^"]*)"\s+data-previous="([^"]*)"\s+'
                  r'data-target="([^"]*)"')


def tiles(html: str, part: int = 1) -> dict[str, str]:
    """indicator → the machine value of its tile (1: data-value, 2: data-previous, 3: data-target)."""
    return {m.group(1): m.group(1 + part) for m in TILE.finditer(html)}


def export_query(html: str, element_id: str) -> dict[str, str]:
    href = re.search(rf'id="{element_id}" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    return dict(parse_qsl(urlsplit(href).query))


def api_value(summary: dict, key: str):
    item = summary[key]
    return item["value"] if isinstance(item, dict) else item


def as_text(value) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_login_form_and_can_sign_in(demo):
    client = Client()
    response = client.get("/dashboard/?period=year")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/%3Fperiod%3Dyear"
    form = client.get(response["Location"])
    assert form.status_code == 200 and 'name="password"' in form.content.decode()
    bad = client.post("/accounts/login/", {"username": "supervisor", "password": "wrong"})
    assert bad.status_code == 200 and "không đúng" in bad.content.decode()
    signed_in = client.post("/accounts/login/", {"username": "supervisor", "password": PASSWORD,
                                                 "next": "/dashboard/?period=year"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/dashboard/?period=year"
    assert client.get("/dashboard/?period=year").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "scope", "status"),
    [
        ("supervisor", "", 200),
        ("admin", DEPARTMENT, 200),
        ("leader_tuphap", DEPARTMENT, 200),
        ("leader_tuphap", "000.00.12.H29", 404),  # another department
        ("stats_vangiang", "", 200),
        ("stats_vangiang", VAN_GIANG, 200),
        ("stats_vangiang", XUAN_QUAN, 200),
        ("stats_vangiang", KHOAI_CHAU, 404),  # another district: as the API, it does not exist for them
        ("stats_vangiang", DONG_TAO, 404),
        ("stats_vangiang", "000.00.00.H29", 404),  # above its subtree
        ("stats_vangiang", "NO.SUCH.CODE", 404),
        ("clerk_tuphap", DEPARTMENT, 403),  # no statistics role for the dashboard
        ("specialist_tuphap", "", 403),
        ("citizen1", "", 403),
    ],
)
def test_who_may_see_what(demo, username, scope, status):
    response = login(username).get("/dashboard/", {"scope": scope} if scope else {})
    assert response.status_code == status
    if status != 200:
        assert "Lỗi" in response.content.decode()


@pytest.mark.django_db
def test_the_api_agrees_on_the_out_of_scope_answer(demo):
    """The dashboard answers like /api/v1/stats/summary/ for the same user and agency."""
    query = {"from": "2025-01-01", "to": "2025-02-01"}
    for scope in (KHOAI_CHAU, XUAN_QUAN):
        api = login("stats_vangiang").get("/api/v1/stats/summary/", {**query, "scope": scope}).status_code
        page = login("stats_vangiang").get("/dashboard/", {"scope": scope}).status_code
        assert api == page


@pytest.mark.django_db
def test_a_district_statistician_sees_only_its_district_in_every_list(demo, monkeypatch, media_root):
    make_history(monkeypatch)
    page = dashboard_page_data(User.objects.get(username="stats_vangiang"), {"period": "year"})
    assert {c["code"] for c in page["scope_choices"]} == {VAN_GIANG, XUAN_QUAN}
    assert {a["code"] for a in page["agencies"]} <= {VAN_GIANG, XUAN_QUAN}
    assert [p["code"] for p in page["overdue_procedures"]] == ["1.001193"]  # Đông Tảo's marriages not here


# --- the figures are the API's --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "params"), [
    ("supervisor", {}),
    ("supervisor", {"period": "month", "previous": True}),
    ("supervisor", {"period": "month", "previous": True, "level": "4"}),  # the fine path
    ("supervisor", {"period": "quarter", "previous": True, "scope": DEPARTMENT}),
    ("supervisor", {"period": "year", "tier": "commune"}),
    ("supervisor", {"period": "year", "level": "4"}),
    ("stats_vangiang", {"period": "month", "previous": True}),
    ("leader_tuphap", {"period": "custom", "days": 45}),
])
def test_tiles_equal_the_statistics_api_for_the_same_query(demo, monkeypatch, media_root, username, params):
    history = make_history(monkeypatch)
    params = dict(params)
    if params.pop("previous", False):
        params.update(year=history.previous_month.year, month=history.previous_month.month,
                      quarter=(history.previous_month.month - 1) // 3 + 1)
    if "days" in params:
        days = params.pop("days")
        params.update(start=(history.today - timedelta(days=days)).isoformat(), end=history.today.isoformat())
    client = login(username)
    html = client.get("/dashboard/", params).content.decode()
    query = export_query(html, "export-summary-csv")
    summary = client.get("/api/v1/stats/summary/", query).json()
    shown = tiles(html)
    assert set(shown) == set(Indicator.values)
    for key, value in shown.items():
        assert value == as_text(api_value(summary, key)), key
    assert set(tiles(html, 2)) == set(shown)
    # The previous period's figures: the API over the previous period.
    page = dashboard_page_data(User.objects.get(username=username), params)
    assert page["summary"] == {k: v for k, v in summary.items() if k not in ("from", "to")}  # every figure
    before = client.get("/api/v1/stats/summary/", {**query, "from": page["previous"]["from"].isoformat(),
                                                   "to": page["previous"]["to"].isoformat()}).json()
    for tile in page["tiles"]:
        assert tile["previous"]["value"] == api_value(before, tile["key"]), tile["key"]
    assert page["previous_summary"] == {k: v for k, v in before.items() if k not in ("from", "to")}


CLASS_TILE = re.compile(r'data-class="([a-z_]+)" data-provision="([^"]*)" data-online-share="([^"]*)"')
CLASS_KEYS = {"full": ("class_full_provision_rate", "online_share_class_full"),
              "partial": ("class_partial_provision_rate", "online_share_class_partial"),
              "full_partial": ("class_full_partial_provision_rate", "online_share_of_class_full_partial")}


@pytest.mark.django_db
def test_class_tiles_beside_the_level_tile_equal_the_statistics_api(demo, monkeypatch, media_root):
    """Decree 42/2022 (issue 21): per class, the share of procedures offered and the online share
    of the dossiers received, now and in the previous period, in the page's language."""
    history = make_history(monkeypatch)
    client = login("supervisor")
    params = {"year": history.previous_month.year, "month": history.previous_month.month}
    html = client.get("/dashboard/", params).content.decode()
    query = export_query(html, "export-summary-csv")
    summary = client.get("/api/v1/stats/summary/", query).json()
    shown = {m.group(1): (m.group(2), m.group(3)) for m in CLASS_TILE.finditer(html)}
    assert shown == {key: (as_text(summary[provision]["value"]), as_text(summary[online]["value"]))
                     for key, (provision, online) in CLASS_KEYS.items()}
    # The history received dossiers of both online classes, some of them online.
    assert summary["received_class_full"] > 0 and summary["received_class_partial"] > 0
    assert summary["online_share_of_class_full_partial"]["numerator"] > 0
    assert html.index('data-indicator="level_3_4_provision_rate"') < html.index('id="service-classes"')
    for text in ("Toàn trình", "Một phần", "Toàn trình và một phần", "Tỷ lệ thủ tục cung cấp",
                 "Tỷ lệ hồ sơ nộp trực tuyến"):
        assert text in html, text
    page = dashboard_page_data(User.objects.get(username="supervisor"), params)
    before = client.get("/api/v1/stats/summary/", {**query, "from": page["previous"]["from"].isoformat(),
                                                   "to": page["previous"]["to"].isoformat()}).json()
    for tile in page["class_tiles"]:
        provision, online = CLASS_KEYS[tile["key"]]
        assert (tile["provision_previous"], tile["online_share_previous"]) == (
            before[provision]["value"], before[online]["value"])
        assert (tile["provision"]["numerator"], tile["online_share"]["denominator"]) == (
            summary[provision]["numerator"], summary[online]["denominator"])
    User.objects.filter(username="supervisor").update(language="en")  # pages follow the account's language
    english = client.get("/dashboard/", params).content.decode()
    for text in ("Full online", "Partly online", "Full and partly online", "Share of procedures offered",
                 "Share of dossiers filed online", "Online public services under Decree 42/2022"):
        assert text in english, text
    assert "Tỷ lệ hồ sơ nộp trực tuyến" not in english and "Toàn trình" not in english


@pytest.mark.django_db
def test_the_history_shows_up_where_it_was_made(demo, monkeypatch, media_root):
    """Not only equal to the API: the figures are the ones the history implies."""
    history = make_history(monkeypatch)
    supervisor = User.objects.get(username="supervisor")
    page = dashboard_page_data(supervisor, {"year": history.previous_month.year,
                                            "month": history.previous_month.month})
    s = page["summary"]
    assert s["received"] == 10 and s["online_received"] == 2
    assert (s["resolved"], s["resolved_early"] + s["resolved_on_time"]) == (4, 4)
    assert s["online_payment_rate"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert s["satisfaction_rate"]["value"] == 0.5
    by_agency = {a["code"]: a for a in page["agencies"]}
    assert by_agency[DEPARTMENT]["received"] == 5 and by_agency[DONG_TAO]["received"] == 3
    assert by_agency[XUAN_QUAN]["online_share"] == 1.0
    assert [a["code"] for a in page["agencies"]][:1] == [DEPARTMENT]  # busiest first
    # Overdue now: 2 records, 1 birth, 3 marriages; the ranking lists them by count.
    assert [(p["code"], p["overdue"]) for p in page["overdue_procedures"]] == [
        ("1.000894", 3), ("2.000488", 2), ("1.001193", 1)]
    current = dashboard_page_data(supervisor, {})
    assert current["summary"]["received"] == 2
    assert current["summary"]["overdue_end"] == 6
    assert current["period"]["to"] == history.today + timedelta(days=1)


@pytest.mark.django_db
def test_ranking_and_trend_equal_the_api_breakdowns(demo, monkeypatch, media_root):
    history = make_history(monkeypatch)
    client = login("supervisor")
    params = {"period": "quarter", "year": history.today.year, "quarter": (history.today.month - 1) // 3 + 1}
    page = dashboard_page_data(User.objects.get(username="supervisor"), params)
    by_agency = client.get("/api/v1/stats/breakdown/", {**page["api_query"], "by": "agency"}).json()["groups"]
    assert {a["code"]: a["on_time_rate"] for a in page["agencies"]} == {
        g["group"]: g["on_time_rate"]["value"] for g in by_agency}
    assert {a["code"]: a["received"] for a in page["agencies"]} == {g["group"]: g["received"] for g in by_agency}
    trend_query = {**page["api_query"], "from": page["trend_from"].isoformat(), "by": "month"}
    by_month = client.get("/api/v1/stats/breakdown/", trend_query).json()["groups"]
    assert [(p["online_share"], p["on_time_rate"]) for p in page["trend"]] == [
        (g["online_share"]["value"], g["on_time_rate"]["value"]) for g in by_month]
    assert len(page["trend"]) >= 12


@pytest.mark.django_db
def test_overdue_ranking_equals_the_api_overdue_by_procedure(demo, monkeypatch, media_root):
    history = make_history(monkeypatch)
    tomorrow = history.today + timedelta(days=1)
    for username, scope in (("supervisor", ""), ("stats_vangiang", ""), ("supervisor", DONG_TAO)):
        page = dashboard_page_data(User.objects.get(username=username), {"scope": scope} if scope else {})
        query = {"from": history.today.replace(day=1).isoformat(), "to": tomorrow.isoformat(), "by": "procedure"}
        if scope:
            query["scope"] = scope
        groups = login(username).get("/api/v1/stats/breakdown/", query).json()["groups"]
        expected = sorted(((g["group"], g["overdue_end"]) for g in groups if g["overdue_end"]),
                          key=lambda item: -item[1])
        assert sorted((p["code"], p["overdue"]) for p in page["overdue_procedures"]) == sorted(expected)
        assert sum(p["overdue"] for p in page["overdue_procedures"]) == page["summary"]["overdue_end"]


# --- targets --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_most_specific_target_wins_and_is_drawn(demo, monkeypatch, media_root):
    history = make_history(monkeypatch)
    department = Agency.objects.get(code=DEPARTMENT)
    IndicatorTarget.objects.create(indicator=Indicator.ONLINE_SHARE, target_value=50)
    IndicatorTarget.objects.create(indicator=Indicator.ONLINE_SHARE, target_value=10, agency=department)
    IndicatorTarget.objects.create(indicator=Indicator.OVERDUE_END, target_value=1,
                                   agency=Agency.objects.get(code="000.00.00.H29"))
    client = login("supervisor")
    month = {"year": history.previous_month.year, "month": history.previous_month.month}

    everything = dashboard_page_data(User.objects.get(username="supervisor"), month)
    tile = {t["key"]: t for t in everything["tiles"]}
    assert tile["online_share"]["target"] == 0.5 and tile["online_share"]["target_met"] is False  # 2 of 10
    assert tile["overdue_end"]["target"] is None  # set for the province root only: not the whole system

    department_page = dashboard_page_data(User.objects.get(username="supervisor"), {**month, "scope": DEPARTMENT})
    tile = {t["key"]: t for t in department_page["tiles"]}
    assert tile["online_share"]["target"] == 0.1  # the department's own, not the general 50 %
    assert tile["overdue_end"]["target"] == 1.0  # inherited from the province root
    assert tile["overdue_end"]["target_met"] is False  # lower is better: 2 overdue > 1

    html = client.get("/dashboard/", {**month, "scope": DEPARTMENT}).content.decode()
    assert tiles(html, 3)["online_share"] == "0.1" and tiles(html, 3)["overdue_end"] == "1.0"
    assert "Chỉ tiêu ≥ 10,0 %" in html and "Chỉ tiêu ≤ 1" in html


@pytest.mark.django_db
def test_targets_are_checked_in_the_database(demo):
    from django.db import IntegrityError, transaction

    IndicatorTarget.objects.create(indicator=Indicator.ONLINE_SHARE, target_value=50)
    for kwargs in ({"indicator": Indicator.ONLINE_SHARE, "target_value": 60},  # a second general one
                   {"indicator": Indicator.ON_TIME_RATE, "target_value": 101},  # a rate above 100 %
                   {"indicator": "colour", "target_value": 1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            IndicatorTarget.objects.create(**kwargs)
    IndicatorTarget.objects.create(indicator=Indicator.RECEIVED, target_value=5000)  # counts may exceed 100


@pytest.mark.django_db
def test_targets_are_editable_in_the_admin(demo):
    admin = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/dashboard/indicatortarget/add/").status_code == 200
    response = client.post("/admin/dashboard/indicatortarget/add/",
                           {"indicator": "online_share", "target_value": "50", "agency": "", "note": "NQ 2025"})
    assert response.status_code == 302
    assert IndicatorTarget.objects.get().target_value == 50


# --- parameters -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("params", [
    {"period": "week"},
    {"period": "month", "month": "13"},
    {"period": "month", "year": "1999"},
    {"period": "quarter", "quarter": "5"},
    {"period": "year", "year": "abc"},
    {"period": "custom"},
    {"period": "custom", "start": "2025-03-01", "end": "2025-02-01"},
    {"period": "custom", "start": "2025-02-30", "end": "2025-03-01"},
    {"period": "custom", "start": "2001-01-01", "end": "2025-03-01"},  # longer than the API allows
    {"tier": "planet"},
    {"level": "9"},
])
def test_bad_parameters_are_a_400_page(demo, params):
    response = login("supervisor").get("/dashboard/", params)
    assert response.status_code == 400
    assert "Tham số không hợp lệ" in response.content.decode()


def test_periods():
    from datetime import date

    today = date(2025, 11, 23)
    _, period, previous = resolve_period({}, today)
    assert (period.start, period.end, period.full_end) == (date(2025, 11, 1), date(2025, 11, 24), date(2025, 12, 1))
    assert (previous.start, previous.end) == (date(2025, 10, 1), date(2025, 11, 1))
    _, period, previous = resolve_period({"period": "quarter", "year": "2025", "quarter": "1"}, today)
    assert (period.start, period.end, previous.start) == (date(2025, 1, 1), date(2025, 4, 1), date(2024, 10, 1))
    _, period, previous = resolve_period({"period": "year", "year": "2024"}, today)
    assert (period.start, period.end, previous.start) == (date(2024, 1, 1), date(2025, 1, 1), date(2023, 1, 1))
    _, period, previous = resolve_period({"period": "custom", "start": "2025-01-10", "end": "2025-01-19"}, today)
    assert (period.start, period.end, previous.start, previous.end) == (
        date(2025, 1, 10), date(2025, 1, 20), date(2024, 12, 31), date(2025, 1, 10))
    _, period, _ = resolve_period({"period": "month", "year": "2026", "month": "1"}, today)  # the future: as is
    assert (period.start, period.end) == (date(2026, 1, 1), date(2026, 2, 1))


# --- cost -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_paint_costs_a_fixed_number_of_statements(demo, monkeypatch, media_root):
    """Whatever the number of agencies, procedures or dossiers: no statement per row."""
    make_history(monkeypatch)
    supervisor = User.objects.get(username="supervisor")
    with CaptureQueriesContext(connection) as small:
        dashboard_page_data(supervisor, {})
    make_history_more(monkeypatch)
    with CaptureQueriesContext(connection) as larger:
        dashboard_page_data(supervisor, {})
    # 30 before issue 13, which added one statement for the agencies the ranking lists and one per
    # read (the trend, the ranking, a summary) for the dossiers due earlier today (overdue at now).
    assert len(larger.captured_queries) <= len(small.captured_queries) <= 34


def make_history_more(monkeypatch):
    """More agencies with dossiers, so that a per-agency statement would show."""
    from apps.accounts.roles import Role
    from apps.accounts.services import staff_create
    from apps.dossiers import services as ds

    staff = staff_create(username="more-staff", password="x" * 12, full_name="Cán bộ",
                         roles=[Role.CLERK], agencies=[Agency.objects.get(code="000.00.00.H29")],
                         include_subtree=True)
    caller = ds.Caller.for_user(staff)
    applicant = ds.ApplicantData(applicant_type="citizen", name="Lê Văn An", id_number="001190000002")
    for agency, procedure in (("000.00.12.H29", "2.001610"), (VAN_GIANG, "1.009994"), (KHOAI_CHAU, "1.009994")):
        ds.dossier_register(caller=caller, channel="counter", request=ds.IntakeRequest(
            agency_code=agency, procedure_code=procedure, applicant=applicant))

"""The dashboard and its sign-in page in Vietnamese (the default) and English (the user's choice, or
the switcher's cookie before signing in), each in one language; figures, dates and the chart's data
in the page's language; the ranking's ties in Vietnamese name order."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.agencies.models import Agency
from apps.agencies.services import agency_save
from apps.dashboard.selectors import dashboard_page_data
from tests.i18n.pages import assert_english, assert_vietnamese

from .history import KHOAI_CHAU, make_history
from .test_dashboard import PASSWORD, login

pytestmark = pytest.mark.django_db


def as_reader(language: str, username: str = "supervisor") -> Client:
    User.objects.filter(username=username).update(language=language)
    return login(username)


def chart_data(html: str) -> dict:
    return json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)[1])


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("vi", ["Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Tên đăng nhập hoặc mật khẩu không đúng."]),
        ("en", ["Sign in", "User name", "Password", "Wrong user name or password."]),
    ],
)
def test_the_sign_in_page_in_each_language(demo, language, words):
    client = Client()
    client.cookies["django_language"] = language
    assert client.get("/accounts/login/?next=/dashboard/").status_code == 200
    html = client.post("/accounts/login/", {"username": "supervisor", "password": "wrong"}).content.decode()
    texts = (assert_vietnamese if language == "vi" else assert_english)(html)
    assert all(word in texts for word in words)


def test_an_english_browser_alone_gets_the_vietnamese_sign_in_page(demo):
    assert_vietnamese(Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode())
    assert_vietnamese(login("supervisor").get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode())


def test_too_many_sign_ins_are_refused_in_the_page_language(demo, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_username": "1/hour"},
    }
    for language, words in (("vi", "Đăng nhập sai quá nhiều lần"), ("en", "Too many sign-in attempts")):
        client = Client()
        client.cookies["django_language"] = language
        client.post("/accounts/login/", {"username": f"nobody-{language}", "password": "wrong"})
        refused = client.post("/accounts/login/", {"username": f"nobody-{language}", "password": "wrong"})
        assert refused.status_code == 429 and words in refused.content.decode()


def test_the_dashboard_in_each_language(demo, monkeypatch, media_root):
    history = make_history(monkeypatch)
    query = {"period": "month", "year": history.previous_month.year, "month": history.previous_month.month}
    vietnamese = as_reader("vi").get("/dashboard/", query).content.decode()
    english = as_reader("en").get("/dashboard/", query).content.decode()

    texts = assert_vietnamese(vietnamese)
    assert "Hồ sơ tiếp nhận" in texts and "Xếp hạng đơn vị" in texts and "Tải số liệu đang xem" in texts
    texts = assert_english(english)
    assert {
        "Dossiers received",
        "Agency ranking",
        "Download the figures shown",
        "Monthly trend",
        "Reporting period",
        "Your whole scope",
    } <= set(texts)
    assert "Province" in texts  # the tier filter's labels (onestop/labels.py)
    # The same figure, written per language: 10 received, 2 of them online (20 %).
    assert '<p class="figure" data-role="value">10</p>' in english
    assert '<p class="figure" data-role="value">20,0 %</p>' in vietnamese
    assert '<p class="figure" data-role="value">20.0%</p>' in english
    first, last = history.previous_month, history.previous_month.replace(day=28)
    assert f"{first:%d/%m/%Y}" in vietnamese and f"{first.day} {first:%b %Y}" in english
    assert last.strftime("%m/%Y") in vietnamese

    # The chart's data: the series' names, the months and the decimal mark of the page's language.
    for html, language, series, month in (
        (vietnamese, "vi", "Tỷ lệ trực tuyến", f"{first:%m/%Y}"),
        (english, "en", "Online share", f"{first:%b %Y}"),
    ):
        data = chart_data(html)
        assert data["text"]["online_share"] == series and data["text"]["language"] == language
        assert data["text"]["decimal_mark"] == ("," if language == "vi" else ".")
        assert month in [p["month"] for p in data["trend"]]


@pytest.mark.parametrize(
    ("username", "params", "status", "words"),
    [
        (
            "clerk_tuphap",
            {},
            403,
            "The statistics pages are for statisticians, leaders, supervisors and administrators.",
        ),
        ("stats_vangiang", {"scope": KHOAI_CHAU}, 404, "No agency with this code in your scope."),
        (
            "supervisor",
            {"period": "custom", "start": "2025-03-01", "end": "2025-02-01"},
            400,
            "To: The end must not be before the start.",
        ),
        ("supervisor", {"period": "month", "month": "13"}, 400, "Month: Must be a whole number from 1 to 12."),
    ],
)
def test_error_pages_in_english(demo, username, params, status, words):
    response = as_reader("en", username).get("/dashboard/", params)
    assert response.status_code == status
    assert words in " ".join(assert_english(response.content.decode()))
    vietnamese = as_reader("vi", username).get("/dashboard/", params)
    assert_vietnamese(vietnamese.content.decode())


def test_ties_in_the_ranking_follow_vietnamese_name_order(demo):
    """Agencies with the same figures: "Đ" after "D" and before "E" (bytes would put it after "E";
    the agencies' codes, the order before, would put Đường sắt first)."""
    province = Agency.objects.get(code="000.00.00.H29")
    for code, name in (("Z9.H29", "Phòng Dân tộc"), ("A9.H29", "Phòng Đường sắt"), ("M9.H29", "Phòng Em bé")):
        agency_save(code=code, name=name, tier="province", parent=province)
    page = dashboard_page_data(User.objects.get(username="supervisor"), {"period": "year"})
    names = [a["name"] for a in page["agencies"] if a["name"].startswith("Phòng ")]
    assert names == ["Phòng Dân tộc", "Phòng Đường sắt", "Phòng Em bé"]


def test_a_user_who_chose_english_signs_in_to_english_pages(demo):
    User.objects.filter(username="supervisor").update(language="en")
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "supervisor", "password": PASSWORD, "next": "/dashboard/"}, follow=True
    )
    assert response.status_code == 200 and '<html lang="en">' in response.content.decode()

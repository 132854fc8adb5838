"""The citizens' public pages: landing, /tra-cuu/ lookup, favicon (server-rendered, no sign-in)."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.dossiers.models import Dossier
from tests.dossier_fixtures import VN

pytestmark = pytest.mark.django_db
ID_NUMBER = "001088000777"  # the `register` fixture's applicant
HOSTILE = '<script>alert("x")</script>'


def act(client, dossier_id: int, action: str, body: dict) -> None:
    response = client.post(f"/api/v1/dossiers/{dossier_id}/{action}/", body, format="json")
    assert response.status_code == 200, response.json()


@pytest.fixture
def counter_dossier(register, clock, media_root) -> Dossier:
    clock.set(2025, 11, 17, 8, 0)  # Monday 08:00
    response = register()
    assert response.status_code == 201, response.json()
    return Dossier.objects.get(pk=response.json()["id"])


def lookup(client: Client, code: str, id_number: str):
    return client.post("/tra-cuu/", {"ma": code, "so_giay_to": id_number})


def without_csrf(html: str) -> str:
    """The page minus its CSRF token and the code the citizen typed (kept in the field)."""
    return re.sub(r'name="(csrfmiddlewaretoken|ma)" value="[^"]*"', "", html)


def assert_no_inline_code(html: str) -> None:
    assert "<script" not in html.lower() and "style=" not in html.lower() and "<style" not in html.lower()


def test_landing_page_says_what_this_is_and_links_everywhere(demo):
    response = Client().get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dịch vụ công một cửa điện tử" in html and '<html lang="vi">' in html
    for href in ('href="/tra-cuu/"', 'href="/api/docs/"', 'href="/dashboard/"', 'href="/accounts/login/"'):
        assert href in html, href
    assert 'name="viewport"' in html  # mobile-first
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert_no_inline_code(html)


def test_favicon(demo):
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in Client().get("/").content.decode()


def test_the_qr_url_fills_the_code_in(demo):
    response = Client().get("/tra-cuu/", {"ma": "000.00.17.H29-251117-0001"})
    assert response.status_code == 200
    assert 'name="ma" value="000.00.17.H29-251117-0001"' in response.content.decode()
    hostile = Client().get("/tra-cuu/", {"ma": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;alert(1)" in hostile


def test_lookup_shows_status_dates_and_where_to_collect(counter_dossier):
    response = lookup(Client(), counter_dossier.code, ID_NUMBER)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert 'id="result"' in html and counter_dossier.code in html
    assert "Đã tiếp nhận" in html  # the status' Vietnamese label
    assert "08:00 17/11/2025" in html  # received, local time
    assert counter_dossier.appointment_at is not None
    assert f"{counter_dossier.appointment_at.astimezone(VN):%H:%M %d/%m/%Y}" in html
    assert "Chưa có kết quả" in html and counter_dossier.receiving_agency.name in html
    assert "N. V. Bảy" in html and "Nguyễn Văn Bảy" not in html  # the name masked, as on the API
    assert ID_NUMBER not in html  # the second factor is not echoed back
    assert_no_inline_code(html)


def test_lookup_shows_a_supplement_request_and_a_ready_result(counter_dossier, as_user, clock):
    clerk = as_user("clerk_tuphap")
    clock.set(2025, 11, 18, 9, 0)
    act(clerk, counter_dossier.pk, "request_supplement",
        {"reason": "Thiếu giấy tờ", "items": ["Bản sao CCCD có chứng thực", "Tờ khai bổ sung mục cư trú"]})
    html = lookup(Client(), counter_dossier.code, ID_NUMBER).content.decode()
    assert "Chờ bổ sung" in html and 'id="result-supplement"' in html
    assert "Bản sao CCCD có chứng thực" in html and "Tờ khai bổ sung mục cư trú" in html

    clock.set(2025, 11, 19, 9, 0)
    act(clerk, counter_dossier.pk, "supplement", {"note": "Đã nộp bản sao"})
    act(clerk, counter_dossier.pk, "assign", {"assignee": "specialist_tuphap"})
    act(as_user("specialist_tuphap"), counter_dossier.pk, "resolve", {"result": "approved"})
    html = lookup(Client(), counter_dossier.code, ID_NUMBER).content.decode()
    assert "Đã có kết quả" in html and 'id="result-supplement"' not in html
    assert "Mời ông/bà đến nhận kết quả tại" in html and counter_dossier.receiving_agency.name in html

    clock.set(2025, 11, 20, 9, 0)
    act(clerk, counter_dossier.pk, "return", {"method": "counter"})
    html = lookup(Client(), counter_dossier.code, ID_NUMBER).content.decode()
    assert "Đã trả kết quả" in html and "20/11/2025" in html


def test_a_wrong_pair_gets_one_neutral_answer(counter_dossier, submit):
    other = Dossier.objects.get(pk=submit().json()["id"])  # a real code with someone else's number
    answers = {
        without_csrf(lookup(Client(), code, number).content.decode())
        for code, number in [
            (counter_dossier.code, "001088000778"),  # right code, wrong number
            ("000.00.17.H29-251117-9999", ID_NUMBER),  # wrong code, right number
            (other.code, ID_NUMBER),  # another dossier's code
            ("nope", "nope"),
        ]
    }
    assert len(answers) == 1  # byte for byte the same page: no hint which half was wrong
    (html,) = answers
    assert 'id="not-found"' in html and 'id="result"' not in html


def test_empty_fields_are_a_form_error_not_a_lookup(demo):
    response = Client().post("/tra-cuu/", {"ma": " ", "so_giay_to": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-ma"' in html and 'id="error-so-giay-to"' in html and 'id="not-found"' not in html


def test_every_shown_value_is_escaped(counter_dossier, as_user, clock):
    Dossier.objects.filter(pk=counter_dossier.pk).update(applicant_name=f"Lê {HOSTILE}")
    clock.set(2025, 11, 18, 9, 0)
    act(as_user("clerk_tuphap"), counter_dossier.pk, "request_supplement",
        {"reason": f"Lý do {HOSTILE}", "items": [f"Giấy {HOSTILE}"]})
    html = lookup(Client(), counter_dossier.code, ID_NUMBER).content.decode()
    assert 'id="result"' in html
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 3  # name, reason, item: as text


def test_page_and_api_share_one_rate_limit(counter_dossier, settings, api):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "lookup": "3/min"}}
    assert api.get(f"/api/v1/lookup/{counter_dossier.code}/", {"id_number": ID_NUMBER}).status_code == 200
    assert api.get(f"/api/v1/lookup/{counter_dossier.code}/", {"id_number": "x"}).status_code == 404
    assert lookup(Client(), counter_dossier.code, ID_NUMBER).status_code == 200  # the 3rd in the bucket
    refused = lookup(Client(), counter_dossier.code, ID_NUMBER)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert 'id="throttled"' in refused.content.decode() and 'id="result"' not in refused.content.decode()
    assert api.get(f"/api/v1/lookup/{counter_dossier.code}/", {"id_number": ID_NUMBER}).status_code == 429
    assert Client().get("/tra-cuu/").status_code == 200  # the empty form is not a lookup


def test_lookup_page_refuses_other_methods(demo):
    assert Client().put("/tra-cuu/").status_code == 405
    assert Client().post("/").status_code == 405

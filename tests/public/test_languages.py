"""The citizens' pages in Vietnamese (the default) and in English (the switcher's cookie), each in one
language: landing, lookup (form, result, not found, form errors, too many), the error pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.i18n.pages import assert_english, assert_vietnamese

from .test_pages import ID_NUMBER, act, counter_dossier, lookup

__all__ = ["counter_dossier"]  # fixture
pytestmark = pytest.mark.django_db


def in_language(language: str) -> Client:
    client = Client()
    if language == "en":
        client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("vi", ["Dịch vụ công một cửa điện tử", "Tra cứu hồ sơ", "Đăng nhập cán bộ"]),
        ("en", ["One-stop public services", "Look up a dossier", "Staff sign-in"]),
    ],
)
def test_landing(demo, language, words):
    html = in_language(language).get("/").content.decode()
    texts = (assert_vietnamese if language == "vi" else assert_english)(html)
    for word in words:
        assert any(word in t for t in texts), word


def test_an_english_browser_alone_gets_vietnamese(counter_dossier):
    for response in (
        Client().get("/", HTTP_ACCEPT_LANGUAGE="en"),
        Client().get("/tra-cuu/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"),
        Client().post("/tra-cuu/", {"ma": counter_dossier.code, "so_giay_to": ID_NUMBER}, HTTP_ACCEPT_LANGUAGE="en"),
    ):
        assert_vietnamese(response.content.decode())


def test_lookup_result_in_each_language(counter_dossier, as_user, clock):
    clock.set(2025, 11, 18, 9, 0)
    act(
        as_user("clerk_tuphap"),
        counter_dossier.pk,
        "request_supplement",
        {"reason": "Thiếu giấy tờ", "items": ["Bản sao CCCD có chứng thực"]},
    )
    vietnamese = assert_vietnamese(lookup(in_language("vi"), counter_dossier.code, ID_NUMBER).content.decode())
    assert "Chờ bổ sung" in vietnamese and "08:00 17/11/2025" in vietnamese
    assert "Cơ quan đề nghị bổ sung hồ sơ" in vietnamese
    english = assert_english(lookup(in_language("en"), counter_dossier.code, ID_NUMBER).content.decode())
    assert "Awaiting supplement" in english  # the status label, in English
    assert "08:00, 17 Nov 2025" in english and "The agency asks for more documents" in english
    assert "Thiếu giấy tờ" in english  # what the clerk typed stays as typed


def test_lookup_with_a_fee_due_formats_the_amount_per_language(counter_dossier, as_user, clock):
    clock.set(2025, 11, 18, 9, 0)
    act(as_user("clerk_tuphap"), counter_dossier.pk, "request_payment", {"amount": "1250000"})
    vietnamese = lookup(in_language("vi"), counter_dossier.code, ID_NUMBER).content.decode()
    english = lookup(in_language("en"), counter_dossier.code, ID_NUMBER).content.decode()
    assert 'id="result-fee">1.250.000 đồng<' in vietnamese and 'id="result-fee">1,250,000 VND<' in english
    assert_vietnamese(vietnamese)
    assert "Fees and charges due" in assert_english(english)


def test_lookup_returned_result_in_each_language(counter_dossier, as_user, clock):
    clerk = as_user("clerk_tuphap")
    clock.set(2025, 11, 19, 9, 0)
    act(clerk, counter_dossier.pk, "assign", {"assignee": "specialist_tuphap"})
    act(as_user("specialist_tuphap"), counter_dossier.pk, "resolve", {"result": "approved"})
    act(clerk, counter_dossier.pk, "return", {"method": "counter"})
    assert "Kết quả đã được trả ngày 19/11/2025." in assert_vietnamese(
        lookup(in_language("vi"), counter_dossier.code, ID_NUMBER).content.decode()
    )
    assert "The result was handed over on 19 Nov 2025." in assert_english(
        lookup(in_language("en"), counter_dossier.code, ID_NUMBER).content.decode()
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("vi", "Không tìm thấy hồ sơ khớp với mã hồ sơ và số giấy tờ đã nhập."),
        ("en", "No dossier matches this dossier code and ID number."),
    ],
)
def test_not_found_in_each_language(counter_dossier, language, words):
    html = lookup(in_language(language), counter_dossier.code, "001088000778").content.decode()
    texts = (assert_vietnamese if language == "vi" else assert_english)(html)
    assert any(words in t for t in texts)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("vi", ["Vui lòng nhập mã hồ sơ.", "Vui lòng nhập số giấy tờ tùy thân."]),
        ("en", ["Please enter the dossier code.", "Please enter the ID number."]),
    ],
)
def test_form_errors_in_each_language(demo, language, words):
    response = in_language(language).post("/tra-cuu/", {"ma": "", "so_giay_to": ""})
    assert response.status_code == 400
    texts = (assert_vietnamese if language == "vi" else assert_english)(response.content.decode())
    assert all(word in texts for word in words)


def test_too_many_lookups_in_english(counter_dossier, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "lookup": "1/min"},
    }
    client = in_language("en")
    lookup(client, counter_dossier.code, ID_NUMBER)
    refused = lookup(client, counter_dossier.code, ID_NUMBER)
    assert refused.status_code == 429
    assert any(t.startswith("Too many look-ups.") for t in assert_english(refused.content.decode()))


@pytest.mark.parametrize(
    ("language", "heading", "words"),
    [
        ("vi", "Lỗi 404", "Không có trang nào ở địa chỉ này."),
        ("en", "Error 404", "There is no page at this address."),
    ],
)
def test_the_404_page_in_each_language(demo, language, heading, words):
    response = in_language(language).get("/no-such-page/")
    assert response.status_code == 404
    texts = (assert_vietnamese if language == "vi" else assert_english)(response.content.decode())
    assert heading in texts and words in texts


def test_the_500_page_in_each_language(demo, settings):
    from django.template.loader import render_to_string
    from django.utils import translation

    for language, words in (("vi", "Hệ thống gặp lỗi"), ("en", "Something went wrong")):
        with translation.override(language):
            html = render_to_string("500.html")  # as Django renders it: no request
        assert f'<html lang="{language}">' in html and words in html and "language-switcher" not in html


def test_a_signed_in_english_user_reads_the_citizens_pages_in_english(counter_dossier):
    from apps.accounts.models import User

    user = User.objects.get(username="citizen1")
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    assert_english(client.get("/").content.decode())
    assert_english(lookup(client, counter_dossier.code, ID_NUMBER).content.decode())

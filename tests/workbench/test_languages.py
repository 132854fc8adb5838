"""The clerk workbench in Vietnamese (the default) and in English (the clerk's own choice), each page
in one language: the queue, the dossier page with its history and action forms, counter registration,
printing, the kiosk, the error pages; an English browser alone changes nothing."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.accounts.models import User
from apps.dossiers.models import Dossier
from tests.dossier_fixtures import PDF, PNG
from tests.i18n.pages import assert_english, assert_vietnamese

from .test_pages import _post_action, queue_data, text_of

__all__ = ["queue_data"]  # fixture
pytestmark = pytest.mark.django_db


def clerk_in(language: str, username: str = "clerk_tuphap") -> Client:
    User.objects.filter(username=username).update(language=language)
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def both(path: str, username: str = "clerk_tuphap", **params) -> tuple[list[str], list[str]]:
    """The page's texts in Vietnamese and in English, each checked to be in its language only."""
    vietnamese = clerk_in("vi", username).get(path, params)
    english = clerk_in("en", username).get(path, params)
    assert vietnamese.status_code == english.status_code, path
    return assert_vietnamese(text_of(vietnamese)), assert_english(text_of(english))


@pytest.fixture
def handled(queue_data) -> Dossier:
    """The online dossier taken through a supplement request, the supplement, the result (with its
    file) and the return: a page with every kind of history line, document stage and form."""
    dossier = Dossier.objects.get(code=queue_data["online"])
    specialist, clerk = clerk_in("vi", "specialist_tuphap"), clerk_in("vi")
    steps = [
        (specialist, "request_supplement", {"reason": "Ban chup CCCD mo", "document_types": ["CCCD"]}),
        (clerk, "supplement", {"CCCD": SimpleUploadedFile("cccd.png", PNG)}),
        (specialist, "resolve", {"result": "approved", "KQ": SimpleUploadedFile("kq.pdf", PDF)}),
        (clerk, "return", {"method": "counter", "note": "Nhan tai quay"}),
    ]
    for client, action, data in steps:
        dossier.refresh_from_db()
        assert _post_action(client, dossier, action, data).status_code == 302, action
    dossier.refresh_from_db()
    return dossier


def test_the_queue_in_each_language(queue_data):
    vietnamese, english = both("/workbench/")
    assert {"Hồ sơ cần xử lý", "Chờ tiếp nhận", "Quá hạn", "Trực tiếp", "Mã hồ sơ"} <= set(vietnamese)
    assert {
        "Dossiers to handle",
        "Awaiting reception",
        "Overdue",
        "At the counter",
        "Dossier code",
        "Received",
        "Due today",
    } <= set(english)
    assert "· Order: soonest due first" in english
    # Dates in the page language: "17/11/2025 08:00" / "17 Nov 2025, 08:00".
    assert any(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", t) for t in vietnamese)
    assert any(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", t) for t in english)


def test_the_queues_errors_in_each_language(queue_data):
    vietnamese, english = both("/workbench/", status="nonsense")
    assert "Bộ lọc không hợp lệ." in vietnamese and "Invalid filters." in english
    assert "Status:" in english  # the field, named in English


def test_an_english_browser_alone_gets_the_vietnamese_workbench(queue_data):
    client = clerk_in("vi")
    assert_vietnamese(text_of(client.get("/workbench/", HTTP_ACCEPT_LANGUAGE="en")))
    dossier = Dossier.objects.get(code=queue_data["online"])
    assert_vietnamese(text_of(client.get(f"/workbench/dossiers/{dossier.pk}/", HTTP_ACCEPT_LANGUAGE="en")))


def test_the_dossier_page_with_its_action_forms_in_each_language(queue_data):
    dossier = Dossier.objects.get(code=queue_data["counter"])
    vietnamese, english = both(f"/workbench/dossiers/{dossier.pk}/", username="leader_tuphap")
    assert {"Thao tác", "Phân công xử lý", "Giải quyết", "Quá trình xử lý", "Tiếp nhận trực tiếp"} <= set(vietnamese)
    assert {
        "Actions",
        "Assign",
        "Resolve",
        "History",
        "Register at the counter",
        "Approved",
        "Refused",
        "Receipt of dossier and appointment for results",
        "Intake",
    } <= set(english)


def test_a_handled_dossier_page_and_its_kiosk_in_each_language(handled):
    vietnamese, english = both(f"/workbench/dossiers/{handled.pk}/")
    assert {"Kết quả", "Tạm dừng để bổ sung hồ sơ", "Đã trả kết quả", "Tại quầy"} <= set(vietnamese)
    assert {
        "Result",
        "Paused for more documents",
        "Result returned",
        "At the counter",
        "Approved",
        "Supplement",
        "Documents to add",
        "Reason",
        "Timeliness",
        "Request to supplement and complete a dossier",
    } <= set(english)
    assert "Ban chup CCCD mo" in english  # what the specialist typed, as typed

    vietnamese, english = both(f"/workbench/dossiers/{handled.pk}/rating/")
    assert "Ông/bà có hài lòng với việc giải quyết hồ sơ không?" in vietnamese
    assert {"Are you satisfied with how your dossier was handled?", "Very satisfied", "Guidance"} <= set(english)


def test_the_kiosk_thanks_in_english(queue_data):
    dossier = Dossier.objects.get(code=queue_data["counter"])
    leader, clerk = clerk_in("vi", "leader_tuphap"), clerk_in("en")
    assert _post_action(leader, dossier, "resolve", {"result": "approved"}).status_code == 302
    dossier.refresh_from_db()
    assert _post_action(clerk, dossier, "return", {"method": "counter"}).status_code == 302
    response = clerk.post(f"/workbench/dossiers/{dossier.pk}/rating/", {"level": "satisfied"})
    assert response.status_code == 201
    texts = assert_english(text_of(response))
    assert "Thank you for your rating! Satisfaction:" in texts and "Satisfied" in texts


def test_flash_messages_and_conflicts_in_english(queue_data):
    dossier = Dossier.objects.get(code=queue_data["submitted"])
    clerk = clerk_in("en")
    response = _post_action(clerk, dossier, "accept")
    assert response.status_code == 302
    assert "Done: Accept." in assert_english(text_of(clerk.get(response["Location"])))
    stale = _post_action(clerk, dossier, "reject", {"reason": "x"})  # the version the page had before
    assert stale.status_code in (409, 412)
    assert any(t.startswith("Someone else acted on this dossier before you") for t in assert_english(text_of(stale)))
    # The page answered a POST: switching language goes back to the dossier's own page, not the action's.
    assert f'name="next" value="/workbench/dossiers/{dossier.pk}/"' in text_of(stale)


def test_registration_and_printing_in_each_language(demo, media_root):
    vietnamese, english = both("/workbench/register/", q="lý lịch")
    assert "Chọn thủ tục" in vietnamese and "Choose the procedure" in english
    offering = re.search(r"\?offering=(\d+)", text_of(clerk_in("vi").get("/workbench/register/", {"q": "lý lịch"})))[1]
    vietnamese, english = both("/workbench/register/", offering=offering)
    assert {"Người nộp hồ sơ", "Công dân"} <= set(vietnamese)
    assert {"Applicant", "Citizen", "Reception", "Register and print the receipt"} <= set(english)

    clerk = clerk_in("en")
    form = text_of(clerk.get("/workbench/register/", {"offering": offering}))
    key = re.search(r'name="idempotency_key" value="(\w+)"', form)[1]
    refused = clerk.post(
        "/workbench/register/",
        {
            "offering": offering,
            "idempotency_key": key,
            "channel": "counter",
            "applicant_type": "citizen",
            "applicant_name": "",
            "applicant_id_number": "",
        },
    )
    assert refused.status_code == 400
    assert "The dossier was not registered:" in assert_english(text_of(refused))
    files = {"TKLLTP": SimpleUploadedFile("to-khai.pdf", PDF), "CCCD": SimpleUploadedFile("cccd.png", PNG)}
    response = clerk.post(
        "/workbench/register/",
        {
            "offering": offering,
            "idempotency_key": key,
            "channel": "counter",
            "applicant_type": "citizen",
            "applicant_name": "Tran Thi Tuoi",
            "applicant_id_number": "001190000999",
            **files,
        },
    )
    assert response.status_code == 302
    printing = assert_english(text_of(clerk.get(response["Location"])))
    assert "Receipt of dossier and appointment for results" in printing and "Print" in printing


@pytest.mark.parametrize(
    ("username", "path", "status", "words"),
    [
        (
            "citizen1",
            "/workbench/",
            403,
            "The one-stop workbench is for the agency's one-stop clerks, specialists and leaders.",
        ),
        ("clerk_xuanquan", "/workbench/dossiers/{pk}/", 404, None),
        ("specialist_tuphap", "/workbench/register/", 403, None),
    ],
)
def test_error_pages_in_each_language(queue_data, username, path, status, words):
    dossier = Dossier.objects.get(code=queue_data["online"])
    vietnamese, english = both(path.format(pk=dossier.pk), username=username)
    assert f"Lỗi {status}" in vietnamese and f"Error {status}" in english
    assert words is None or words in english

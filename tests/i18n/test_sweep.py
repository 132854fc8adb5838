"""A sweep of real 4xx responses in each language: no message of the other language (issue 16)."""
from __future__ import annotations

import pytest

from tests.dossier_fixtures import RECORD

from .catalogues import looks_vietnamese

# (who, method, path, body): bad requests a person can really make.
BAD_REQUESTS = [
    ("anonymous", "get", "/api/v1/procedures/NO-SUCH/", None),
    ("anonymous", "get", "/api/v1/agencies/NO-SUCH/", None),
    ("anonymous", "get", "/api/v1/agencies/", {"ordering": "password"}),
    ("anonymous", "get", "/api/v1/procedures/", {"page_size": "0"}),
    ("anonymous", "get", "/api/v1/procedures/", {"cursor": "garbage"}),
    ("anonymous", "get", "/api/v1/dossiers/", None),
    ("anonymous", "get", "/api/v1/no-such-endpoint/", None),
    ("anonymous", "get", "/api/v1/calendar/1800/", None),
    ("anonymous", "post", "/api/v1/auth/token/", {"username": "nobody", "password": "wrong-password"}),
    ("anonymous", "post", "/api/v1/auth/register/", {"username": "", "password": "x"}),
    ("citizen1", "get", "/api/v1/dossiers/", None),
    ("citizen1", "post", "/api/v1/dossiers/", {"agency": "NO-SUCH", "procedure": RECORD["procedure"]}),
    ("citizen1", "post", "/api/v1/dossiers/", {**RECORD, "form_data": "not an object"}),
    ("clerk_tuphap", "post", "/api/v1/dossiers/register/",
     {"agency": "x", "channel": "zzz", "applicant": {"email": "bad", "birth_date": "31/02/1990"}}),
    ("clerk_tuphap", "get", "/api/v1/dossiers/", {"status": "nonsense", "due_within_days": "x"}),
    ("clerk_tuphap", "get", "/api/v1/dossiers/999999999/", None),
    ("clerk_tuphap", "post", "/api/v1/ratings/kiosk/", {"code": "NO-SUCH", "id_number": "1", "level": "x"}),
    ("supervisor", "get", "/api/v1/stats/summary/", {"from": "2026-13-01", "to": "x"}),
]


def _texts(body: dict) -> list[str]:
    texts = [body["title"], body["detail"]]
    texts += [error["message"] for error in body.get("errors", [])]
    return texts


@pytest.fixture
def responses(demo, as_user, api):
    def collect(language: str) -> list[tuple[str, dict]]:
        out = []
        for who, method, path, body in BAD_REQUESTS:
            client = api if who == "anonymous" else as_user(who)
            call = getattr(client, method)
            kwargs = {"format": "json"} if method == "post" else {}
            response = call(path, body, HTTP_ACCEPT_LANGUAGE=language, **kwargs)
            assert 400 <= response.status_code < 500, (path, response.status_code)
            assert response["Content-Type"].startswith("application/problem+json"), path
            assert response["Content-Language"] == language, path
            out.append((f"{method.upper()} {path}", response.json()))
        return out

    return collect


@pytest.mark.django_db
def test_vietnamese_responses_hold_no_english_message(responses):
    for request, body in responses("vi"):
        for text in _texts(body):
            assert looks_vietnamese(text), f"{request}: {text!r}"


@pytest.mark.django_db
def test_english_responses_hold_no_vietnamese_message(responses):
    for request, body in responses("en"):
        for text in _texts(body):
            assert not looks_vietnamese(text), f"{request}: {text!r}"


@pytest.mark.django_db
def test_no_accept_language_means_vietnamese(demo, api):
    response = api.get("/api/v1/procedures/NO-SUCH/")
    assert response["Content-Language"] == "vi"
    assert response.json()["detail"] == "Không có thủ tục hành chính với mã này."
    english = api.get("/api/v1/procedures/NO-SUCH/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.json()["detail"] == "No procedure with this code."


@pytest.mark.django_db
def test_codes_stay_english_and_stable_in_both_languages(demo, api):
    for language in ("vi", "en"):
        body = api.get("/api/v1/agencies/", {"ordering": "x"}, HTTP_ACCEPT_LANGUAGE=language).json()
        assert body["code"] == "validation_error" and body["errors"][0]["code"] == "invalid"
        assert body["type"] == "urn:onestop:problem:validation_error"


@pytest.mark.django_db
def test_labels_follow_the_request_language(demo, as_user, register):
    created = register().json()
    clerk = as_user("clerk_tuphap")
    vietnamese = clerk.get(f"/api/v1/dossiers/{created['id']}/", HTTP_ACCEPT_LANGUAGE="vi").json()
    english = clerk.get(f"/api/v1/dossiers/{created['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (vietnamese["status"], vietnamese["status_label"]) == ("received", "Đã tiếp nhận")
    assert english["status_label"] == "Received"
    assert vietnamese["channel_label"] == "Trực tiếp" and english["channel_label"] == "At the counter"
    assert vietnamese["online_level_label"] == "Mức độ 4" and english["online_level_label"] == "Level 4"
    assert set(vietnamese["allowed_action_labels"]) == set(vietnamese["allowed_actions"])
    assert vietnamese["allowed_action_labels"].get("request_supplement") == "Yêu cầu bổ sung"
    assert english["allowed_action_labels"].get("request_supplement") == "Request supplement"
    history = clerk.get(f"/api/v1/dossiers/{created['id']}/history/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert history[0]["action_label"] == "Register at the counter" and history[0]["to_status_label"] == "Received"
    agency = as_user("clerk_tuphap").get("/api/v1/agencies/000.00.17.H29/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert agency["tier_label"] == "Province"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("vi", "Yêu cầu bị giới hạn tần suất. Hãy thử lại sau {wait} giây."),
    ("en", "Request was throttled. Expected available in {wait} seconds."),
])
def test_a_throttled_answer_is_in_one_language(demo, as_user, rates, language, expected):
    """DRF filled the wait in before translating, so a Vietnamese 429 ended "... Expected available in
    60 seconds." (regression)."""
    rates(submission="1/min")
    citizen = as_user("citizen1")
    citizen.post("/api/v1/dossiers/", {}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    response = citizen.post("/api/v1/dossiers/", {}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 429
    body = response.json()
    assert body["detail"] == expected.format(wait=body["retry_after"])
    assert looks_vietnamese(body["title"]) == (language == "vi")

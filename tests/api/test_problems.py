"""Every error is RFC 9457 problem JSON, including routes that do not exist."""
import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"] and body["detail"]
    return body


@pytest.mark.django_db
def test_unknown_api_route_is_problem_json(api):
    body = assert_problem(api.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing/"


@pytest.mark.django_db
def test_unknown_object_is_problem_json(api):
    assert_problem(api.get("/api/v1/procedures/9.999999/"), 404, "not_found")


@pytest.mark.django_db
def test_not_authenticated_is_401_problem(api):
    response = api.get("/api/v1/me/")
    assert_problem(response, 401, "not_authenticated")
    assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_method_not_allowed_is_405_problem(api):
    response = api.delete("/api/v1/procedures/")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_malformed_json_is_400_problem(api):
    response = api.post("/api/v1/auth/register/", data="{not json", content_type="application/json")
    assert_problem(response, 400, "parse_error")


@pytest.mark.django_db
def test_wrong_content_type_is_415_problem(api):
    response = api.post("/api/v1/auth/register/", data="a=b", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_validation_errors_name_each_field(api):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "x", "password": "short", "applicant_type": "alien"},
        format="json",
    )
    body = assert_problem(response, 400, "validation_error")
    fields = {error["field"] for error in body["errors"]}
    assert {"username", "password", "applicant_type", "full_name", "id_number"} <= fields
    for error in body["errors"]:
        assert error["code"] and error["message"]


def test_flatten_nested_errors():
    from rest_framework.exceptions import ErrorDetail

    from apps.common.problems import flatten_errors

    errors = flatten_errors(
        {
            "applicant": {"id_number": [ErrorDetail("bad", code="invalid")]},
            "documents": [{}, {"file": [ErrorDetail("too big", code="max_size")]}],
            "non_field_errors": [ErrorDetail("whole thing", code="conflict")],
        }
    )
    assert errors == [
        {"field": "applicant.id_number", "code": "invalid", "message": "bad"},
        {"field": "documents[1].file", "code": "max_size", "message": "too big"},
        {"field": "non_field_errors", "code": "conflict", "message": "whole thing"},
    ]


def test_domain_errors_map_to_their_status():
    from apps.common.problems import DOMAIN_STATUS
    from onestop.errors import ErrorCode

    # Every domain code has an HTTP status: a new code without one would surface as 422 silently.
    assert set(DOMAIN_STATUS) == set(ErrorCode)
    assert DOMAIN_STATUS[ErrorCode.INVALID_TRANSITION] == 409
    assert DOMAIN_STATUS[ErrorCode.PRECONDITION_FAILED] == 412
    assert DOMAIN_STATUS[ErrorCode.IDEMPOTENCY_KEY_REUSED] == 422

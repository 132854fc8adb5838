"""UPLOAD_MAX_REQUEST_BYTES: the whole body, refused from its Content-Length before it is read (issue 14,
item 9: nginx in front enforces the same number, see tests/test_deploy_files.py)."""
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/dossiers/", "/api/v1/portal/dossiers/"])
def test_a_body_over_the_limit_is_a_413_problem_before_it_is_read(settings, path):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    response = Client().generic("POST", path, data=b"x" * 1001, content_type="application/octet-stream")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


def test_at_the_limit_the_request_goes_on(settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    response = Client().generic("POST", "/api/v1/dossiers/", data=b"x" * 1000, content_type="application/json")
    assert response.status_code == 401  # reached the view: no credentials


@pytest.mark.parametrize("length", ["9" * 5000, "0" * 5000 + "1001"])
def test_absurd_content_lengths_are_refused_without_parsing_them(settings, length):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    response = Client().generic("POST", "/api/v1/dossiers/", data=b"", content_type="application/json",
                                CONTENT_LENGTH=length)
    assert response.status_code == 413


def test_pages_outside_the_api_get_a_plain_413(settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    response = Client().generic("POST", "/admin/login/", data=b"x" * 1001, content_type="text/plain")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")

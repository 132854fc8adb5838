import pytest

from apps.accounts.models import User
from apps.accounts.selectors import staff_agencies


@pytest.mark.django_db
def test_register_then_sign_in_with_jwt(api):
    response = api.post(
        "/api/v1/auth/register/",
        {
            "username": "nguyenvanan",
            "password": "Mat-khau-2025!",
            "full_name": "Nguyễn Văn An",
            "applicant_type": "citizen",
            "id_number": "001099012345",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["roles"] == ["applicant"]
    assert "password" not in response.json()

    token = api.post(
        "/api/v1/auth/token/", {"username": "nguyenvanan", "password": "Mat-khau-2025!"}, format="json"
    ).json()["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    me = api.get("/api/v1/me/").json()
    assert me["full_name"] == "Nguyễn Văn An" and me["id_number"] == "001099012345"


@pytest.mark.django_db
def test_register_refuses_taken_username(api, demo):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "CITIZEN1", "password": "Mat-khau-2025!", "full_name": "X",
         "applicant_type": "citizen", "id_number": "001099012345"},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "username", "code": "unique", "message": "This username is taken."
    }
    assert User.objects.filter(username__iexact="citizen1").count() == 1


@pytest.mark.django_db
def test_wrong_password_is_401_problem(api, demo):
    response = api.post("/api/v1/auth/token/", {"username": "citizen1", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_bad_bearer_token_is_401(api, demo):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_me_shows_roles_and_scope(as_user):
    me = as_user("stats_vangiang").get("/api/v1/me/").json()
    assert me["roles"] == ["statistician"]
    assert me["memberships"] == [
        {"agency": "000.00.31.H29", "agency_name": "Ủy ban nhân dân huyện Văn Giang",
         "include_subtree": True, "title": ""}
    ]


@pytest.mark.django_db
def test_staff_scope(demo):
    codes = lambda username: set(  # noqa: E731
        staff_agencies(User.objects.get(username=username)).values_list("code", flat=True)
    )
    assert codes("clerk_tuphap") == {"000.00.17.H29"}
    assert codes("stats_vangiang") == {"000.00.31.H29", "000.31.01.H29"}
    assert len(codes("supervisor")) == 7
    assert codes("citizen1") == set()


@pytest.mark.django_db
def test_roles_travel_in_the_token_and_save_a_query(api, demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = api.post("/api/v1/auth/token/", {"username": "clerk_tuphap", "password": "demo-Pass-2025"},
                     format="json").json()["access"]
    from rest_framework_simplejwt.tokens import AccessToken

    assert AccessToken(token)["roles"] == ["clerk"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/me/").json()["roles"] == ["clerk"]
    assert not any("auth_group" in q["sql"] for q in queries.captured_queries)

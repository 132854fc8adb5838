"""The account behind an access token (apps.accounts.tokens.RolesJWTAuthentication.get_user reads it
with apps.accounts.selectors.user_by_id): the same account as the ORM reads, and a token whose
account is gone, inactive, or not named is a 401, never a 500."""
from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.models import User
from apps.accounts.selectors import user_by_id
from apps.accounts.tokens import token_for

pytestmark = pytest.mark.django_db


def me(token) -> APIClient:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_plain_read_gives_the_account_the_orm_gives(demo):
    for user in User.objects.all():
        read = user_by_id(user.pk)
        assert read is not None and read.pk == user.pk
        assert {f.attname: getattr(read, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}
        assert model_to_dict(read) == model_to_dict(user) and not read._state.adding
    assert user_by_id(10**12) is None


def test_a_token_signs_in_its_account(demo):
    user = User.objects.get(username="citizen1")
    response = me(token_for(user).access_token)
    assert response.status_code == 200 and response.json()["username"] == "citizen1"


def test_a_token_of_a_deleted_account_is_refused(demo):
    user = User.objects.create_user(username="gone", password="x-Pass-2025-long")
    token = token_for(user).access_token
    User.objects.filter(pk=user.pk).delete()
    response = me(token)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_token_of_an_inactive_account_is_refused(demo):
    user = User.objects.get(username="citizen1")
    token = token_for(user).access_token
    User.objects.filter(pk=user.pk).update(is_active=False)  # no save(): the token version stays
    response = me(token)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("claim", ["not-a-number", None, [1]])
def test_a_token_naming_no_account_is_refused(demo, claim):
    token = AccessToken.for_user(User.objects.get(username="citizen1"))
    token["user_id"] = claim
    response = me(token)
    assert response.status_code == 401, response.content


def test_the_account_read_is_a_prepared_statement(demo):
    """Every signed request reads its account with the same statement: after psycopg's threshold of
    runs PostgreSQL no longer parses and plans it, and the account read stays correct."""
    from django.db import connection

    from apps.common.postgresql.base import PREPARE_THRESHOLD

    token = token_for(User.objects.get(username="citizen1")).access_token
    for _ in range(PREPARE_THRESHOLD + 2):
        response = me(token)
        assert response.status_code == 200 and response.json()["username"] == "citizen1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(s.startswith("SELECT") and "accounts_user" in s and "WHERE id = $1" in s for s in prepared), prepared

"""Issue 19: an access token's signature and claims are checked once per process (apps.accounts.tokens,
_checked_tokens); what can change is still checked on every request: the expiry, the account (active,
token version), a different token (any other bytes), the signing settings."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend

from apps.accounts.models import User
from apps.accounts.tokens import token_for

pytestmark = pytest.mark.django_db


def me(token) -> int:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Every token simplejwt decodes (signature and claims checked)."""
    seen: list[str] = []
    original = TokenBackend.decode

    def counting(self, token, verify=True):
        seen.append(token if isinstance(token, str) else token.decode())
        return original(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counting)
    return seen


def test_a_token_is_decoded_once_however_often_it_is_sent(demo, decodes):
    token = str(token_for(User.objects.get(username="citizen1")).access_token)
    assert [me(token) for _ in range(5)] == [200] * 5
    assert decodes == [token]


def test_a_checked_token_is_refused_once_it_expires(demo):
    access = token_for(User.objects.get(username="citizen1")).access_token
    access.set_exp(lifetime=timedelta(seconds=2))
    token = str(access)
    assert me(token) == 200
    time.sleep(2.2)
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401 and response["Content-Type"].startswith("application/problem+json")


def test_a_checked_token_with_another_signature_is_refused(demo):
    token = str(token_for(User.objects.get(username="citizen1")).access_token)
    assert me(token) == 200
    head, body, signature = token.split(".")
    forged = ".".join([head, body, ("A" if signature[0] != "A" else "B") + signature[1:]])
    assert me(forged) == 401
    assert me(token) == 200


def test_a_checked_token_of_a_deactivated_account_is_refused(demo):
    user = User.objects.get(username="citizen1")
    token = str(token_for(user).access_token)
    assert me(token) == 200
    user.is_active = False
    user.save()
    assert me(token) == 401


def test_changed_jwt_settings_forget_the_checked_tokens(demo, settings, decodes):
    """A change of SIMPLE_JWT or SECRET_KEY (a test's override; in production a restart) checks every
    token again."""
    token = str(token_for(User.objects.get(username="citizen1")).access_token)
    assert me(token) == 200 and me(token) == 200
    assert len(decodes) == 1
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": 0}
    assert me(token) == 200
    assert len(decodes) == 2

"""Issue 14, item 1 under real concurrency: one refresh token sent many times at once is spent once.

Threads, one PostgreSQL connection each, committed transactions (tests/dossiers/test_concurrency.py).
"""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import RefreshTokenFamily, User
from apps.accounts.tokens import token_for
from tests.dossiers.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refresh_token_sent_ten_times_at_once_yields_one_pair_and_ends_its_family(demo):
    raw = str(token_for(User.objects.get(username="citizen1")))

    def work(_: int) -> tuple[int, dict]:
        response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": raw}, format="json")
        return response.status_code, response.json()

    results = run_together(10, work)

    assert sorted(status for status, _ in results) == [200] + [401] * 9
    [winner] = [body for status, body in results if status == 200]
    # The other nine were replays of a spent token: the family ends, the winner's new token with it.
    family = RefreshTokenFamily.objects.get()
    assert family.revoked_at is not None and family.generation == 1
    again = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": winner["refresh"]}, format="json")
    assert again.status_code == 401

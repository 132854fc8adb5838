"""Issue 14, item 5: parallel sign-ups with one name (in any letter case) make one account.

Real concurrency: threads, one PostgreSQL connection each, committed transactions (like
tests/dossiers/test_concurrency.py, whose `run_together` releases the threads at once).
"""
from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from apps.accounts.models import User
from tests.dossiers.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

TAKEN = {"field": "username", "code": "unique", "message": "This username is taken."}


def sign_up(username: str, index: int = 0) -> tuple[int, dict]:
    response = APIClient(REMOTE_ADDR=f"10.0.0.{index + 1}").post(  # one address each: the sign-up limit is per IP
        "/api/v1/auth/register/",
        {"username": username, "password": "Mat-khau-2025!", "full_name": "Nguyễn Văn Đua",
         "applicant_type": "citizen", "id_number": f"0010990{index:05d}"},
        format="json", HTTP_ACCEPT_LANGUAGE="en",  # TAKEN is the English text
    )
    return response.status_code, response.json()


def test_twenty_parallel_sign_ups_with_one_name_make_one_account():
    results = run_together(20, lambda i: sign_up("raceX", i))

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [400] * 19, [body for status, body in results if status not in (201, 400)][:2]
    sequential = sign_up("raceX", 99)  # what a duplicate gets when nobody races
    assert sequential[0] == 400
    for status, body in results:
        if status == 400:
            assert body == {**sequential[1], "instance": body["instance"]}
            assert body["errors"] == [TAKEN]
    assert User.objects.filter(username__iexact="racex").count() == 1


def test_names_differing_only_in_case_race_to_one_account():
    names = ["raceX", "RACEX", "racex", "RaceX"] * 3
    results = run_together(len(names), lambda i: sign_up(names[i], i))

    assert sorted(status for status, _ in results) == [201] + [400] * (len(names) - 1)
    assert all(body["errors"] == [TAKEN] for status, body in results if status == 400)
    assert User.objects.filter(username__iexact="racex").count() == 1


def test_the_database_itself_refuses_a_name_differing_only_in_case():
    User.objects.create_user(username="Minh.Anh", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="minh.anh", password="x")
    assert User.objects.count() == 1

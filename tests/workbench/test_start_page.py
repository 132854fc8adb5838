"""Signing in without a `next` lands on the page of the person's daily work (issue 18: clerks were
sent to the statistics dashboard, which turned them away)."""
from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

PASSWORD = "demo-Pass-2025"


@pytest.mark.parametrize(("username", "lands_on"), [
    ("clerk_tuphap", "/workbench/"),
    ("specialist_tuphap", "/workbench/"),
    ("leader_xuanquan", "/workbench/"),  # a commune chairman who also examines: the queue
    ("leader_tuphap", "/dashboard/"),
    ("stats_vangiang", "/dashboard/"),
    ("supervisor", "/dashboard/"),
    ("admin", "/admin/"),  # the demo administrator may use the admin site
    ("citizen1", "/"),
])
def test_sign_in_without_next_lands_on_the_daily_page(username, lands_on):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain, "the sign-in did not redirect"
    assert response.redirect_chain[-1][0] == lands_on
    assert response.status_code == 200  # the page lets them in (no 403 page)


def test_an_administrator_without_the_admin_site_lands_on_the_statistics():
    from apps.accounts.models import User

    User.objects.filter(username="admin").update(is_staff=False)
    response = Client().post("/accounts/login/", {"username": "admin", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/" and response.status_code == 200


def test_a_next_still_wins():
    response = Client().post("/accounts/login/?next=/dashboard/", {"username": "clerk_tuphap",
                                                                   "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_the_start_page_without_a_session_goes_to_the_public_pages():
    response = Client().get("/accounts/start/")
    assert response.status_code == 302 and response["Location"] == "/"

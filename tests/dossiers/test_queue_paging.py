"""The clerk queue pages through every dossier: dated ones soonest due first, then the ones without a
due time (submitted, not yet received), in both directions (regression: DRF's cursor, keyed on
`due_at` alone, never reached the undated dossiers past a page boundary and refused a cursor taken on
one)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _walk(client, url: str, link: str = "next") -> list[str]:
    codes: list[str] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        page = [row["code"] for row in body["results"]]
        codes = codes + page if link == "next" else page + codes
        url = body[link]
        assert len(codes) <= 20
    return codes


@pytest.fixture
def queue(register, submit, media_root):
    dated = [register().json()["code"] for _ in range(2)]
    undated = [submit(username=name).json()["code"] for name in ("citizen1", "citizen2", "citizen1")]
    return dated + undated


def test_the_api_queue_pages_past_the_dossiers_without_a_due_time(queue, as_user):
    clerk = as_user("clerk_tuphap")
    assert _walk(clerk, "/api/v1/dossiers/?page_size=2") == queue
    assert _walk(clerk, "/api/v1/dossiers/?page_size=1&status=submitted") == queue[2:]
    last = clerk.get("/api/v1/dossiers/?page_size=2").json()
    while last["next"]:
        last = clerk.get(last["next"]).json()
    assert _walk(clerk, last["previous"], link="previous") + [r["code"] for r in last["results"]] == queue


def test_a_forged_cursor_is_a_400(queue, as_user):
    response = as_user("clerk_tuphap").get("/api/v1/dossiers/", {"cursor": "bm90IGpzb24"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"

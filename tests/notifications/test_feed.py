"""GET /api/v1/me/notifications/: the applicant's in-app feed (cursor, `unread`, mark read)."""
from __future__ import annotations

import pytest

from apps.notifications.models import Notification, NotificationChannel, NotificationStatus
from apps.notifications.services import notifications_send_pending

from .test_jobs import read_feed_until

FEED = "/api/v1/me/notifications/"


def act(client, dossier_id: int, action: str, body: dict) -> None:
    response = client.post(f"/api/v1/dossiers/{dossier_id}/{action}/", body, format="json")
    assert response.status_code == 200, response.json()


@pytest.fixture
def feed(submit, register, as_user, media_root):
    """citizen1 files online; the clerk accepts it and asks for a supplement; a counter dossier too."""
    dossier_id = submit().json()["id"]
    clerk = as_user("clerk_tuphap")
    act(clerk, dossier_id, "accept", {})
    act(clerk, dossier_id, "request_supplement", {"reason": "Thiếu giấy tờ", "items": ["Bản sao CCCD"]})
    register()  # a counter dossier: no applicant account to tell in the app
    assert read_feed_until(4) == 4
    return dossier_id


@pytest.mark.django_db(transaction=True)
def test_the_applicant_reads_and_marks_their_notifications(feed, as_user, api):
    citizen = as_user("citizen1")
    body = citizen.get(FEED).json()
    results = body["results"]
    assert [n["dossier"] for n in results] == [feed, feed]
    assert "cần bổ sung" in results[0]["body"] and "đã được tiếp nhận" in results[1]["body"]  # newest first
    assert all(n["unread"] and n["read_at"] is None and n["kind"] == "status_change" for n in results)
    assert results[0]["dossier_code"] and results[0]["subject"]
    # Nothing to deliver: the in-app rows are never picked up by the e-mail/SMS sender.
    assert not Notification.objects.filter(channel=NotificationChannel.APP).exclude(status=NotificationStatus.SENT)
    notifications_send_pending()
    assert Notification.objects.filter(channel=NotificationChannel.APP, attempts=0).count() == 2

    # Cursor pagination.
    first = citizen.get(FEED, {"page_size": 1}).json()
    assert [n["id"] for n in first["results"]] == [results[0]["id"]] and first["next"]
    second = citizen.get(first["next"]).json()
    assert [n["id"] for n in second["results"]] == [results[1]["id"]] and second["next"] is None

    # Mark one read (twice: the same answer), then filter.
    newest = results[0]["id"]
    marked = citizen.post(f"{FEED}{newest}/read/")
    assert marked.status_code == 200 and marked.json()["unread"] is False and marked.json()["read_at"]
    again = citizen.post(f"{FEED}{newest}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == marked.json()["read_at"]
    assert [n["id"] for n in citizen.get(FEED, {"unread": "true"}).json()["results"]] == [results[1]["id"]]
    assert [n["id"] for n in citizen.get(FEED, {"unread": "false"}).json()["results"]] == [newest]

    # Read all.
    assert citizen.post(f"{FEED}read-all/").json() == {"marked": 1}
    assert citizen.post(f"{FEED}read-all/").json() == {"marked": 0}
    assert citizen.get(FEED, {"unread": "true"}).json()["results"] == []

    # Someone else's notification does not exist for another applicant; staff have no feed.
    assert as_user("citizen2").get(FEED).json()["results"] == []
    other = as_user("citizen2").post(f"{FEED}{newest}/read/")
    assert other.status_code == 404 and other["Content-Type"].startswith("application/problem+json")
    assert as_user("clerk_tuphap").get(FEED).status_code == 403
    assert api.get(FEED).status_code == 401
    assert api.post(f"{FEED}read-all/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"unread": "maybe"}, {"cursor": "garbage"}, {"page_size": "0"},
                                   {"page_size": "abc"}])
def test_bad_input_is_problem_json(as_user, query):
    response = as_user("citizen1").get(FEED, query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"]


@pytest.mark.django_db
def test_unknown_notification_is_a_404_problem(as_user):
    response = as_user("citizen1").post(f"{FEED}999999/read/")
    assert response.status_code == 404 and response.json()["status"] == 404
    assert as_user("citizen1").get(f"{FEED}1/read/").status_code == 405

from datetime import timedelta

import pytest

from apps.dossiers.models import Dossier
from apps.ratings.models import Rating


@pytest.fixture
def finished(submit, as_user, clock, media_root):
    """A dossier of citizen1, accepted by clerk_tuphap and resolved; returns its id."""
    clock.set(2026, 11, 2, 9, 0)
    dossier_id = submit().json()["id"]
    as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json")
    clock.set(2026, 11, 5, 9, 0)
    as_user("specialist_tuphap").post(f"/api/v1/dossiers/{dossier_id}/resolve/", {"result": "approved"},
                                      format="json")
    return dossier_id


def _rate(client, dossier_id, **body):
    return client.post(f"/api/v1/dossiers/{dossier_id}/rating/",
                       {"level": "very_satisfied", "criteria": {"staff_attitude": "satisfied"},
                        "comment": "Cán bộ nhiệt tình", **body}, format="json")


@pytest.mark.django_db
def test_applicant_rates_once(finished, as_user, monkeypatch):
    monkeypatch.setattr("apps.ratings.services._now", lambda: Dossier.objects.get(pk=finished).resolved_at
                        + timedelta(days=3))
    response = _rate(as_user("citizen1"), finished)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["clerk"] == "clerk_tuphap" and body["agency"] == "000.00.17.H29" and body["source"] == "online"
    again = _rate(as_user("citizen1"), finished, level="dissatisfied")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert Rating.objects.get().level == "very_satisfied"


@pytest.mark.django_db
def test_rating_window_and_state(finished, as_user, monkeypatch, submit):
    resolved_at = Dossier.objects.get(pk=finished).resolved_at
    monkeypatch.setattr("apps.ratings.services._now", lambda: resolved_at + timedelta(days=30, seconds=1))
    assert _rate(as_user("citizen1"), finished).status_code == 409
    open_dossier = submit().json()["id"]
    too_early = _rate(as_user("citizen1"), open_dossier)
    assert too_early.status_code == 409 and too_early.json()["current_status"] == "submitted"
    assert Rating.objects.count() == 0


@pytest.mark.django_db
def test_others_cannot_rate(finished, as_user, monkeypatch):
    monkeypatch.setattr("apps.ratings.services._now", lambda: Dossier.objects.get(pk=finished).resolved_at)
    assert _rate(as_user("citizen2"), finished).status_code == 404
    assert _rate(as_user("clerk_tuphap"), finished).status_code == 403
    bad = _rate(as_user("citizen1"), finished, level="meh", criteria={"colour": "satisfied"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"level", "criteria"}
    long = _rate(as_user("citizen1"), finished, comment="x" * 2001)
    assert long.status_code == 400
    assert Rating.objects.count() == 0


@pytest.mark.django_db
def test_kiosk_rating_and_scoped_list(finished, as_user, monkeypatch):
    monkeypatch.setattr("apps.ratings.services._now", lambda: Dossier.objects.get(pk=finished).resolved_at)
    code = Dossier.objects.get(pk=finished).code
    wrong = as_user("clerk_tuphap").post("/api/v1/ratings/kiosk/",
                                         {"code": code, "id_number": "000000000000", "level": "satisfied"},
                                         format="json")
    assert wrong.status_code == 404
    other_agency = as_user("clerk_xuanquan").post("/api/v1/ratings/kiosk/",
                                                  {"code": code, "id_number": "001190012345", "level": "satisfied"},
                                                  format="json")
    assert other_agency.status_code == 404
    ok = as_user("clerk_tuphap").post("/api/v1/ratings/kiosk/",
                                      {"code": code, "id_number": "001190012345", "level": "satisfied"},
                                      format="json")
    assert ok.status_code == 201 and ok.json()["source"] == "kiosk"
    listed = as_user("leader_tuphap").get("/api/v1/ratings/", {"clerk": "clerk_tuphap"}).json()["results"]
    assert [r["dossier"] for r in listed] == [code]
    assert as_user("clerk_xuanquan").get("/api/v1/ratings/").json()["results"] == []
    assert as_user("citizen1").get("/api/v1/ratings/").status_code == 403  # staff only

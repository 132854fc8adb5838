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


def _finish(dossier_id, as_user, clock, accept=True):
    if accept:
        as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json")
    clock.set(2026, 11, 5, 9, 0)
    resolved = as_user("specialist_tuphap").post(f"/api/v1/dossiers/{dossier_id}/resolve/", {"result": "approved"},
                                                 format="json")
    assert resolved.status_code == 200, resolved.json()
    return dossier_id


def _kiosk(client, code, id_number, level="satisfied"):
    return client.post("/api/v1/ratings/kiosk/", {"code": code, "id_number": id_number, "level": level},
                       format="json")


@pytest.fixture
def counter_finished(register, as_user, clock, media_root):
    """A counter dossier registered by clerk_tuphap (received at once) and resolved; returns its id."""
    clock.set(2026, 11, 2, 9, 0)
    response = register()
    assert response.status_code == 201, response.json()
    return _finish(response.json()["id"], as_user, clock, accept=False)


@pytest.mark.django_db
def test_kiosk_rating_and_scoped_list(counter_finished, as_user, monkeypatch):
    dossier = Dossier.objects.get(pk=counter_finished)
    monkeypatch.setattr("apps.ratings.services._now", lambda: dossier.resolved_at)
    assert _kiosk(as_user("clerk_tuphap"), dossier.code, "000000000000").status_code == 404
    assert _kiosk(as_user("clerk_xuanquan"), dossier.code, "001088000777").status_code == 404  # other agency
    ok = _kiosk(as_user("clerk_tuphap"), dossier.code, "001088000777")
    assert ok.status_code == 201 and ok.json()["source"] == "kiosk"
    listed = as_user("leader_tuphap").get("/api/v1/ratings/", {"clerk": "clerk_tuphap"}).json()["results"]
    assert [r["dossier"] for r in listed] == [dossier.code]
    assert as_user("clerk_xuanquan").get("/api/v1/ratings/").json()["results"] == []
    assert as_user("citizen1").get("/api/v1/ratings/").status_code == 403  # staff only


@pytest.mark.django_db
def test_kiosk_never_pre_empts_the_applicants_own_rating(finished, as_user, monkeypatch):
    """Found by the outside test: a clerk's kiosk rating of an online dossier made its applicant's 409."""
    dossier = Dossier.objects.get(pk=finished)
    assert dossier.channel == "online" and dossier.applicant.username == "citizen1"
    monkeypatch.setattr("apps.ratings.services._now", lambda: dossier.resolved_at)
    refused = _kiosk(as_user("clerk_tuphap"), dossier.code, "001190012345")
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["code"] == "kiosk_rating_not_allowed" and refused.json()["channel"] == "online"
    assert Rating.objects.count() == 0
    own = _rate(as_user("citizen1"), finished)
    assert own.status_code == 201 and own.json()["source"] == "online"


@pytest.mark.django_db
def test_kiosk_rates_post_dossiers(register, as_user, clock, media_root, monkeypatch):
    clock.set(2026, 11, 2, 9, 0)
    dossier_id = _finish(register(channel="post").json()["id"], as_user, clock, accept=False)
    dossier = Dossier.objects.get(pk=dossier_id)
    assert dossier.channel == "post"
    monkeypatch.setattr("apps.ratings.services._now", lambda: dossier.resolved_at)
    assert _kiosk(as_user("clerk_tuphap"), dossier.code, "001088000777").status_code == 201


@pytest.mark.django_db
def test_kiosk_rates_portal_dossiers_whose_applicant_has_no_account(as_user, clock, media_root, monkeypatch):
    from apps.dossiers import services
    from apps.dossiers.uploads import check_upload
    from tests.dossier_fixtures import RECORD, RECORD_DOCS, pdf

    clock.set(2026, 11, 2, 9, 0)
    request = services.IntakeRequest(
        agency_code=RECORD["agency"], procedure_code=RECORD["procedure"],
        applicant=services.ApplicantData(applicant_type="citizen", name="Lê Văn Tám", id_number="001077000888"),
        documents=[check_upload(code, pdf(f"{code}.pdf"), field=code) for code in RECORD_DOCS],
    )
    portal = services.Caller(user=None, client_id="portal:test", is_portal=True)
    dossier = services.dossier_submit(caller=portal, request=request).dossier
    assert dossier.channel == "portal" and dossier.applicant_id is None
    _finish(dossier.pk, as_user, clock)
    dossier.refresh_from_db()
    monkeypatch.setattr("apps.ratings.services._now", lambda: dossier.resolved_at)
    ok = _kiosk(as_user("clerk_tuphap"), dossier.code, "001077000888")
    assert ok.status_code == 201, ok.json()

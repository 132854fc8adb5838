"""Deadlines through the real services: weekends, Tết, make-up Saturdays, pauses, same-day, after hours."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.catalog.models import Offering
from apps.dossiers.models import Dossier, DossierPause
from apps.workcalendar.services import calendar_exception_set

from .conftest import BIRTH, BIRTH_DOCS, vn


def _days(agency: str, procedure: str, days: str) -> None:
    Offering.objects.filter(agency__code=agency, procedure__code=procedure).update(processing_days=Decimal(days))


def _registered(register, clock, *at: int, target=None, docs=None, days: str | None = None) -> dict:
    clock.set(*at)
    if days is not None:
        _days("000.00.17.H29", "2.000488", days)
    kwargs = {}
    if target is not None:
        kwargs = {"target": target, "docs": docs}
    response = register(**kwargs) if target is None else register(target=target, docs=docs, username="clerk_xuanquan")
    assert response.status_code == 201, response.json()
    return response.json()


def _due(body: dict) -> str:
    return body["due_at"]


@pytest.mark.django_db
def test_tet_2025_is_skipped(register, clock, media_root):
    # Friday before Tết, 7 working days: 27 Jan – 2 Feb 2025 are off.
    body = _registered(register, clock, 2025, 1, 24, 10, 0, days="7")
    assert _due(body) == "2025-02-11T10:00:00+07:00"
    assert body["received_at"] == "2025-01-24T10:00:00+07:00"
    assert body["code"].endswith("-250124-0001")


@pytest.mark.django_db
def test_weekend_is_skipped(register, clock, media_root):
    body = _registered(register, clock, 2025, 3, 7, 14, 0, days="1")  # Friday
    assert _due(body) == "2025-03-10T14:00:00+07:00"


@pytest.mark.django_db
def test_make_up_saturday_is_a_working_day(register, clock, media_root):
    body = _registered(register, clock, 2025, 4, 25, 9, 0, days="1")  # Friday; Sat 26 Apr 2025 is worked
    assert _due(body) == "2025-04-26T09:00:00+07:00"


@pytest.mark.django_db
def test_exception_table_wins_over_the_package(register, clock, media_root):
    calendar_exception_set(day=vn(2025, 3, 10).date(), kind="day_off", reason="Nghỉ theo quyết định của tỉnh")
    body = _registered(register, clock, 2025, 3, 7, 14, 0, days="1")
    assert _due(body) == "2025-03-11T14:00:00+07:00"
    calendar_exception_set(day=vn(2025, 3, 8).date(), kind="working_day", reason="Làm bù")
    body = _registered(register, clock, 2025, 3, 7, 14, 0, days="1")
    assert _due(body) == "2025-03-08T14:00:00+07:00"


@pytest.mark.django_db
def test_half_day(register, clock, media_root):
    body = _registered(register, clock, 2025, 3, 5, 7, 30, days="0.5")
    assert _due(body) == "2025-03-05T11:30:00+07:00"


@pytest.mark.django_db
def test_same_day_procedure(register, clock, media_root):
    morning = _registered(register, clock, 2025, 3, 5, 10, 0, target=BIRTH, docs=BIRTH_DOCS)
    assert _due(morning) == "2025-03-05T17:00:00+07:00"
    late = _registered(register, clock, 2025, 3, 5, 15, 30, target=BIRTH, docs=BIRTH_DOCS)
    assert _due(late) == "2025-03-06T17:00:00+07:00"


@pytest.mark.django_db
def test_reception_after_office_hours_starts_next_opening(register, clock, media_root):
    evening = _registered(register, clock, 2025, 3, 5, 18, 0, days="1")
    assert _due(evening) == "2025-03-06T17:00:00+07:00"
    lunch = _registered(register, clock, 2025, 3, 5, 12, 0, days="1")
    assert _due(lunch) == "2025-03-06T11:30:00+07:00"  # 13:00-17:00, then 07:30-11:30


@pytest.mark.django_db
def test_received_at_in_the_past_counts_from_then(register, clock, media_root):
    clock.set(2025, 3, 10, 8, 0)
    _days("000.00.17.H29", "2.000488", "1")
    response = register(channel="post", received_at="2025-03-07T14:00:00+07:00")
    assert response.status_code == 201, response.json()
    assert response.json()["due_at"] == "2025-03-10T14:00:00+07:00"
    assert response.json()["channel"] == "post"


@pytest.mark.django_db
def test_supplement_pause_spanning_a_holiday(register, clock, as_user, media_root):
    body = _registered(register, clock, 2025, 4, 23, 9, 0, days="3")  # Wed
    assert _due(body) == "2025-04-26T09:00:00+07:00"  # the make-up Saturday
    clerk = as_user("clerk_tuphap")
    clock.set(2025, 4, 24, 9, 0)  # one working day used, two left
    assert clerk.post(f"/api/v1/dossiers/{body['id']}/request_supplement/",
                      {"reason": "Thiếu", "items": ["Tờ khai"]}, format="json").status_code == 200
    # 30 Apr – 4 May 2025 off; resumed Tuesday 6 May 09:00 → two working days later.
    clock.set(2025, 5, 6, 9, 0)
    resumed = as_user("citizen1").post(f"/api/v1/dossiers/{body['id']}/supplement/", {}, format="json")
    assert resumed.status_code == 404  # a counter dossier is not in any applicant account; the clerk records it
    resumed = clerk.post(f"/api/v1/dossiers/{body['id']}/supplement/", {"note": "Nộp tại quầy"}, format="json")
    assert resumed.status_code == 200, resumed.json()
    assert resumed.json()["due_at"] == "2025-05-08T09:00:00+07:00"
    pause = DossierPause.objects.get(dossier_id=body["id"])
    assert pause.ended_at == vn(2025, 5, 6, 9, 0)
    assert pause.due_at_before == vn(2025, 4, 26, 9, 0)
    assert pause.due_at_after == vn(2025, 5, 8, 9, 0)


def _resolve_at(clock, as_user, dossier_id: int, *at: int) -> dict:
    clock.set(*at)
    response = as_user("leader_tuphap").post(f"/api/v1/dossiers/{dossier_id}/resolve/", {"result": "approved"},
                                              format="json")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("resolved", "expected"),
    [
        ((2025, 3, 7, 16, 0), "early"),  # the day before the due day
        ((2025, 3, 10, 8, 0), "on_time"),  # on the due day, before the due time
        ((2025, 3, 10, 14, 0), "on_time"),  # exactly at the due time
        ((2025, 3, 10, 14, 1), "late"),
    ],
)
def test_timeliness_fixed_at_resolve(register, clock, as_user, media_root, resolved, expected):
    body = _registered(register, clock, 2025, 3, 6, 14, 0, days="2")  # due Mon 10 Mar 14:00
    assert _due(body) == "2025-03-10T14:00:00+07:00"
    assert _resolve_at(clock, as_user, body["id"], *resolved)["timeliness"] == expected


@pytest.mark.django_db
def test_apology_moves_the_appointment_not_the_timeliness(register, clock, as_user, media_root):
    body = _registered(register, clock, 2025, 3, 6, 14, 0, days="2")
    leader = as_user("leader_tuphap")
    clock.set(2025, 3, 10, 10, 0)
    earlier = leader.post(f"/api/v1/dossiers/{body['id']}/apologise/",
                          {"reason": "x", "new_appointment": "2025-03-10T09:00:00+07:00"}, format="json")
    assert earlier.status_code == 400 and earlier.json()["errors"][0]["field"] == "new_appointment"
    apologised = leader.post(f"/api/v1/dossiers/{body['id']}/apologise/",
                             {"reason": "Chờ xác minh", "new_appointment": "2025-03-12T16:00:00+07:00"}, format="json")
    assert apologised.status_code == 200
    assert apologised.json()["appointment_at"] == "2025-03-12T16:00:00+07:00"
    assert apologised.json()["due_at"] == "2025-03-10T14:00:00+07:00"
    resolved = _resolve_at(clock, as_user, body["id"], 2025, 3, 11, 9, 0)
    assert resolved["timeliness"] == "late"  # still counted against the appointment it missed


@pytest.mark.django_db
def test_accept_starts_the_clock(submit, clock, as_user, media_root):
    _days("000.00.17.H29", "2.000488", "1")
    clock.set(2025, 3, 8, 10, 0)  # submitted on a Saturday: no clock yet
    body = submit().json()
    assert body["due_at"] is None and body["received_at"] is None
    clock.set(2025, 3, 10, 8, 0)
    accepted = as_user("clerk_tuphap").post(f"/api/v1/dossiers/{body['id']}/accept/", {}, format="json").json()
    assert accepted["received_at"] == "2025-03-10T08:00:00+07:00"
    assert accepted["due_at"] == "2025-03-11T08:00:00+07:00"
    assert Dossier.objects.get(pk=body["id"]).received_by.username == "clerk_tuphap"

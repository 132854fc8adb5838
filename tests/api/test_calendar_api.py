import pytest

from apps.workcalendar.services import calendar_exception_delete, calendar_exception_set


@pytest.mark.django_db
def test_year_lists_days_off_and_working_saturdays(api):
    body = api.get("/api/v1/calendar/2025/").json()
    assert body["office_hours"] == ["07:30-11:30", "13:00-17:00"]
    assert {"2025-01-27", "2025-01-31", "2025-04-07", "2025-04-30", "2025-05-02", "2025-09-02"} <= set(
        body["days_off"]
    )
    assert body["working_weekend_days"] == ["2025-04-26"]
    assert body["working_days"] == 250


@pytest.mark.django_db
def test_exceptions_win_over_the_package(api):
    from datetime import date

    calendar_exception_set(day=date(2025, 4, 26), kind="day_off", reason="Không làm bù")
    calendar_exception_set(day=date(2025, 9, 1), kind="working_day", reason="Thử nghiệm")
    body = api.get("/api/v1/calendar/2025/").json()
    assert body["working_weekend_days"] == []
    assert "2025-09-01" not in body["days_off"]
    calendar_exception_delete(day=date(2025, 4, 26))
    assert api.get("/api/v1/calendar/2025/").json()["working_weekend_days"] == ["2025-04-26"]


@pytest.mark.django_db
def test_year_out_of_range_is_400(api):
    response = api.get("/api/v1/calendar/1999/")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "year"

import csv
import io

import pytest
from openpyxl import load_workbook


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())  # BOM for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_dossier_export_streams_vietnamese_and_respects_scope(register, as_user, media_root):
    for _ in range(3):
        assert register().status_code == 201
    rows = _csv(as_user("clerk_tuphap").get("/api/v1/dossiers/export.csv"))
    assert rows[0][:3] == ["code", "status", "channel"]
    assert len(rows) == 4
    assert rows[1][rows[0].index("applicant_name")] == "Nguyễn Văn Bảy"
    assert rows[1][rows[0].index("procedure_name")].startswith("Cấp Phiếu lý lịch tư pháp")
    assert len(_csv(as_user("clerk_xuanquan").get("/api/v1/dossiers/export.csv"))) == 1  # header only
    filtered = _csv(as_user("clerk_tuphap").get("/api/v1/dossiers/export.csv", {"channel": "post"}))
    assert len(filtered) == 1
    bad = as_user("clerk_tuphap").get("/api/v1/dossiers/export.csv", {"status": "nope"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_stats_exports_match_the_summary(register, as_user, media_root):
    register()
    supervisor = as_user("supervisor")
    from django.utils import timezone

    today = timezone.localdate()
    params = {"from": today.replace(day=1).isoformat(), "to": (today.replace(day=28) + __import__("datetime")
                                                              .timedelta(days=10)).replace(day=1).isoformat()}
    summary = supervisor.get("/api/v1/stats/summary/", params).json()
    rows = _csv(supervisor.get("/api/v1/stats/summary.csv", params))
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert int(record["received"]) == summary["received"] == 1
    assert record["online_share.denominator"] == "1"

    by_agency = _csv(supervisor.get("/api/v1/stats/summary.csv", {**params, "by": "agency"}))
    received = {r[by_agency[0].index("group")]: int(r[by_agency[0].index("received")]) for r in by_agency[1:]}
    # Every agency is listed, those that received nothing with zeros.
    from apps.agencies.models import Agency

    assert set(received) == set(Agency.objects.values_list("code", flat=True))
    assert {code: n for code, n in received.items() if n} == {"000.00.17.H29": 1}

    response = supervisor.get("/api/v1/stats/summary.xlsx", params)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook["Thống kê"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("from", "to", "group")
    assert dict(zip(values[0], values[1], strict=False))["received"] == 1
    assert as_user("citizen1").get("/api/v1/stats/summary.csv", params).status_code == 403

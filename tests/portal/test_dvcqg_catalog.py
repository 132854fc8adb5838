"""`manage.py portal_check` and the scheduled catalogue pull, against the fake portal's protocol."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.catalog.models import DocumentType, Offering, Procedure

pytestmark = pytest.mark.django_db

NATIONAL = [
    {"MATTHC": "1.001193", "TENTTHC": "Đăng ký khai sinh", "MUCDO": "Dịch vụ công trực tuyến toàn trình",
     "LINHVUCTHUCHIEN": [{"MALINHVUC": "HT", "TENLINHVUC": "Hộ tịch"}],
     "CACHTHUCTHUCHIEN": [
         {"KENH": "2", "THOIGIAN": [{"THOIGIANGIAIQUYET": "1", "DONVITINH": "Ngày làm việc"}]},
         {"KENH": "1", "THOIGIAN": [{"THOIGIANGIAIQUYET": "4", "DONVITINH": "Giờ",
                                     "PHILEPHI": [{"SOTIEN": "0"}]}]}],
     "THANHPHANHOSO": [{"TRUONGHOP": "", "GIAYTO": [{"MAGIAYTO": "TKKS", "TENGIAYTO": "Tờ khai"}]}],
     "COQUANTHUCHIEN": [{"TENDONVI": "Ủy ban nhân dân cấp xã"},
                        {"MACOQUAN": "000.31.01.H29", "TENDONVI": "UBND xã Xuân Quan"}],
     "CAPTHUCHIEN": [{"CAPTHUCHIEN": "3"}]},
    {"MATTHC": "1.009999", "TENTTHC": "Thủ tục mới", "MUCDO": "3",
     "DICHVUCONGTRUCTUYEN": "Một phần",
     "LINHVUCTHUCHIEN": [{"MALINHVUC": "HT", "TENLINHVUC": "Hộ tịch"}],
     "CACHTHUCTHUCHIEN": [{"KENH": "1", "THOIGIAN": [{"THOIGIANGIAIQUYET": "5", "DONVITINH": "Ngày làm việc",
                                                       "PHILEPHI": [{"SOTIEN": "30.000"}]}]}],
     "THANHPHANHOSO": [], "COQUANTHUCHIEN": [], "CAPTHUCHIEN": [{"CAPTHUCHIEN": "1"}]},
    {"MATTHC": "9.999999", "TENTTHC": "Không rõ mức độ", "LINHVUCTHUCHIEN": [{"MALINHVUC": "HT"}]},
]


def test_portal_check_logs_in_and_prints_the_answer(dvcqg_settings, dvcqg_portal):
    out = io.StringIO()
    call_command("portal_check", stdout=out)
    text = out.getvalue()
    assert "login:    ok" in text and "TraCuuHoSo" in text and '"error_code": "00"' in text
    assert "portal_check: ok" in text and dvcqg_settings.PORTAL_PASSWORD not in text
    assert dvcqg_portal.logins == 1 and dvcqg_portal.stats()["requests"] == 2


def test_portal_check_names_a_refused_login(dvcqg_settings, dvcqg_portal):
    dvcqg_settings.PORTAL_PASSWORD = "wrong"
    with pytest.raises(CommandError, match="Sai tên đăng nhập"):
        call_command("portal_check", stdout=io.StringIO())


def test_portal_check_says_what_is_missing(settings):
    settings.PORTAL_TRANSPORT = "webhook"
    with pytest.raises(CommandError, match="PORTAL_TRANSPORT"):
        call_command("portal_check", stdout=io.StringIO())
    settings.PORTAL_TRANSPORT, settings.PORTAL_ADAPTER_URL = "dvcqg", ""
    with pytest.raises(CommandError, match="PORTAL_ADAPTER_URL"):
        call_command("portal_check", stdout=io.StringIO())


def test_portal_check_unreachable_portal(dvcqg_settings, dvcqg_portal):
    dvcqg_portal.configure(mode="error", error_status=502)
    with pytest.raises(CommandError, match="HTTP 502"):
        call_command("portal_check", stdout=io.StringIO())


def test_the_catalogue_pull_maps_the_portals_records(dvcqg_settings, dvcqg_portal, demo):
    from apps.portal.tasks import pull_catalog

    dvcqg_portal.catalog = NATIONAL
    result = pull_catalog()
    assert (result["listed"], result["imported"], result["skipped"]) == (3, 2, ["9.999999"])
    birth = Procedure.objects.get(code="1.001193")
    assert (birth.service_class, birth.online_level, birth.processing_days) == ("full", 4, Decimal("0.5"))
    assert Offering.objects.get(procedure=birth, agency__code="000.31.01.H29").service_class == "full"
    new = Procedure.objects.get(code="1.009999")
    assert (new.service_class, new.online_level, new.processing_days, new.fee) == (
        "partial", 3, Decimal("5"), Decimal("30000"))
    assert not Offering.objects.filter(procedure=new).exists()  # no agency code in the record
    assert DocumentType.objects.filter(procedure=birth, code="TKKS").exists()
    again = pull_catalog()
    assert again["created"] == {} and again["updated"] == {}  # idempotent


def test_the_catalogue_pull_runs_nightly_and_only_for_the_portals_protocol(settings):
    from apps.portal.tasks import pull_catalog

    schedule = settings.CELERY_BEAT_SCHEDULE["portal-catalog-pull"]
    assert schedule["task"] == "portal.pull_catalog"
    settings.PORTAL_TRANSPORT = "webhook"
    assert pull_catalog() == {"disabled": True}

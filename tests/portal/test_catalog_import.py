"""`import_catalog` also reads the national portal's TTHC list: detected, mapped, idempotent."""
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.agencies.models import Agency
from apps.catalog.models import Offering, Procedure
from apps.catalog.portal_format import is_portal_catalog, portal_catalog_to_import
from apps.catalog.services import catalog_import
from onestop.errors import DomainError

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "apps" / "catalog" / "fixtures" / "portal_catalog_sample.json"


def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def run(path: Path | str = SAMPLE) -> dict:
    out = io.StringIO()
    call_command("import_catalog", str(path), stdout=out)
    return json.loads(out.getvalue())


def test_detects_the_portal_format_only():
    assert is_portal_catalog(sample())
    assert is_portal_catalog(sample()["DanhSachTTHC"])
    assert not is_portal_catalog({"procedures": []})
    assert not is_portal_catalog([])


def test_import_maps_every_field(demo):
    report = run()
    assert report["created"]["procedure"] == 2 and report["created"]["agency"] == 1
    copy = Procedure.objects.get(code="2.002189")
    assert (copy.name, copy.field.code, copy.field.name, copy.online_level) == (
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "CT", "Chứng thực", 3)
    assert (copy.processing_days, copy.fee) == (Decimal("1"), Decimal("2000"))
    assert [(d.code, d.required) for d in copy.document_types.order_by("position")] == [("BC", True), ("BS", True)]
    business = Procedure.objects.get(code="1.003583")
    assert (business.online_level, business.processing_days, business.fee) == (4, Decimal("3"), Decimal("100000"))
    new_agency = Agency.objects.get(code="000.00.33.H29")
    assert (new_agency.name, new_agency.tier) == ("UBND huyện Yên Mỹ", "district")
    assert set(Offering.objects.filter(procedure=business).values_list("agency__code", "online_level")) == {
        ("000.00.33.H29", 4), ("000.00.31.H29", 4)}
    birth = Procedure.objects.get(code="1.001193")
    assert [(d.code, d.required) for d in birth.document_types.order_by("position")] == [
        ("TKKS", True), ("GCS", True), ("UQ", False)]


def test_import_twice_changes_nothing(demo):
    run()
    again = run()
    assert again["created"] == {} and again["updated"] == {}


def test_an_unknown_agency_without_a_tier_is_refused_and_nothing_is_loaded(demo):
    data = sample()
    del data["DanhSachTTHC"][2]["CapThucHien"]
    with pytest.raises(DomainError) as error:
        catalog_import(data=data)
    assert "CoQuanThucHien[0]" in error.value.field
    assert not Procedure.objects.filter(code__in=["2.002189", "1.003583"]).exists()


def test_bad_values_name_the_record(demo, tmp_path):
    data = sample()
    data["DanhSachTTHC"][1]["MucDo"] = "không rõ"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=r"\[1\]\.MucDo"):
        run(path)


def test_mapping_of_loose_values():
    mapped = portal_catalog_to_import([
        {"MaTTHC": "X", "TenTTHC": "x", "MaLinhVuc": "F", "MucDo": 2, "ThoiHanGiaiQuyet": "0,5 ngày",
         "LePhi": "1.500.000 đồng", "CoQuanThucHien": [{"MaCoQuan": "NEW", "CapCoQuan": "Cấp tỉnh"}]},
    ])
    procedure = mapped["procedures"][0]
    assert (procedure["processing_days"], procedure["fee"]) == ("0.5", "1500000")
    assert mapped["agencies"] == [{"code": "NEW", "name": "NEW", "tier": "province"}]


def test_service_class_from_the_portals_words(demo):
    data = sample()
    records = data["DanhSachTTHC"]
    records[0]["MucDo"] = "Dịch vụ công trực tuyến toàn trình"  # the class instead of a level
    records[1]["DichVuCongTrucTuyen"] = "Một phần"  # explicit, beside "Mức độ 3"
    report = catalog_import(data=data)
    assert report.changed
    birth = Procedure.objects.get(code="1.001193")
    assert (birth.online_level, birth.service_class) == (4, "full")
    assert Offering.objects.get(procedure=birth, agency__code="000.31.01.H29").service_class == "full"
    copy = Procedure.objects.get(code="2.002189")
    assert (copy.online_level, copy.service_class) == (3, "partial")
    assert set(Offering.objects.filter(procedure=copy).values_list("service_class", flat=True)) == {"partial"}
    # A record without a class leaves the class as it was.
    business = Procedure.objects.get(code="1.003583")
    assert business.service_class == "none"
    Offering.objects.filter(procedure=business).update(service_class="partial")
    run()
    assert set(Offering.objects.filter(procedure=business).values_list("service_class", flat=True)) == {"partial"}


@pytest.mark.parametrize(("words", "expected"), [
    ("Dịch vụ công trực tuyến toàn trình", "full"), ("DVC trực tuyến một phần", "partial"),
    ("Dịch vụ cung cấp thông tin trực tuyến", "none"), ("Mức độ 4", None), (4, None), ("", None),
])
def test_service_class_words(words, expected):
    from apps.catalog.portal_format import service_class_of

    assert service_class_of({"MucDo": words}) == expected

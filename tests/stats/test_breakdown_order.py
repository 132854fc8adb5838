"""A breakdown lists its groups in Vietnamese order (issue 16 item 5): "Đ" after "D" and before "E",
lower and upper case together; byte order would put "Đ" (U+0110) after every ASCII letter."""

from __future__ import annotations

import pytest

from apps.agencies.models import Agency
from apps.agencies.services import agency_save
from onestop.text import vietnamese_sort_key

P = {"from": "2025-01-01", "to": "2025-02-01"}
# Agency codes are free text: a province may well abbreviate "Đông Tảo" as ĐT.
CODES = ["b1.H29", "Đ1.H29", "E1.H29", "D1.H29", "A1.H29"]


@pytest.mark.django_db
def test_breakdown_by_agency_lists_codes_in_vietnamese_order(as_user):
    province = Agency.objects.get(code="000.00.00.H29")
    for code in CODES:
        agency_save(code=code, name=f"Phòng {code}", tier="province", parent=province)
    response = as_user("supervisor").get("/api/v1/stats/breakdown/", {**P, "by": "agency"})
    assert response.status_code == 200, response.json()
    groups = [g["group"] for g in response.json()["groups"]]
    ours = [g for g in groups if g in CODES]
    assert ours == ["A1.H29", "b1.H29", "D1.H29", "Đ1.H29", "E1.H29"]
    assert ours != sorted(CODES)  # what byte order gives: A, D, E, b, Đ
    assert groups == sorted(groups, key=vietnamese_sort_key)  # every group, not only ours

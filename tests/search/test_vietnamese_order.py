"""Names sort in Vietnamese dictionary order (issue 16): "Đ" after "D" and before "E", tones in order."""
from __future__ import annotations

import random

import pytest
from django.db import connection

from onestop.text import vietnamese_sort_key

WORDS = ("a A à ả Ả ã á ạ An Anh Ánh ă Ăn â Ân b Bích d D Dung Duy đ Đ Đông e Eo ê o ô ơ u ư y").split()
AGENCY_NAMES = ["Sở Y tế", "Sở Dân tộc", "Sở Đường sắt", "Sở Du lịch", "Sở Giáo dục", "Sở Ẩm thực",
                "Sở An ninh", "Sở Ăn uống", "Sở Âm nhạc", "Sở Điện lực", "Sở Em bé", "Sở Ê-đê"]


def test_python_key_orders_like_a_vietnamese_dictionary():
    shuffled = WORDS[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=vietnamese_sort_key) == WORDS


@pytest.mark.django_db
def test_python_key_agrees_with_postgresql_icu_collation():
    sample = [*WORDS, *AGENCY_NAMES, "Ủy ban nhân dân huyện Văn Giang", "Ủy ban nhân dân xã Đông Tảo",
              "Ủy ban nhân dân tỉnh Hưng Yên", "Nguyễn Văn An", "NGUYỄN VĂN AN", "Nguyễn Thị Ánh"]
    with connection.cursor() as cursor:
        cursor.execute('SELECT x FROM unnest(%s::text[]) AS x ORDER BY x COLLATE "vi-VN-x-icu"', [sample])
        by_postgres = [row[0] for row in cursor.fetchall()]
    assert sorted(sample, key=vietnamese_sort_key) == by_postgres


@pytest.fixture
def agencies(db):
    from apps.agencies.services import agency_save

    for index, name in enumerate(AGENCY_NAMES):
        agency_save(code=f"000.00.{index + 40}.H29", name=name, tier="province", parent=None)


def _names(client, path: str, **params) -> list[str]:
    names: list[str] = []
    url, query = path, {**params, "page_size": 3}
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        names += [row["name"] for row in response.json()["results"]]
        url, query = response.json()["next"], None
    return names


@pytest.mark.django_db
def test_agency_list_sorted_by_name_across_pages(agencies, api):
    names = _names(api, "/api/v1/agencies/", ordering="name")
    assert names == sorted(AGENCY_NAMES, key=vietnamese_sort_key)
    assert names.index("Sở Du lịch") < names.index("Sở Điện lực") < names.index("Sở Em bé")
    assert names.index("Sở An ninh") < names.index("Sở Ăn uống") < names.index("Sở Âm nhạc") < names.index("Sở Dân tộc")
    assert _names(api, "/api/v1/agencies/", ordering="-name") == names[::-1]


@pytest.mark.django_db
def test_procedure_and_field_lists_sorted_by_name(demo, api):
    procedures = _names(api, "/api/v1/procedures/", ordering="name")
    assert procedures == sorted(procedures, key=vietnamese_sort_key) and len(procedures) > 3
    # Vietnamese: "Cấp…" (c-â) before "Chứng thực…" (c-h); byte order puts "Ch" first ("h" < "ấ").
    assert procedures[0].startswith("Cấp")
    fields = _names(api, "/api/v1/fields/", ordering="name")
    assert fields == sorted(fields, key=vietnamese_sort_key)


@pytest.mark.django_db
def test_unknown_ordering_is_a_400_naming_it(api):
    response = api.get("/api/v1/agencies/", {"ordering": "password"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "ordering"

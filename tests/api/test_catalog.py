import pytest

from apps.catalog.models import DocumentType, Offering, Procedure
from apps.catalog.services import catalog_import
from onestop.errors import DomainError


def all_pages(client, url: str) -> list[dict]:
    results, seen_urls = [], set()
    while url:
        assert url not in seen_urls
        seen_urls.add(url)
        body = client.get(url).json()
        results.extend(body["results"])
        url = body["next"]
    return results


@pytest.mark.django_db
def test_procedure_list_is_public_and_paginated_without_overlap(api, demo):
    first = api.get("/api/v1/procedures/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    codes = [p["code"] for p in all_pages(api, "/api/v1/procedures/?page_size=2")]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes)) == Procedure.objects.count() == 6


@pytest.mark.django_db
def test_procedure_filters(api, demo):
    level4 = {p["code"] for p in api.get("/api/v1/procedures/?online_level=4").json()["results"]}
    assert level4 == {"1.001193", "2.000488", "2.001610"}
    online = {p["code"] for p in api.get("/api/v1/procedures/?min_level=3").json()["results"]}
    assert online == level4 | {"1.000894", "1.009994"}
    at_commune = {p["code"] for p in api.get("/api/v1/procedures/?agency=000.31.01.H29").json()["results"]}
    assert at_commune == {"1.001193", "1.000894", "2.000815"}
    search = api.get("/api/v1/procedures/", {"q": "khai sinh"}).json()["results"]
    assert [p["code"] for p in search] == ["1.001193"]
    by_field = {p["code"] for p in api.get("/api/v1/procedures/?field=HT").json()["results"]}
    assert by_field == {"1.001193", "1.000894"}


@pytest.mark.django_db
def test_procedure_filter_rejects_bad_level(api, demo):
    response = api.get("/api/v1/procedures/?online_level=9")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "online_level"


@pytest.mark.django_db
def test_procedure_detail_lists_documents(api, demo):
    body = api.get("/api/v1/procedures/1.001193/").json()
    assert body["name"] == "Đăng ký khai sinh"
    assert body["field"] == {"code": "HT", "name": "Hộ tịch"}
    assert [d["code"] for d in body["document_types"]] == ["TKKS", "GCS", "UQ"]
    assert [d["required"] for d in body["document_types"]] == [True, True, False]


@pytest.mark.django_db
def test_offerings_show_agency_level_and_effective_days(api, demo):
    rows = api.get("/api/v1/offerings/?procedure=2.000488").json()["results"]
    assert len(rows) == 1
    assert rows[0]["agency"] == "000.00.17.H29"
    assert rows[0]["processing_days"] == "7.00"  # the province shortened the legal 10 days
    lower = api.get("/api/v1/offerings/?procedure=1.001193&agency=000.32.01.H29").json()["results"]
    assert lower[0]["online_level"] == 3  # offered below the catalogue's level 4
    subtree = api.get("/api/v1/offerings/?subtree_of=000.00.31.H29").json()["results"]
    assert {r["agency"] for r in subtree} == {"000.00.31.H29", "000.31.01.H29"}


@pytest.mark.django_db
def test_import_twice_changes_nothing(demo_catalog_data):
    first = catalog_import(data=demo_catalog_data)
    assert first.created["procedure"] == 6 and first.created["agency"] == 7
    stamps = dict(Procedure.objects.values_list("code", "updated_at"))
    counts = (Procedure.objects.count(), DocumentType.objects.count(), Offering.objects.count())

    second = catalog_import(data=demo_catalog_data)
    assert not second.changed
    assert second.created == {} and second.updated == {}
    assert dict(Procedure.objects.values_list("code", "updated_at")) == stamps
    assert (Procedure.objects.count(), DocumentType.objects.count(), Offering.objects.count()) == counts


@pytest.mark.django_db
def test_import_updates_only_what_changed(demo_catalog_data):
    catalog_import(data=demo_catalog_data)
    demo_catalog_data["procedures"][0]["name"] = "Đăng ký khai sinh (sửa đổi)"
    report = catalog_import(data=demo_catalog_data)
    assert report.updated == {"procedure": 1}
    assert Procedure.objects.get(code="1.001193").name == "Đăng ký khai sinh (sửa đổi)"


@pytest.mark.django_db
def test_import_is_all_or_nothing(demo_catalog_data):
    demo_catalog_data["offerings"].append({"agency": "000.31.01.H29", "procedure": "2.000815", "online_level": 4})
    with pytest.raises(DomainError) as caught:
        catalog_import(data=demo_catalog_data)
    assert caught.value.field.startswith("offerings[")
    assert Procedure.objects.count() == 0  # nothing from the valid part stayed behind


@pytest.mark.django_db
def test_import_catalog_command_is_idempotent(tmp_path, demo_catalog_data):
    import json

    from django.core.management import call_command

    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(demo_catalog_data, ensure_ascii=False), encoding="utf-8")
    out1, out2 = __import__("io").StringIO(), __import__("io").StringIO()
    call_command("import_catalog", str(path), stdout=out1)
    call_command("import_catalog", str(path), stdout=out2)
    assert json.loads(out1.getvalue())["created"]["procedure"] == 6
    second = json.loads(out2.getvalue())
    assert second["created"] == {} and second["updated"] == {}


# --- Decree 42/2022 service classes ------------------------------------------------------------


@pytest.mark.django_db
def test_service_class_is_exposed_and_filterable(api, demo):
    offering = api.get("/api/v1/offerings/?procedure=2.000488").json()["results"][0]
    assert (offering["online_level"], offering["service_class"]) == (4, "partial")  # recorded, not derived
    full = api.get("/api/v1/offerings/?service_class=full").json()["results"]
    assert {(r["agency"], r["procedure"]) for r in full} == {
        ("000.31.01.H29", "1.001193"), ("000.00.12.H29", "2.001610")}
    assert all(r["service_class"] == "full" for r in full)
    partial_at_level_3 = api.get("/api/v1/offerings/?service_class=partial&online_level=3").json()["results"]
    assert {r["procedure"] for r in partial_at_level_3} == {"1.001193", "1.000894", "1.009994"}
    procedure = api.get("/api/v1/procedures/1.001193/").json()
    assert procedure["service_class"] == "full"
    none = {p["code"] for p in api.get("/api/v1/procedures/?service_class=none").json()["results"]}
    assert none == {"2.000815"}


@pytest.mark.django_db
def test_service_class_filter_rejects_unknown_values(api, demo):
    for url in ("/api/v1/offerings/?service_class=level4", "/api/v1/procedures/?service_class=FULL"):
        response = api.get(url)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "service_class"


@pytest.mark.django_db
def test_import_sets_keeps_and_inherits_service_classes(demo_catalog_data):
    catalog_import(data=demo_catalog_data)
    assert Offering.objects.get(agency__code="000.31.01.H29", procedure__code="1.000894").service_class == "partial"
    # An administrator reclassifies an offering; an import that does not name its class keeps it.
    Offering.objects.filter(agency__code="000.31.01.H29", procedure__code="1.000894").update(service_class="full")
    report = catalog_import(data=demo_catalog_data)
    assert not report.changed
    assert Offering.objects.get(agency__code="000.31.01.H29", procedure__code="1.000894").service_class == "full"
    # An import that names it wins.
    demo_catalog_data["offerings"][1]["service_class"] = "none"
    assert catalog_import(data=demo_catalog_data).updated == {"offering": 1}
    assert Offering.objects.get(agency__code="000.31.01.H29", procedure__code="1.000894").service_class == "none"


@pytest.mark.django_db
def test_import_refuses_an_unknown_service_class_and_loads_nothing(demo_catalog_data):
    demo_catalog_data["offerings"][0]["service_class"] = "level4"
    with pytest.raises(DomainError) as caught:
        catalog_import(data=demo_catalog_data)
    assert caught.value.field == "offerings[0].service_class"
    assert Procedure.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_an_unknown_service_class(demo):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Offering.objects.filter(procedure__code="1.001193").update(service_class="level4")


@pytest.mark.django_db
def test_admin_edits_an_offerings_service_class(demo, admin_client):
    offering = Offering.objects.get(agency__code="000.31.01.H29", procedure__code="2.000815")
    page = admin_client.get("/admin/catalog/offering/")
    assert b'name="form-0-service_class"' in page.content  # editable right in the list
    response = admin_client.get(f"/admin/catalog/offering/{offering.pk}/change/")
    assert b'name="service_class"' in response.content
    data = {"agency": offering.agency_id, "procedure": offering.procedure_id, "online_level": offering.online_level,
            "service_class": "partial", "processing_days": "", "valid_from": "", "valid_to": "", "is_active": "on"}
    response = admin_client.post(f"/admin/catalog/offering/{offering.pk}/change/", data)
    assert response.status_code == 302
    offering.refresh_from_db()
    assert offering.service_class == "partial"

"""Names and searches shared by the PostgreSQL tests and the SQLite probe, so both see one data set."""
from __future__ import annotations

NAMES = ["NGUYỄN VĂN AN", "Trần Thị Bích", "Đường Văn Lý", "Lê Dương", "Nguyễn Thị Ánh", "Phạm Thị Dung"]

# typed search -> applicant names it must find (in any order)
QUEUE_SEARCHES: dict[str, set[str]] = {
    "nguyen van an": {"NGUYỄN VĂN AN"},
    "Nguyễn Văn An": {"NGUYỄN VĂN AN"},
    "bich": {"Trần Thị Bích"},
    "BÍCH": {"Trần Thị Bích"},
    "duong": {"Đường Văn Lý", "Lê Dương"},
    "đường": {"Đường Văn Lý", "Lê Dương"},
    "an nguyen van": {"NGUYỄN VĂN AN"},  # every word, in any order
    "thi anh": {"Nguyễn Thị Ánh"},
    "nguyen": {"NGUYỄN VĂN AN", "Nguyễn Thị Ánh"},
    "thi": {"Trần Thị Bích", "Phạm Thị Dung", "Nguyễn Thị Ánh"},
    "xyz": set(),
}

CATALOG_SEARCHES: dict[str, str] = {"ly lich": "2.000488", "LÝ LỊCH": "2.000488", "khai sinh": "1.001193"}
AGENCY_SEARCHES: dict[str, str] = {"dong tao": "Ủy ban nhân dân xã Đông Tảo", "so tu phap": "Sở Tư pháp"}


def seed_names() -> None:
    """One counter dossier per name at Sở Tư pháp, registered through the API as a clerk would."""
    from rest_framework.test import APIClient

    from apps.accounts.models import User
    from tests.dossier_fixtures import PDF, RECORD, RECORD_DOCS, multipart

    client = APIClient()
    client.force_authenticate(User.objects.get(username="clerk_tuphap"))
    for index, name in enumerate(NAMES):
        applicant = {"name": name, "id_number": f"0010990000{index:02d}", "applicant_type": "citizen"}
        payload = {**RECORD, "channel": "counter", "applicant": applicant}
        response = client.post(
            "/api/v1/dossiers/register/", multipart(payload, {c: PDF for c in RECORD_DOCS}), format="multipart"
        )
        assert response.status_code == 201, response.content


def run_searches(searches: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    from apps.agencies.models import Agency
    from apps.agencies.selectors import agency_search
    from apps.catalog.models import Procedure
    from apps.catalog.selectors import procedure_search
    from apps.dossiers.models import Dossier
    from apps.dossiers.selectors import search_queue

    found: dict[str, dict[str, list[str]]] = {}
    for text in searches:
        names = search_queue(Dossier.objects.all(), text).values_list("applicant_name", flat=True)
        found[text] = {"queue": sorted(names)}
    for text in CATALOG_SEARCHES:
        codes = procedure_search(Procedure.objects.all(), text).values_list("code", flat=True)
        found[text] = {"catalog": sorted(codes)}
    for text in AGENCY_SEARCHES:
        found[text] = {"agencies": sorted(agency_search(Agency.objects.all(), text).values_list("name", flat=True))}
    return found

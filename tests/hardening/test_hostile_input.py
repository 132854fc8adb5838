"""Hostile input across the API (beyond intake's own cases in tests/dossiers/test_bad_input.py).

Each refused request gets a clear 4xx problem (content type and machine code asserted) and leaves no
trace: no row in any dossier, portal, rating or statistics table, no file under MEDIA_ROOT, no dossier
code consumed. Searches treat SQL/LIKE metacharacters literally and find Vietnamese names whatever
their Unicode normalisation.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.dossiers.models import CodeCounter, Dossier, DossierDocument, DossierEvent
from apps.portal import signing
from apps.portal.models import PortalKey
from tests.dossier_fixtures import PDF, PNG, RECORD, RECORD_DOCS, files_under

PROBLEM = "application/problem+json"
SUBMIT, REGISTER, QUEUE = "/api/v1/dossiers/", "/api/v1/dossiers/register/", "/api/v1/dossiers/"
PORTAL_SUBMIT = "/api/v1/portal/dossiers/"
KEY_ID, SECRET = "hostile-portal", "hostile-portal-secret-0123456789"
APPLICANT = {"name": "Nguyễn Văn Bảy", "id_number": "001088000777", "applicant_type": "citizen"}
HUGE = 2**64 + 1  # past any 64-bit integer column
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'
TOO_BIG_TEXT = "x" * (3 * 1024 * 1024)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2 MB)

# The tables a request could write to; the statistics tables too, since every event feeds them.
WRITTEN_APPS = ("dossiers", "portal", "ratings", "stats", "documents", "notifications")


def nested(levels: int, leaf: Any = 1) -> str:
    """`levels` nested JSON arrays as text (built as text: json.dumps itself would recurse)."""
    return "[" * levels + json.dumps(leaf) + "]" * levels


def nested_object(levels: int) -> dict:
    value: Any = "đáy"
    for _ in range(levels):
        value = {"a": value}
    return value


def counts() -> dict[str, int]:
    models = [
        model
        for label in WRITTEN_APPS
        if django_apps.is_installed(f"apps.{label}")
        for model in django_apps.get_app_config(label).get_models()
        if model._meta.label != "portal.PortalSignature"  # accepted signatures (replay memory): not data
    ]
    assert {Dossier, DossierEvent, DossierDocument, CodeCounter} <= set(models)
    return {model._meta.label: model.objects.count() for model in models}


@pytest.fixture
def portal_key(db) -> PortalKey:
    return PortalKey.objects.create(key_id=KEY_ID, secret=SECRET, name="hostile input")


_stamps = itertools.count()


def portal_call(method: str, path: str, raw: bytes = b"", headers: dict[str, str] | None = None):
    """A correctly signed portal request carrying `raw` as its body."""
    stamp = int(time.time()) - next(_stamps) % 200  # each call its own second: no replay refusals
    auth = signing.signed_headers(key_id=KEY_ID, secret=SECRET, method=method, path=path, body=raw, timestamp=stamp)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in {**auth, **(headers or {})}.items()}
    return APIClient().generic(method, path, data=raw, content_type="application/json", **meta)


@pytest.fixture
def world(media_root, submit, register, portal_key):
    """One online dossier (citizen1, still `submitted`) and one counter dossier (received) exist, so
    "nothing changed" means something. Returns a snapshot function: (row counts, files)."""
    online = submit(headers={"HTTP_IDEMPOTENCY_KEY": "baseline"})
    counter = register()  # at the justice department, by clerk_tuphap
    assert (online.status_code, counter.status_code) == (201, 201), (online.content, counter.content)

    def snapshot() -> tuple[dict[str, int], list[str]]:
        return counts(), files_under(media_root)

    snapshot.online = online.json()  # type: ignore[attr-defined]
    snapshot.counter = counter.json()  # type: ignore[attr-defined]
    return snapshot


def assert_problem(response, status: int, code: str | None, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    assert body["type"] == f"urn:onestop:problem:{body['code']}"
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


# --- a table of refused requests -----------------------------------------------------------------


@dataclass
class Case:
    id: str
    status: int
    code: str | None
    field: str | None
    method: str
    url: str  # "{online}" / "{counter}" are replaced by the ids of the world's dossiers
    user: str | None = None  # a demo username, "portal" for a signed portal request, None for anonymous
    json: Any = None  # sent as application/json
    raw: bytes | None = None  # sent as is, with `content_type`
    content_type: str = "application/json"
    multipart: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def send(self, world, as_user):
        url = self.url.format(online=world.online["id"], counter=world.counter["id"])
        headers = {k: v.replace("{counter}", str(world.counter["id"])) for k, v in self.headers.items()}
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        body = self.raw if self.raw is not None else (
            b"" if self.json is None else json.dumps(self.json, ensure_ascii=False).encode()
        )
        if self.user == "portal":
            return portal_call(self.method, url, body, headers)
        client = as_user(self.user) if self.user else APIClient()
        if self.multipart is not None:
            return client.generic(self.method, url, **_multipart(client, self.multipart), **meta)
        return client.generic(self.method, url, body, content_type=self.content_type, **meta)


def _multipart(client: APIClient, data: dict[str, Any]) -> dict[str, Any]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, data), "content_type": MULTIPART_CONTENT}


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def intake_parts(payload: dict, docs: dict[str, SimpleUploadedFile] | None = None) -> dict[str, Any]:
    return {"payload": json.dumps(payload, ensure_ascii=False), **(docs or {})}


def record_docs(**override: SimpleUploadedFile) -> dict[str, SimpleUploadedFile]:
    return {**{code: upload(f"{code}.pdf", PDF) for code in RECORD_DOCS}, **override}


def counter(payload: dict) -> dict:
    return {**RECORD, "channel": "counter", "applicant": APPLICANT, **payload}


def portal_body(**extra) -> dict:
    return {
        **RECORD,
        "applicant": APPLICANT,
        "documents": [
            {"document_type": "TKLLTP", "name": "to-khai.pdf", "content_base64": base64.b64encode(PDF).decode()},
            {"document_type": "CCCD", "name": "cccd.png", "content_base64": base64.b64encode(PNG).decode()},
        ],
        **extra,
    }


CLERK, CITIZEN = "clerk_tuphap", "citizen1"
ACTION = "/api/v1/dossiers/{counter}/"

CASES = [
    # Oversized bodies and files, beyond intake's own.
    Case("action-json-over-body-limit", 413, "payload_too_large", None, "POST", ACTION + "reject/", CLERK,
         json={"reason": TOO_BIG_TEXT}),
    Case("sign-up-json-over-body-limit", 413, "payload_too_large", None, "POST", "/api/v1/auth/register/",
         json={"username": "x", "full_name": TOO_BIG_TEXT}),
    Case("portal-json-over-body-limit", 413, "payload_too_large", None, "POST", PORTAL_SUBMIT, "portal",
         json=portal_body(note=TOO_BIG_TEXT)),
    Case("register-oversized-file", 400, "validation_error", "documents.CCCD", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({}), record_docs(CCCD=upload("cccd.pdf", PDF + b"%" * 4096))),
         settings={"UPLOAD_MAX_BYTES": 1024}),
    Case("supplement-oversized-file", 400, "validation_error", "documents.CCCD", "POST", ACTION + "supplement/",
         CLERK, multipart={"payload": "{}", "CCCD": upload("cccd.pdf", PDF + b"%" * 4096)},
         settings={"UPLOAD_MAX_BYTES": 1024}),
    Case("portal-oversized-document", 400, "validation_error", "documents[0].content_base64", "POST",
         PORTAL_SUBMIT, "portal", json=portal_body(documents=[
             {"document_type": "TKLLTP", "name": "a.pdf", "content_base64": base64.b64encode(PDF * 40).decode()},
             {"document_type": "CCCD", "name": "b.pdf", "content_base64": base64.b64encode(PDF).decode()}]),
         settings={"UPLOAD_MAX_BYTES": 1024}),
    # Wrong content behind the right extension and content type.
    Case("register-svg-named-png", 400, "validation_error", "documents.CCCD", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({}), record_docs(CCCD=upload("cccd.png", SVG, "image/png")))),
    Case("supplement-html-named-pdf", 400, "validation_error", "documents.CCCD", "POST", ACTION + "supplement/",
         CLERK, multipart={"payload": "{}", "CCCD": upload("cccd.pdf", HTML)}),
    Case("resolve-text-named-pdf", 400, "validation_error", "documents.KQ", "POST", ACTION + "resolve/",
         "specialist_tuphap", multipart={"payload": json.dumps({"result": "approved"}),
                                         "KQ": upload("ket-qua.pdf", "Kết quả: đồng ý".encode())}),
    Case("portal-html-named-pdf", 400, "validation_error", "documents[1].content_base64", "POST", PORTAL_SUBMIT,
         "portal", json=portal_body(documents=[
             {"document_type": "TKLLTP", "name": "a.pdf", "content_base64": base64.b64encode(PDF).decode()},
             {"document_type": "CCCD", "name": "b.pdf", "content_base64": base64.b64encode(HTML).decode()}])),
    # Deeply nested JSON: refused while parsing, never a RecursionError.
    Case("submit-json-10000-levels", 400, "parse_error", None, "POST", SUBMIT, CITIZEN,
         raw=nested(10_000).encode()),
    Case("register-json-10000-levels", 400, "parse_error", None, "POST", REGISTER, CLERK,
         raw=('{"agency": ' + nested(10_000) + "}").encode()),
    Case("action-json-10000-levels", 400, "parse_error", None, "POST", ACTION + "reject/", CLERK,
         raw=('{"reason": ' + nested(10_000) + "}").encode()),
    Case("sign-up-json-10000-levels", 400, "parse_error", None, "POST", "/api/v1/auth/register/",
         raw=nested(10_000).encode()),
    Case("sign-in-json-10000-levels", 400, "parse_error", None, "POST", "/api/v1/auth/token/",
         raw=nested(10_000).encode()),
    Case("portal-json-10000-levels", 400, "parse_error", None, "POST", PORTAL_SUBMIT, "portal",
         raw=nested(10_000).encode()),
    Case("multipart-payload-10000-levels", 400, "validation_error", "payload", "POST", SUBMIT, CITIZEN,
         multipart={"payload": '{"form_data": ' + nested(10_000) + "}", **record_docs()}),
    Case("form-data-nested-past-the-recursion-limit", 400, "validation_error", "form_data", "POST", SUBMIT,
         CITIZEN, multipart=intake_parts({**RECORD, "form_data": nested_object(700)}, record_docs())),
    Case("portal-form-data-deep", 400, "validation_error", "form_data", "POST", PORTAL_SUBMIT, "portal",
         json=portal_body(form_data=nested_object(700))),
    # NUL characters: Postgres cannot store them; a 400, not a driver error.
    Case("form-data-nul-character", 400, "validation_error", "form_data.ghi_chu", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "form_data": {"ghi_chu": "a\u0000b"}}, record_docs())),
    Case("lookup-code-nul", 400, "bad_request", None, "GET", "/api/v1/lookup/HS%00/?id_number=001088000777"),
    Case("lookup-id-number-nul", 400, "bad_request", None, "GET", "/api/v1/lookup/HS/?id_number=00%001"),
    Case("agency-code-nul", 400, "bad_request", None, "GET", "/api/v1/agencies/000%00/"),
    Case("idempotency-key-nul", 400, "bad_request", None, "POST", SUBMIT, CITIZEN,
         multipart=intake_parts(RECORD, record_docs()), headers={"Idempotency-Key": "k\x00ey"}),
    Case("idempotency-key-control-character", 400, "validation_error", "Idempotency-Key", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts(RECORD, record_docs()), headers={"Idempotency-Key": "k\x07ey"}),
    Case("idempotency-key-too-long", 400, "validation_error", "Idempotency-Key", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts(RECORD, record_docs()), headers={"Idempotency-Key": "k" * 300}),
    Case("portal-idempotency-key-too-long", 400, "validation_error", "Idempotency-Key", "POST", PORTAL_SUBMIT,
         "portal", json=portal_body(), headers={"Idempotency-Key": "k" * 300}),
    # Huge, negative, fractional page sizes: refused, not silently clamped.
    *[
        Case(f"page-size-{label}-{name}", 400, "validation_error", "page_size", "GET", f"{url}?page_size={value}", who)
        for name, url, who in (("queue", QUEUE, CLERK), ("procedures", "/api/v1/procedures/", None),
                               ("agencies", "/api/v1/agencies/", None), ("ratings", "/api/v1/ratings/", CLERK))
        for label, value in (("1e9", 10**9), ("2e64", HUGE), ("zero", 0), ("negative", -5), ("decimal", "2.5"),
                             ("text", "all"), ("superscript-digit", "%C2%B2"))
    ],
    *[
        Case(f"portal-limit-{label}", 400, "validation_error", "limit", "GET", f"/api/v1/portal/changes/?limit={v}",
             "portal")
        for label, v in (("1e9", 10**9), ("2e64", HUGE), ("negative", -1), ("decimal", "1.5"),
                         ("superscript-digit", "%C2%B2"))
    ],
    Case("cursor-garbled", 400, "validation_error", "cursor", "GET", QUEUE + "?cursor=abc", CLERK),
    Case("cursor-forged-position", 400, "validation_error", "cursor", "GET",
         f"/api/v1/dossiers/{{counter}}/history/?cursor={base64.b64encode(b'p=abc').decode()}", CLERK),
    Case("portal-after-garbled", 400, "validation_error", "after", "GET", "/api/v1/portal/changes/?after=%27%25",
         "portal"),
    # Invalid UTF-8 in the body, the query string and headers.
    Case("json-body-invalid-utf8", 400, "parse_error", None, "POST", ACTION + "reject/", CLERK,
         raw=b'{"reason": "Thi\xe1\xbb\xff\xfeu"}'),
    Case("multipart-payload-invalid-utf8", 400, "validation_error", "payload", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "note": "PLACEHOLDER"}, record_docs())),  # bytes patched in the test
    Case("query-invalid-utf8", 400, "bad_request", None, "GET", QUEUE + "?q=Nguy%FF%FEn", CLERK),
    Case("path-invalid-utf8", 404, "not_found", None, "GET", "/api/v1/lookup/%FF%FE/?id_number=001088000777"),
    Case("idempotency-key-invalid-utf8", 400, "validation_error", "Idempotency-Key", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts(RECORD, record_docs()), headers={"Idempotency-Key": "kh\xc3\xb4ng-\xff"}),
    Case("bearer-token-invalid-utf8", 401, "token_not_valid", None, "GET", "/api/v1/me/",
         headers={"Authorization": "Bearer \xff\xfe.\xff.\xff"}),
    Case("if-match-invalid-utf8", 412, "precondition_failed", None, "POST", ACTION + "reject/", CLERK,
         json={"reason": "Thiếu giấy tờ"}, headers={"If-Match": '"\xff\xfe"'}),
    Case("portal-key-id-invalid-utf8", 401, "signature_invalid", None, "GET", "/api/v1/portal/changes/",
         headers={"X-Portal-Key-Id": "\xff\xfe", "X-Portal-Timestamp": "1", "X-Portal-Signature": "00"}),
    # Timestamps without an offset are ambiguous: refused.
    Case("register-received-at-without-offset", 400, "validation_error", "received_at", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({"received_at": "2025-01-06T08:00:00"}), record_docs())),
    Case("apologise-new-appointment-without-offset", 400, "validation_error", "new_appointment", "POST",
         ACTION + "apologise/", "leader_tuphap", json={"reason": "Chậm", "new_appointment": "2099-01-05T09:00:00"}),
    # Far past and far future.
    *[
        Case(f"register-received-at-{label}", 400, "validation_error", "received_at", "POST", REGISTER, CLERK,
             multipart=intake_parts(counter({"received_at": value}), record_docs()))
        for label, value in (("year-1", "0001-01-01T00:00:00+07:00"), ("year-1-utc", "0001-01-01T00:00:00Z"),
                             ("year-1999", "1999-12-31T08:00:00+07:00"), ("year-9999", "9999-12-31T23:59:59+07:00"),
                             ("year-9999-west", "9999-12-31T23:00:00-12:00"))
    ],
    *[
        Case(f"apologise-new-appointment-{label}", 400, "validation_error", "new_appointment", "POST",
             ACTION + "apologise/", "leader_tuphap", json={"reason": "Chậm", "new_appointment": value})
        for label, value in (("year-9999", "9999-12-31T09:00:00+07:00"), ("year-1", "0001-01-01T00:00:00+07:00"))
    ],
    Case("birth-date-in-the-future", 400, "validation_error", "applicant.birth_date", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({"applicant": {**APPLICANT, "birth_date": "9999-12-31"}}), record_docs())),
    Case("birth-date-year-1", 400, "validation_error", "applicant.birth_date", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({"applicant": {**APPLICANT, "birth_date": "0001-01-01"}}), record_docs())),
    *[
        Case(f"{name}-{param}-{label}", 400, "validation_error", param, "GET", f"{url}?{param}={value}", CLERK)
        for name, url, params in (("queue", QUEUE, ("received_from", "received_to")),
                                  ("export", "/api/v1/dossiers/export.csv", ("received_from", "received_to")),
                                  ("ratings", "/api/v1/ratings/", ("date_from", "date_to")))
        for param in params
        for label, value in (("year-1", "0001-01-01"), ("year-9999", "9999-12-31"))
    ],
    *[
        Case(f"audit-{param}-{label}", 400, "validation_error", param, "GET", f"/api/v1/audit/?{param}={value}",
             "admin")
        for param in ("date_from", "date_to")
        for label, value in (("year-1", "0001-01-01"), ("year-9999", "9999-12-31"))
    ],
    *[
        Case(f"stats-{label}", 400, "validation_error", None, "GET", f"/api/v1/stats/summary/?{query}",
             "stats_vangiang")
        for label, query in (("from-year-1", "from=0001-01-01&to=2025-01-01"),
                             ("to-year-9999", "from=2025-01-01&to=9999-12-31"),
                             ("both-far", "from=0001-01-01&to=9999-12-31"))
    ],
    # Negative, fractional and overflowing numbers.
    *[
        Case(f"path-id-past-64-bits-{label}", 404, "not_found", None, method, url.format(id=HUGE), CLERK)
        for label, method, url in (
            ("detail", "GET", "/api/v1/dossiers/{id}/"), ("history", "GET", "/api/v1/dossiers/{id}/history/"),
            ("documents", "GET", "/api/v1/dossiers/{id}/documents/"),
            ("receipt", "GET", "/api/v1/dossiers/{id}/receipt/"),
            ("download", "GET", "/api/v1/dossiers/{id}/documents/{id}/download/"),
            ("form", "GET", "/api/v1/dossiers/{id}/documents/receipt.pdf"),
            ("rating", "GET", "/api/v1/dossiers/{id}/rating/"), ("accept", "POST", "/api/v1/dossiers/{id}/accept/"),
        )
    ],
    Case("form-event-past-64-bits", 400, "validation_error", "event", "GET", f"/api/v1/dossiers/{{counter}}/documents/"
         f"apology.pdf?event={HUGE}", CLERK),
    Case("calendar-year-past-64-bits", 400, "validation_error", "year", "GET", f"/api/v1/calendar/{HUGE}/"),
    *[
        Case(f"payment-amount-{label}", 400, "validation_error", where, "POST", ACTION + "request_payment/", CLERK,
             json=body)
        for label, where, body in (
            ("negative", "amount", {"amount": -1}), ("zero", "amount", {"amount": 0}),
            ("decimal", "amount", {"amount": "1.5"}), ("overflow", "amount", {"amount": 10**30}),
            ("exponent", "amount", {"amount": "1e400"}), ("nan", "amount", {"amount": "NaN"}),
            ("infinity", "amount", {"amount": "Infinity"}),
            ("fee-item-negative", "items.0.amount", {"amount": 1000, "items": [{"name": "Lệ phí", "amount": -1}]}),
        )
    ],
    *[
        Case(f"due-within-days-{label}", 400, "validation_error", "due_within_days", "GET",
             f"{QUEUE}?due_within_days={value}", CLERK)
        for label, value in (("negative", -1), ("decimal", "1.5"), ("overflow", HUGE), ("exponent", "1e400"))
    ],
    Case("stats-level-overflow", 400, "validation_error", "level", "GET",
         f"/api/v1/stats/summary/?level={HUGE}", "stats_vangiang"),
    Case("kiosk-rating-level-overflow", 400, "validation_error", "level", "POST", "/api/v1/ratings/kiosk/", CLERK,
         json={"code": "X", "id_number": "001088000777", "level": HUGE}),
]


# --- control characters: refused at the edge, in every text field, naming it --------------------------
# C0 controls but TAB/LF/CR, DEL and C1, non-characters (U+FFFE, U+FFFF, ...): the PDF forms' XML cannot
# hold them (issue 14, item 3). TAB, LF and CR only in multi-line text (reasons, notes, comments, addresses).
CONTROL = {"bel": "\u0007", "vt": "\u000b", "esc": "\u001b", "fffe": "\ufffe", "ffff": "\uffff", "del": "\u007f",
           "c1": "\u0085", "nul-escape": "\u0000"}
LINE_BREAKS = {"tab": "\t", "lf": "\n", "cr": "\r"}
SIGN_UP = "/api/v1/auth/register/"
NEW_ACCOUNT = {"username": "new_citizen", "password": "demo-Pass-2025-x", "full_name": "Ngô Thị Mai",
               "applicant_type": "citizen", "id_number": "001199000321"}


def _q(value: str) -> str:
    return quote(value, safe="")


CASES += [
    *[
        Case(f"register-applicant-name-{label}", 400, "validation_error", "applicant.name", "POST", REGISTER, CLERK,
             multipart=intake_parts(counter({"applicant": {**APPLICANT, "name": f"A{char}B"}}), record_docs()))
        for label, char in {**CONTROL, **LINE_BREAKS}.items()
    ],
    *[
        Case(f"reject-reason-{label}", 400, "validation_error", "reason", "POST", ACTION + "reject/", CLERK,
             json={"reason": f"Thiếu{char}giấy tờ"})
        for label, char in CONTROL.items()
    ],
    *[
        Case(f"sign-up-full-name-{label}", 400, "validation_error", "full_name", "POST", SIGN_UP,
             json={**NEW_ACCOUNT, "full_name": f"Ngô{char}Mai"})
        for label, char in {**CONTROL, **LINE_BREAKS}.items()
    ],
    Case("sign-up-username-control", 400, "validation_error", "username", "POST", SIGN_UP,
         json={**NEW_ACCOUNT, "username": "mai\u0007"}),
    Case("sign-up-password-control", 400, "validation_error", "password", "POST", SIGN_UP,
         json={**NEW_ACCOUNT, "password": "demo-Pass\u001b-2025"}),
    Case("sign-in-username-control", 400, "validation_error", "username", "POST", "/api/v1/auth/token/",
         json={"username": "clerk_tuphap\u0007", "password": "x"}),
    Case("submit-json-applicant-name", 400, "validation_error", "applicant.name", "POST", SUBMIT, CITIZEN,
         json={**RECORD, "applicant": {**APPLICANT, "name": "A\u0007B"}}),
    Case("submit-applicant-address-escape", 400, "validation_error", "applicant.address", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "applicant": {**APPLICANT, "address": "Số 1\u001b[31m"}}, record_docs())),
    Case("submit-note-ffff", 400, "validation_error", "note", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "note": "Ghi chú\uffff"}, record_docs())),
    Case("submit-form-data-value", 400, "validation_error", "form_data.ho_ten", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "form_data": {"ho_ten": "A\u0007B"}}, record_docs())),
    Case("submit-form-data-nested-list", 400, "validation_error", "form_data.con[1].ten", "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "form_data": {"con": [{"ten": "An"}, {"ten": "B\ufffe"}]}}, record_docs())),
    Case("submit-form-data-key", 400, "validation_error", None, "POST", SUBMIT, CITIZEN,
         multipart=intake_parts({**RECORD, "form_data": {"ho\u0007ten": "An"}}, record_docs())),
    Case("register-id-number-tab", 400, "validation_error", "applicant.id_number", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({"applicant": {**APPLICANT, "id_number": "0010\t88000777"}}), record_docs())),
    Case("register-agency-code-newline", 400, "validation_error", "agency", "POST", REGISTER, CLERK,
         multipart=intake_parts(counter({"agency": "000.00.17\n.H29"}), record_docs())),
    Case("portal-applicant-name", 400, "validation_error", "applicant.name", "POST", PORTAL_SUBMIT, "portal",
         json=portal_body(applicant={**APPLICANT, "name": "A\u0007B"})),
    Case("portal-note-fffe", 400, "validation_error", "note", "POST", PORTAL_SUBMIT, "portal",
         json=portal_body(note="Ghi chú\ufffe")),
    Case("portal-document-name", 400, "validation_error", "documents[0].name", "POST", PORTAL_SUBMIT, "portal",
         json=portal_body(documents=[
             {"document_type": "TKLLTP", "name": "a\u001b.pdf", "content_base64": base64.b64encode(PDF).decode()},
             {"document_type": "CCCD", "name": "b.png", "content_base64": base64.b64encode(PNG).decode()}])),
    Case("request-supplement-item", 400, "validation_error", "items[0]", "POST", ACTION + "request_supplement/", CLERK,
         json={"reason": "Thiếu", "items": ["Bản sao\u000bCCCD"]}),
    Case("request-supplement-item-line-break", 400, "validation_error", "items.0", "POST",
         ACTION + "request_supplement/", CLERK, json={"reason": "Thiếu", "items": ["Bản sao\nCCCD"]}),
    Case("assign-assignee-newline", 400, "validation_error", "assignee", "POST", ACTION + "assign/", "leader_tuphap",
         json={"assignee": "specialist\ntuphap"}),
    Case("transfer-reason-bel", 400, "validation_error", "reason", "POST", ACTION + "transfer/", "leader_tuphap",
         json={"agency": "000.31.01.H29", "reason": "Chuyển\u0007"}),
    Case("apologise-reason-ffff", 400, "validation_error", "reason", "POST", ACTION + "apologise/", "leader_tuphap",
         json={"reason": "Chậm\uffff", "new_appointment": "2099-01-05T09:00:00+07:00"}),
    Case("request-payment-fee-item-name", 400, "validation_error", "items[0].name", "POST",
         ACTION + "request_payment/", CLERK, json={"amount": 1000, "items": [{"name": "Lệ\u0007phí", "amount": 1000}]}),
    Case("confirm-payment-reference-tab", 400, "validation_error", "reference", "POST", ACTION + "confirm_payment/",
         CLERK, json={"method": "counter", "reference": "BL\t001"}),
    Case("kiosk-rating-comment", 400, "validation_error", "comment", "POST", "/api/v1/ratings/kiosk/", CLERK,
         json={"code": "X", "id_number": "001088000777", "level": "satisfied", "comment": "Tốt\u001b"}),
    Case("kiosk-rating-code-tab", 400, "validation_error", "code", "POST", "/api/v1/ratings/kiosk/", CLERK,
         json={"code": "X\tY", "id_number": "001088000777", "level": "satisfied"}),
    # Query parameters used as text, and the path.
    *[
        Case(f"query-{name}-{label}", 400, "validation_error", param, "GET", f"{url}?{param}={_q(f'A{char}B')}", who)
        for name, url, param, who in (
            ("queue-q", QUEUE, "q", CLERK), ("export-q", "/api/v1/dossiers/export.csv", "q", CLERK),
            ("agencies-q", "/api/v1/agencies/", "q", None), ("procedures-q", "/api/v1/procedures/", "q", None),
            ("lookup-id-number", "/api/v1/lookup/HS/", "id_number", None),
            ("stats-scope", "/api/v1/stats/summary/", "scope", "stats_vangiang"),
            ("audit-actor", "/api/v1/audit/", "actor", "admin"), ("ratings-clerk", "/api/v1/ratings/", "clerk", CLERK),
        )
        for label, char in (("bel", "\u0007"), ("esc", "\u001b"), ("ffff", "\uffff"), ("lf", "\n"), ("tab", "\t"))
    ],
    Case("lookup-code-control", 400, "bad_request", None, "GET", "/api/v1/lookup/HS%07X/?id_number=001088000777"),
    Case("agency-code-control", 400, "bad_request", None, "GET", "/api/v1/agencies/000%1B/"),
]


# --- numbers: bounded, never a 500 --------------------------------------------------------------------
# Python turns at most 4,300 digits into an int (a ValueError, a 500, before issue 14 item 8), and int()
# takes signs, blanks and other scripts' digits. Every number a client sends is ASCII digits within bounds.
NUMBERS = {"huge": "9" * 30, "4301-digits": "9" * 4301, "negative": "-1", "leading-plus": "+5",
           "arabic-indic-digits": "١٢٣", "whitespace": " 5"}


def _cursor(text: str) -> str:
    return _q(base64.b64encode(text.encode()).decode())


def _feed_cursor(text: str) -> str:
    return _q(base64.urlsafe_b64encode(text.encode()).decode().rstrip("="))


CASES += [
    *[
        Case(f"page-size-{name}-{label}", 400, "validation_error", "page_size", "GET", f"{url}?page_size={_q(v)}", who)
        for name, url, who in (("queue", QUEUE, CLERK), ("procedures", "/api/v1/procedures/", None),
                               ("agencies", "/api/v1/agencies/", None), ("ratings", "/api/v1/ratings/", CLERK),
                               ("history", "/api/v1/dossiers/{counter}/history/", CLERK),
                               ("audit", "/api/v1/audit/", "admin"),
                               ("portal-catalog", "/api/v1/portal/catalog/", "portal"))
        for label, v in NUMBERS.items()
    ],
    *[
        Case(f"{name}-{label}", 400, "validation_error", param, "GET", url.format(v=_q(v)), who)
        for name, url, param, who in (
            ("due-within-days-queue", QUEUE + "?due_within_days={v}", "due_within_days", CLERK),
            ("due-within-days-export", "/api/v1/dossiers/export.csv?due_within_days={v}", "due_within_days", CLERK),
            ("form-event", "/api/v1/dossiers/{{counter}}/documents/apology.pdf?event={v}", "event", CLERK),
            ("portal-limit", "/api/v1/portal/changes/?limit={v}", "limit", "portal"),
            ("stats-level", "/api/v1/stats/summary/?from=2025-01-01&to=2025-02-01&level={v}", "level",
             "stats_vangiang"),
            ("procedures-online-level", "/api/v1/procedures/?online_level={v}", "online_level", None),
            ("offerings-min-level", "/api/v1/offerings/?min_level={v}", "min_level", None),
        )
        for label, v in NUMBERS.items()
    ],
    *[
        Case(f"portal-after-{part}-{label}", 400, "validation_error", "after", "GET",
             f"/api/v1/portal/changes/?after={_feed_cursor(text.format(v=v))}", "portal")
        for part, text in (("txid", "{v}.1"), ("event-id", "1.{v}"))
        for label, v in NUMBERS.items()
    ],
    *[
        Case(f"cursor-{part}-{label}", 400, "validation_error", "cursor", "GET", f"{url}?cursor={_cursor(text + v)}",
             CLERK)
        for part, url, text in (("offset", QUEUE, "o="), ("position", "/api/v1/dossiers/{counter}/history/", "p="))
        for label, v in NUMBERS.items()
    ],
    *[
        Case(f"if-match-{part}-{label}", 412, "precondition_failed", None, "POST", ACTION + "reject/", CLERK,
             json={"reason": "Thiếu giấy tờ"}, headers={"If-Match": etag.format(v=v)})
        for part, etag in (("version", '"{{counter}}.{v}"'), ("id", '"{v}.1"'), ("weak-version", 'W/"{{counter}}.{v}"'))
        for label, v in NUMBERS.items()
    ],
    *[
        Case(f"path-id-{name}-{label}", 400 if name == "calendar" and label == "huge" else 404,
             None if name == "calendar" and label == "huge" else "not_found", None, method, url.format(id=_q(v)), CLERK)
        for name, method, url in (
            ("detail", "GET", "/api/v1/dossiers/{id}/"), ("history", "GET", "/api/v1/dossiers/{id}/history/"),
            ("download", "GET", "/api/v1/dossiers/1/documents/{id}/download/"),
            ("form", "GET", "/api/v1/dossiers/{id}/documents/receipt.pdf"),
            ("rating", "POST", "/api/v1/dossiers/{id}/rating/"), ("reject", "POST", "/api/v1/dossiers/{id}/reject/"),
            ("calendar", "GET", "/api/v1/calendar/{id}/"),
        )
        for label, v in NUMBERS.items()
    ],
    *[
        Case(f"portal-timestamp-{label}", 401, None, None, "GET", "/api/v1/portal/changes/",
             headers={"X-Portal-Key-Id": KEY_ID, "X-Portal-Timestamp": v, "X-Portal-Signature": "00"})
        for label, v in NUMBERS.items()
    ],
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_hostile_request_is_refused_and_leaves_nothing(case: Case, world, as_user, settings):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    if case.id == "multipart-payload-invalid-utf8":
        case = _with_invalid_utf8_payload(case)
    before = world()

    response = case.send(world, as_user)

    assert_problem(response, case.status, case.code, case.field)
    assert world() == before


def _with_invalid_utf8_payload(case: Case) -> Case:
    """Multipart whose `payload` text holds bytes that are not UTF-8 (Django would decode them to U+FFFD)."""
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    raw = encode_multipart(BOUNDARY, case.multipart).replace(b"PLACEHOLDER", b"Thi\xe1\xbb\xff\xfeu")
    return Case(case.id, case.status, case.code, case.field, case.method, case.url, case.user, raw=raw,
                content_type=MULTIPART_CONTENT)


# --- file names -----------------------------------------------------------------------------------


def multipart_with_file_name(payload: dict, file_name: bytes) -> tuple[bytes, str]:
    """Intake multipart with the CCCD part's file name sent byte for byte (the test client would
    clean it up before sending)."""
    boundary = b"hostile-boundary-7d93"
    parts = [(b'name="payload"', json.dumps(payload).encode(), b"application/json")]
    parts += [(b'name="TKLLTP"; filename="TKLLTP.pdf"', PDF, b"application/pdf")]
    parts += [(b'name="CCCD"; filename="' + file_name + b'"', PNG, b"image/png")]
    body = b"".join(
        b"--" + boundary + b"\r\nContent-Disposition: form-data; " + disposition + b"\r\nContent-Type: " + kind
        + b"\r\n\r\n" + content + b"\r\n"
        for disposition, content, kind in parts
    )
    return body + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


@pytest.mark.django_db
@pytest.mark.parametrize("name, kept", [
    (b"../../../etc/CCCD.pdf", "CCCD.pdf"),
    (b"..\\..\\windows\\system32\\CCCD.pdf", "CCCD.pdf"),
    (b"/etc/passwd", "passwd"),
    (b"C:\\Users\\dan\\CCCD.pdf", "CCCD.pdf"),
    (b"CC\x01CD.pdf", "CCCD.pdf"),
    (b"CC\x1b[31mCD.pdf", "CC[31mCD.pdf"),
    ("CCCD\u202egpj.pdf".encode(), "CCCDgpj.pdf"),  # right-to-left override: would show as "CCCDfdp.jpg"
    (b"..", ("validation_error", "documents.CCCD")),  # Django's parser drops a part with no usable name
    (b".htaccess", "htaccess"),
    (unicodedata.normalize("NFD", "Căn cước.pdf").encode(), "Căn cước.pdf"),
    (b"a" * 600 + b".pdf", "a" * 200),
    (b"a" * 5000 + b".pdf", ("parse_error", None)),  # past Django's 1 KB limit on a part's headers
], ids=["traversal", "backslash-traversal", "absolute-path", "windows-path", "control-character", "escape-sequence",
        "rtl-override", "dots-only", "dot-file", "nfd", "long", "longer-than-a-part-header"])
def test_file_names_are_reduced_to_a_harmless_base_name(name, kept, world, as_user, media_root):
    """A name is metadata only (the file is stored under a name we choose: a random token and the
    checksum, written before the code exists, issue 19), so a hostile one is cleaned, not refused:
    the filing goes through, and nothing lands outside MEDIA_ROOT."""
    before = world()
    body, content_type = multipart_with_file_name(counter({}), name)
    response = as_user(CLERK).generic("POST", REGISTER, body, content_type=content_type)
    if isinstance(kept, tuple):  # refused as a whole
        assert_problem(response, 400, *kept)
        assert world() == before
        return
    assert response.status_code == 201, response.content
    document = DossierDocument.objects.get(dossier_id=response.json()["id"], document_type="CCCD")
    assert document.original_name == kept
    stored = media_root / document.file.name
    assert re.fullmatch(rf"[0-9a-f]{{12}}-{document.sha256[:16]}\.png", stored.name), stored.name
    assert stored.resolve().is_relative_to(media_root.resolve())
    assert stored.read_bytes() == PNG
    assert len(files_under(media_root)) == len(before[1]) + 2


# --- search: LIKE metacharacters and Unicode normalisation ------------------------------------------

NAMES = ("Trần Giảm 100% Phí", "Lê_Văn Gạch", "Phạm O'Brien", "Đỗ Back\\Slash", "Nguyễn Văn Thường")


@pytest.fixture
def named_dossiers(media_root, register) -> dict[str, str]:
    codes = {}
    for index, name in enumerate(NAMES):
        applicant = {**APPLICANT, "name": name, "id_number": f"0010880{index:05d}"}
        response = register(applicant=applicant)
        assert response.status_code == 201, response.content
        codes[name] = response.json()["code"]
    return codes


def queue_names(client, q: str) -> set[str]:
    response = client.get(QUEUE, {"q": q, "page_size": 200})
    assert response.status_code == 200, response.content
    return {row["applicant_name"] for row in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize("q, expected", [
    ("%", {"Trần Giảm 100% Phí"}),
    ("100%", {"Trần Giảm 100% Phí"}),
    ("_", {"Lê_Văn Gạch"}),
    ("Lê_", {"Lê_Văn Gạch"}),
    ("'", {"Phạm O'Brien"}),
    ("\\", {"Đỗ Back\\Slash"}),
    ("%%", set()),
    ("' OR '1'='1", set()),
    ("'; DROP TABLE dossiers_dossier; --", set()),
    ("\\%", set()),
    ("Thư_ng", set()),  # `_` would match "ờ" as a wildcard
], ids=["percent", "percent-suffix", "underscore", "underscore-prefix", "quote", "backslash", "double-percent",
        "or-injection", "drop-table", "escaped-percent", "underscore-as-wildcard"])
def test_search_metacharacters_match_literally(q, expected, named_dossiers, as_user):
    assert queue_names(as_user(CLERK), q) == expected
    assert Dossier.objects.count() == len(NAMES)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/agencies/", "/api/v1/procedures/"])
@pytest.mark.parametrize("q", ["%", "_", "'", "\\"])
def test_catalogue_search_metacharacters_match_nothing(url, q, api, demo):
    response = api.get(url, {"q": q})
    assert response.status_code == 200
    assert response.json()["results"] == []


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.django_db
def test_queue_search_finds_nfc_and_nfd_names_both_ways(media_root, register, as_user):
    stored_nfc, stored_nfd = "Nguyễn Thị Hường", "Trịnh Văn Quý"
    assert register(applicant={**APPLICANT, "name": stored_nfc}).status_code == 201
    assert register(applicant={**APPLICANT, "name": nfd(stored_nfd), "id_number": "001088000778"}).status_code == 201
    assert nfd(stored_nfd) != stored_nfd
    clerk = as_user(CLERK)
    for query in ("Hường", nfd("Hường"), "thị hường", nfd("THỊ HƯỜNG")):
        assert queue_names(clerk, query) == {stored_nfc}, query
    for query in ("Trịnh", nfd("Trịnh Văn")):
        assert queue_names(clerk, query) == {stored_nfd}, query


@pytest.mark.django_db
def test_applicant_signed_up_in_nfd_is_found_in_nfc(api, demo, media_root, as_user):
    """The profile name becomes the dossier's applicant name: it must be stored NFC too."""
    name = "Phùng Thị Ngọc Ánh"
    response = api.post("/api/v1/auth/register/", {
        "username": "anh_nfd", "password": "demo-Pass-2025-x", "full_name": nfd(name),
        "applicant_type": "citizen", "id_number": "001199000123",
    }, format="json")
    assert response.status_code == 201, response.content
    filed = as_user("anh_nfd").post(SUBMIT, intake_parts(RECORD, record_docs()), format="multipart")
    assert filed.status_code == 201, filed.content
    assert Dossier.objects.get(pk=filed.json()["id"]).applicant_name == name
    assert queue_names(as_user(CLERK), "Ngọc Ánh") == {name}
    assert queue_names(as_user(CLERK), nfd("ngọc ánh")) == {name}


@pytest.mark.django_db
@pytest.mark.parametrize("url, q, expected_code", [
    ("/api/v1/procedures/", "lý lịch tư pháp", "2.000488"),
    ("/api/v1/agencies/", "Sở Tư pháp", "000.00.17.H29"),
])
def test_catalogue_search_finds_nfd_queries(url, q, expected_code, api, demo):
    for query in (q, nfd(q), nfd(q.upper())):
        response = api.get(url, {"q": query})
        assert response.status_code == 200
        assert expected_code in [row["code"] for row in response.json()["results"]], query


# --- If-None-Match: compared as text, never parsed; a hostile number is just another tag ------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", list(NUMBERS.values()), ids=list(NUMBERS))
@pytest.mark.parametrize("path", ["", "history/", "receipt/"])
def test_if_none_match_with_a_hostile_number_is_a_full_read(value, path, media_root, register, as_user):
    dossier = register().json()
    for tag in (f'"{dossier["id"]}.{value}"', f'"{value}.1"', f'W/"{value}.{value}"'):
        response = as_user(CLERK).get(f"/api/v1/dossiers/{dossier['id']}/{path}", HTTP_IF_NONE_MATCH=tag)
        assert response.status_code == 200, (tag[:40], response.content[:200])
    current = as_user(CLERK).get(f"/api/v1/dossiers/{dossier['id']}/{path}", HTTP_IF_NONE_MATCH=dossier_etag(dossier))
    assert current.status_code == 304


def dossier_etag(dossier: dict) -> str:
    return f'"{dossier["id"]}.{dossier["version"]}"'

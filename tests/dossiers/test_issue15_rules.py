"""Issue 15: the lifecycle rules around the transition table (supplements, transfers, appointments,
payments, closing, conditional reads, backdating) and the one form of instants."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.template.loader import render_to_string
from django.utils import timezone

from apps.documents.selectors import document_context
from apps.dossiers.models import Dossier
from apps.workcalendar.selectors import working_calendar
from onestop.lifecycle import Action
from tests.dossier_fixtures import PDF, RECORD, multipart

LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$")
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def _act(client, dossier_id, action, body=None, **extra):
    return client.post(f"/api/v1/dossiers/{dossier_id}/{action}/", body or {}, format="json", **extra)


@pytest.fixture
def received(register):
    response = register()
    assert response.status_code == 201, response.json()
    return response.json()["id"]


# --- 1. supplements ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_supplement_must_bring_every_requested_document_type(received, as_user):
    clerk = as_user("clerk_tuphap")
    unknown = _act(clerk, received, "request_supplement", {"reason": "Thiếu", "document_types": ["XYZ"]})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "document_types.XYZ"
    nothing = _act(clerk, received, "request_supplement", {"reason": "Thiếu"})
    assert nothing.status_code == 400 and nothing.json()["errors"][0]["field"] == "items"
    asked = _act(clerk, received, "request_supplement",
                 {"reason": "Bản sao mờ", "document_types": ["CCCD"], "items": ["Số điện thoại liên hệ"]})
    assert asked.status_code == 200, asked.json()

    def supplement(note, documents):
        return clerk.post(f"/api/v1/dossiers/{received}/supplement/", multipart({"note": note}, documents),
                          format="multipart")

    empty = _act(clerk, received, "supplement", {"note": "Đã bổ sung"})
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "documents.CCCD"
    wrong = supplement("Bổ sung", {"XYZ": PDF})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "documents.XYZ"
    other = supplement("Bổ sung", {"TKLLTP": PDF})
    assert other.status_code == 400 and other.json()["errors"][0]["field"] == "documents.CCCD"
    assert Dossier.objects.get(pk=received).status == "awaiting_supplement"  # the clock did not resume
    done = supplement("Bổ sung CCCD", {"CCCD": PDF})
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "in_progress"

    context = document_context(Dossier.objects.get(pk=received), "supplement_request")
    assert context["items"][0].endswith("(nộp bổ sung)")
    assert context["items"][-1] == "Số điện thoại liên hệ" and len(context["items"]) == 2


@pytest.mark.django_db
def test_a_request_for_information_is_answered_with_form_data_or_a_note(received, as_user):
    clerk = as_user("clerk_tuphap")
    assert _act(clerk, received, "request_supplement", {"reason": "Thiếu", "items": ["Nơi cư trú"]}).status_code == 200
    nothing = _act(clerk, received, "supplement", {})
    assert nothing.status_code == 400 and nothing.json()["code"] == "validation_error"
    answered = _act(clerk, received, "supplement", {"form_data": {"noi_cu_tru": "Văn Giang"}})
    assert answered.status_code == 200, answered.json()
    assert answered.json()["form_data"]["noi_cu_tru"] == "Văn Giang"
    history = clerk.get(f"/api/v1/dossiers/{received}/history/").json()["results"]
    assert history[-1]["payload"]["form_data"] == ["noi_cu_tru"]


# --- 2. transfers --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_transfer_target_must_offer_the_procedure(received, as_user):
    clerk = as_user("clerk_tuphap")
    refused = _act(clerk, received, "transfer", {"agency": "000.00.12.H29", "reason": "Liên thông"})
    assert refused.status_code == 422 and refused.json()["code"] == "procedure_not_offered"
    same = _act(clerk, received, "transfer", {"agency": "000.00.17.H29", "reason": "Liên thông"})
    assert same.status_code == 400
    assert Dossier.objects.get(pk=received).agency.code == "000.00.17.H29"


@pytest.mark.django_db
def test_every_agency_that_held_a_dossier_keeps_read_only_access(received, as_user, transfer_target, demo):
    from apps.accounts.roles import Role
    from apps.accounts.services import staff_create
    from apps.agencies.models import Agency
    from apps.catalog.models import Offering, Procedure

    # 000.00.17 (received it) -> 000.00.12 -> 000.00.31: the middle one held it, then passed it on.
    Offering.objects.create(agency=Agency.objects.get(code="000.00.31.H29"),
                            procedure=Procedure.objects.get(code=RECORD["procedure"]), online_level=3)
    staff_create(username="clerk_taichinh", password="x" * 12, full_name="Cán bộ Tài chính", roles=[Role.CLERK],
                 agencies=[Agency.objects.get(code="000.00.12.H29")])
    assert _act(as_user("clerk_tuphap"), received, "transfer",
                {"agency": "000.00.12.H29", "reason": "Liên thông"}).status_code == 200
    middle = as_user("clerk_taichinh")
    assert _act(middle, received, "transfer", {"agency": "000.00.31.H29", "reason": "Liên thông"}).status_code == 200
    for username in ("clerk_tuphap", "clerk_taichinh"):
        client = as_user(username)
        detail = client.get(f"/api/v1/dossiers/{received}/")
        assert detail.status_code == 200 and detail.json()["allowed_actions"] == []
        assert _act(client, received, "reject", {"reason": "x"}).status_code == 403
        listed = client.get("/api/v1/dossiers/", {"transferred_out": "true"}).json()["results"]
        assert [row["id"] for row in listed] == [received]
    # An agency that never held it still gets a 404.
    assert as_user("clerk_xuanquan").get(f"/api/v1/dossiers/{received}/").status_code == 404


# --- 3. appointments -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_apology_appointment_in_working_time_and_later(register, as_user, clock):
    clock.set(2025, 11, 17, 9, 0)  # Monday
    dossier_id = register().json()["id"]
    leader = as_user("leader_tuphap")
    sunday = _act(leader, dossier_id, "apologise", {"reason": "Chậm", "new_appointment": "2025-11-30T09:00:00+07:00"})
    assert sunday.status_code == 400 and sunday.json()["errors"][0]["field"] == "new_appointment"
    current = Dossier.objects.get(pk=dossier_id).appointment_at
    body = sunday.json()
    assert LOCAL.match(body["current_appointment"]) and LOCAL.match(body["earliest_appointment"])
    assert body["current_appointment"] == timezone.localtime(current).isoformat()
    earliest = working_calendar().earliest_appointment_after(current)
    assert body["earliest_appointment"] == timezone.localtime(earliest).isoformat()
    lunch = _act(leader, dossier_id, "apologise", {"reason": "Chậm", "new_appointment": "2025-12-01T12:00:00+07:00"})
    assert lunch.status_code == 400
    earlier = _act(leader, dossier_id, "apologise", {"reason": "Chậm", "new_appointment": "2025-11-25T16:00:00+07:00"})
    assert earlier.status_code == 400
    ok = _act(leader, dossier_id, "apologise", {"reason": "Chậm", "new_appointment": body["earliest_appointment"]})
    assert ok.status_code == 200, ok.json()
    closing = _act(leader, dossier_id, "apologise", {"reason": "Chậm", "new_appointment": "2025-12-01T17:00:00+07:00"})
    assert closing.status_code == 200  # a closing time is a legal appointment


# --- 4. payment ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fee_items_add_up_and_the_control_slip_lists_payment(received, as_user):
    clerk = as_user("clerk_tuphap")
    wrong = _act(clerk, received, "request_payment",
                 {"amount": "200000", "items": [{"name": "Lệ phí", "amount": "150000"}]})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "items"
    fraction = _act(clerk, received, "request_payment", {"amount": "200000.5"})
    assert fraction.status_code == 400
    ok = _act(clerk, received, "request_payment", {"amount": "200000", "items": [
        {"name": "Lệ phí cấp phiếu", "amount": "150000"}, {"name": "Phí dịch vụ", "amount": "50000"}]})
    assert ok.status_code == 200, ok.json()
    assert _act(clerk, received, "confirm_payment", {"method": "counter", "reference": "BL-001"}).status_code == 200
    steps = document_context(Dossier.objects.get(pk=received), "control_slip")["steps"]
    actions = [step.action for step in steps]
    assert actions == ["register", Action.REQUEST_PAYMENT, Action.CONFIRM_PAYMENT]
    assert "Lệ phí cấp phiếu" in steps[1].note and "200.000 đồng" in steps[1].note
    assert "BL-001" in steps[2].note


# --- 5. closing, refusal, same day ---------------------------------------------------------------


@pytest.mark.django_db
def test_return_sets_closed_at_and_a_refusal_has_its_form(received, as_user):
    specialist, clerk = as_user("specialist_tuphap"), as_user("clerk_tuphap")
    resolved = _act(specialist, received, "resolve", {"result": "refused", "note": "Không đủ điều kiện"})
    assert resolved.status_code == 200 and resolved.json()["closed_at"] is None
    refusal = clerk.get(f"/api/v1/dossiers/{received}/documents/refusal.pdf")
    assert refusal.status_code == 200 and refusal["Content-Type"] == "application/pdf"
    context = document_context(Dossier.objects.get(pk=received), "refusal")
    assert context["reason"] == "Không đủ điều kiện" and context["at_intake"] is False
    returned = _act(clerk, received, "return", {"method": "counter"})
    assert returned.status_code == 200 and returned.json()["closed_at"] == returned.json()["returned_at"]
    assert clerk.get(f"/api/v1/dossiers/{received}/documents/refusal.pdf").status_code == 200


@pytest.mark.django_db
def test_an_approved_dossier_has_no_refusal_form(received, as_user):
    assert _act(as_user("specialist_tuphap"), received, "resolve", {"result": "approved"}).status_code == 200
    assert as_user("clerk_tuphap").get(f"/api/v1/dossiers/{received}/documents/refusal.pdf").status_code == 404


@pytest.mark.django_db
def test_same_day_receipt_says_trong_ngay(register, received):
    from tests.dossier_fixtures import BIRTH, BIRTH_DOCS

    same_day = register(target=BIRTH, docs=BIRTH_DOCS, username="clerk_xuanquan").json()["id"]
    text = render_to_string("documents/pdf/receipt.xml", document_context(Dossier.objects.get(pk=same_day), "receipt"))
    assert "là: trong ngày" in text and "0 ngày làm việc" not in text
    seven = render_to_string("documents/pdf/receipt.xml", document_context(Dossier.objects.get(pk=received), "receipt"))
    assert "7 ngày làm việc" in seven


# --- 7. conditional reads ------------------------------------------------------------------------


@pytest.mark.django_db
def test_if_none_match_gives_304_on_every_read_with_an_etag(received, as_user):
    clerk = as_user("clerk_tuphap")
    for path in ("", "history/", "documents/", "receipt/"):
        first = clerk.get(f"/api/v1/dossiers/{received}/{path}")
        assert first.status_code == 200 and first["ETag"], path
        again = clerk.get(f"/api/v1/dossiers/{received}/{path}", HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content, path
        weak = clerk.get(f"/api/v1/dossiers/{received}/{path}", HTTP_IF_NONE_MATCH=f'"x", W/{first["ETag"]}')
        assert weak.status_code == 304, path
    etag = clerk.get(f"/api/v1/dossiers/{received}/")["ETag"]
    assert _act(clerk, received, "assign", {"assignee": "specialist_tuphap"}).status_code == 200
    assert clerk.get(f"/api/v1/dossiers/{received}/", HTTP_IF_NONE_MATCH=etag).status_code == 200


# --- 8. backdating -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_backdating_is_limited_by_a_setting(register, settings):
    now = timezone.now()
    too_old = register(received_at=(now - timedelta(days=31)).isoformat())
    assert too_old.status_code == 400 and too_old.json()["errors"][0]["field"] == "received_at"
    assert register(received_at=(now - timedelta(days=29)).isoformat()).status_code == 201
    settings.REGISTRATION_BACKDATE_DAYS = 60
    assert register(received_at=(now - timedelta(days=45)).isoformat()).status_code == 201


# --- 6. one form for instants: the schema's date-time fields over real responses -------------------

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text(encoding="utf-8"))


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _date_time_values(schema: dict, value, path: str = "$"):
    """Every value the schema declares `format: date-time`, with its path."""
    schema = _resolve(schema)
    for option in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from _date_time_values(option, value, path)
    if value is None:
        return
    if schema.get("format") == "date-time":
        yield path, value
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                yield from _date_time_values(sub, value[name], f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from _date_time_values(schema["items"], item, f"{path}[{i}]")


def _all_instants(value, path: str = "$"):
    """Every string that looks like an instant, declared or not (payloads, problem extras)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _all_instants(sub, f"{path}.{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _all_instants(sub, f"{path}[{i}]")
    elif isinstance(value, str) and INSTANT.match(value):
        yield path, value


def _response_schema(path: str, method: str = "get") -> dict:
    operation = SCHEMA["paths"][path][method]
    content = operation["responses"]["200"]["content"]
    return next(iter(content.values()))["schema"]


@pytest.mark.django_db
def test_every_instant_the_api_emits_is_local_with_its_offset(received, as_user, api, transfer_target):
    clerk, leader = as_user("clerk_tuphap"), as_user("leader_tuphap")
    _act(clerk, received, "request_supplement", {"reason": "Thiếu", "items": ["Địa chỉ"]})
    _act(clerk, received, "supplement", {"note": "Xóm 3"})
    _act(clerk, received, "request_payment", {"amount": "200000"})
    _act(clerk, received, "confirm_payment", {"method": "counter"})
    _act(as_user("specialist_tuphap"), received, "resolve", {"result": "approved"})
    dossier = Dossier.objects.get(pk=received)
    code, id_number = dossier.code, dossier.applicant_id_number
    checked = 0
    reads = [
        ("/api/v1/dossiers/{id}/", f"/api/v1/dossiers/{received}/", clerk),
        ("/api/v1/dossiers/{id}/history/", f"/api/v1/dossiers/{received}/history/", clerk),
        ("/api/v1/dossiers/{id}/documents/", f"/api/v1/dossiers/{received}/documents/", clerk),
        ("/api/v1/dossiers/{id}/receipt/", f"/api/v1/dossiers/{received}/receipt/", clerk),
        ("/api/v1/dossiers/", "/api/v1/dossiers/?include_closed=true", clerk),
        ("/api/v1/lookup/{code}/", f"/api/v1/lookup/{code}/?id_number={id_number}", api),
    ]
    for template, url, client in reads:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        body = response.json()
        declared = list(_date_time_values(_response_schema(template), body))
        assert declared, f"{template}: the schema declares no date-time field in this answer"
        for where, value in [*declared, *_all_instants(body)]:
            assert isinstance(value, str) and LOCAL.match(value), (template, where, value)
            checked += 1
    # A problem body: the apology's 400 names both appointments.
    other = as_user("clerk_tuphap").post("/api/v1/dossiers/register/", multipart(
        {**RECORD, "channel": "counter", "applicant": {"name": "Lê Văn Tám", "id_number": "001088000888"}},
        {"TKLLTP": PDF, "CCCD": PDF}), format="multipart").json()["id"]
    problem = _act(leader, other, "apologise", {"reason": "x", "new_appointment": "2000-01-01T09:00:00+07:00"})
    assert problem.status_code == 400
    instants = list(_all_instants(problem.json()))
    assert len(instants) == 2 and all(LOCAL.match(v) for _, v in instants)
    # The queue export (CSV).
    rows = b"".join(clerk.get("/api/v1/dossiers/export.csv", {"include_closed": "true"}).streaming_content)
    stamps = re.findall(rb"\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d\d:\d\d|Z)", rows)
    assert stamps and all(s.endswith(b"+07:00") for s in stamps)
    assert checked > 20

"""The portal's API besides the feed: submit (channel portal), read by code, catalogue, health."""
import base64

import pytest

from apps.dossiers.models import Dossier, DossierDocument
from apps.portal.models import OutboxMessage, OutboxStatus
from tests.dossier_fixtures import PDF, PNG, RECORD

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/portal/dossiers/"


def body(**extra) -> dict:
    return {
        **RECORD,
        "applicant": {"name": "Lê Văn Tám", "id_number": "001099001234", "applicant_type": "citizen",
                      "email": "tam@example.vn"},
        "documents": [
            {"document_type": "TKLLTP", "name": "to-khai.pdf", "content_base64": base64.b64encode(PDF).decode()},
            {"document_type": "CCCD", "name": "cccd.png", "content_base64": base64.b64encode(PNG).decode()},
        ],
        **extra,
    }


def test_portal_submits_a_dossier_on_channel_portal(signed, demo, media_root):
    response = signed("POST", SUBMIT, body())
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["channel"] == "portal" and data["status"] == "submitted"
    assert response["ETag"] == f'"{data["id"]}.1"'
    dossier = Dossier.objects.get(pk=data["id"])
    assert dossier.applicant is None and dossier.applicant_name == "Lê Văn Tám"
    docs = DossierDocument.objects.filter(dossier=dossier).order_by("document_type")
    assert [(d.document_type, d.content_type) for d in docs] == [("CCCD", "image/png"), ("TKLLTP", "application/pdf")]
    event = dossier.events.get()
    assert (event.action, event.actor_role, event.actor) == ("submit", "portal", None)
    assert OutboxMessage.objects.get(event=event).payload["KenhThucHien"] == 2


def test_same_validation_as_applicants(signed, demo, media_root):
    missing = signed("POST", SUBMIT, body(documents=[]))
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "documents.TKLLTP"
    no_applicant = signed("POST", SUBMIT, {k: v for k, v in body().items() if k != "applicant"})
    assert no_applicant.status_code == 400
    assert no_applicant.json()["errors"][0]["field"] == "applicant"
    level2 = signed("POST", SUBMIT, body(agency="000.31.01.H29", procedure="2.000815", documents=[]))
    assert (level2.status_code, level2.json()["code"]) == (422, "procedure_not_offered")
    assert Dossier.objects.count() == 0


def test_bad_base64_and_fake_file_type(signed, demo, media_root):
    bad = body()
    bad["documents"][0]["content_base64"] = "***"
    response = signed("POST", SUBMIT, bad)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "documents[0].content_base64"
    exe = body()
    exe["documents"][0]["content_base64"] = base64.b64encode(b"MZ\x90\x00" + b"\x00" * 100).decode()
    response = signed("POST", SUBMIT, exe, headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "allowed" in response.json()["detail"]
    assert not list(media_root.rglob("*.*"))


def test_idempotency_key_replays_and_refuses_another_body(signed, demo, media_root):
    first = signed("POST", SUBMIT, body(), headers={"Idempotency-Key": "hs-42"})
    again = signed("POST", SUBMIT, body(), headers={"Idempotency-Key": "hs-42"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = signed("POST", SUBMIT, body(note="khác"), headers={"Idempotency-Key": "hs-42"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    other_file = body()
    other_file["documents"][1]["content_base64"] = base64.b64encode(PDF).decode()
    response = signed("POST", SUBMIT, other_file, headers={"Idempotency-Key": "hs-42"})
    assert response.status_code == 422
    assert Dossier.objects.count() == 1


def test_portal_keys_are_separate_idempotency_namespaces(signed, demo, media_root):
    from apps.portal.models import PortalKey

    PortalKey.objects.create(key_id="portal-2", secret="another-secret")
    first = signed("POST", SUBMIT, body(), headers={"Idempotency-Key": "k"})
    second = signed("POST", SUBMIT, body(), headers={"Idempotency-Key": "k"}, key_id="portal-2",
                    secret="another-secret")
    assert first.json()["id"] != second.json()["id"]


def test_read_any_dossier_by_code(signed, submit, media_root):
    code = submit().json()["code"]  # filed online by a citizen
    response = signed("GET", f"/api/v1/portal/dossiers/{code}/")
    assert response.status_code == 200
    assert response.json()["code"] == code and response.json()["allowed_actions"] == []
    missing = signed("GET", "/api/v1/portal/dossiers/NOPE-000000-0001/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_catalogue_lists_procedures_with_their_offerings(signed, demo):
    response = signed("GET", "/api/v1/portal/catalog/?page_size=50")
    assert response.status_code == 200
    procedures = {p["code"]: p for p in response.json()["results"]}
    marriage = procedures["1.000894"]
    assert [o["agency"] for o in marriage["offerings"]] == ["000.31.01.H29", "000.32.01.H29"]
    assert {d["code"] for d in marriage["document_types"]} == {"TKKH", "XNTTHN"}
    assert procedures["2.000488"]["offerings"][0]["processing_days"] == "7.00"


def test_health_counts_only_without_authentication(api, demo, media_root, submit):
    submit()
    response = api.get("/api/v1/portal/health/")
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["pending"], data["dead"]) == ("ok", 1, 0)
    assert data["oldest_pending_age_seconds"] >= 0
    from django.core.cache import cache

    OutboxMessage.objects.update(status=OutboxStatus.DEAD)
    cache.delete("portal:health")
    data = api.get("/api/v1/portal/health/").json()
    assert (data["status"], data["pending"], data["dead"], data["oldest_pending_at"]) == ("degraded", 0, 1, None)

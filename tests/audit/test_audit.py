"""The audit log (apps/audit): staff reads of personal data and admin changes, append-only,
readable by administrators only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.audit.models import AuditAction, AuditEntry
from apps.audit.sites import AuditedModelAdminMixin
from apps.dossiers.models import DossierDocument
from apps.portal.models import OutboxMessage

pytestmark = pytest.mark.django_db
APPLICANT_ID_NUMBER = "001088000777"  # the `register` fixture's applicant


@pytest.fixture
def counter_dossier(register, media_root) -> dict:
    response = register()
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def online_dossier(submit, media_root) -> dict:
    response = submit()
    assert response.status_code == 201, response.content
    return response.json()


def reads(dossier: dict) -> dict[str, tuple[str, AuditAction, dict]]:
    document = DossierDocument.objects.filter(dossier_id=dossier["id"]).order_by("id").first()
    base = f"/api/v1/dossiers/{dossier['id']}/"
    return {
        "detail": (base, AuditAction.DOSSIER_READ, {}),
        "history": (base + "history/", AuditAction.DOSSIER_HISTORY, {}),
        "documents": (base + "documents/", AuditAction.DOSSIER_DOCUMENTS, {}),
        "download": (f"{base}documents/{document.pk}/download/", AuditAction.DOSSIER_DOCUMENT_DOWNLOAD,
                     {"document_id": document.pk, "document_type": document.document_type}),
        "receipt": (base + "receipt/", AuditAction.DOSSIER_RECEIPT, {}),
        "form": (base + "documents/receipt.pdf", AuditAction.DOSSIER_FORM, {"form": "receipt", "event": None}),
    }


READS = ["detail", "history", "documents", "download", "receipt", "form"]


# --- reads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("read", READS)
def test_a_staff_read_writes_exactly_one_entry(counter_dossier, as_user, read):
    path, action, detail = reads(counter_dossier)[read]
    clerk = as_user("clerk_tuphap")
    before = timezone.now()
    response = clerk.get(path, HTTP_X_REQUEST_ID="req-7f3a")
    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)  # the whole file went out

    [entry] = AuditEntry.objects.all()
    assert entry.actor_id == User.objects.get(username="clerk_tuphap").pk
    assert entry.actor_username == "clerk_tuphap"
    assert entry.action == action
    assert (entry.object_type, entry.object_id) == ("dossiers.dossier", str(counter_dossier["id"]))
    assert entry.dossier_code == counter_dossier["code"]
    assert entry.request_id == "req-7f3a"
    assert entry.ip == "127.0.0.1"
    assert before <= entry.at <= timezone.now()
    assert entry.detail == detail


def test_a_staff_search_by_id_number_is_logged_with_what_it_found(counter_dossier, as_user):
    response = as_user("clerk_tuphap").get("/api/v1/dossiers/", {"q": APPLICANT_ID_NUMBER, "page_size": "10"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1

    [entry] = AuditEntry.objects.all()
    assert (entry.actor_username, entry.action) == ("clerk_tuphap", AuditAction.DOSSIER_SEARCH)
    assert entry.object_type == "dossiers.dossier" and entry.object_id == ""
    assert entry.dossier_code == counter_dossier["code"]  # one dossier found: named
    assert entry.detail == {"filters": {"q": APPLICANT_ID_NUMBER, "page_size": "10"},
                            "codes": [counter_dossier["code"]]}
    assert len(entry.request_id) == 32  # no X-Request-ID given: a fresh one


def test_the_queue_without_a_search_is_not_logged(counter_dossier, as_user):
    assert as_user("clerk_tuphap").get("/api/v1/dossiers/").status_code == 200
    assert not AuditEntry.objects.exists()


def test_the_csv_export_is_logged_before_it_streams(counter_dossier, as_user):
    response = as_user("clerk_tuphap").get("/api/v1/dossiers/export.csv", {"status": "received"})
    assert response.status_code == 200
    [entry] = AuditEntry.objects.all()  # written before a single row was read
    assert b"".join(response.streaming_content).count(counter_dossier["code"].encode()) == 1
    assert (entry.actor_username, entry.action, entry.object_type) == (
        "clerk_tuphap", AuditAction.DOSSIER_EXPORT, "dossiers.dossier")
    assert entry.detail == {"filters": {"status": "received"}}
    assert AuditEntry.objects.count() == 1


def test_applicants_reading_their_own_dossier_are_not_logged(online_dossier, as_user):
    citizen = as_user("citizen1")
    for read in ("detail", "history", "documents", "download", "receipt"):
        assert citizen.get(reads(online_dossier)[read][0]).status_code == 200, read
    assert not AuditEntry.objects.exists()


def test_a_staff_read_of_an_online_filing_is_logged(online_dossier, as_user):
    assert as_user("clerk_tuphap").get(f"/api/v1/dossiers/{online_dossier['id']}/").status_code == 200
    assert AuditEntry.objects.get().dossier_code == online_dossier["code"]


def test_a_refused_read_discloses_nothing_and_is_not_logged(counter_dossier, as_user):
    other_agency = as_user("clerk_xuanquan")
    for read in READS:
        assert other_agency.get(reads(counter_dossier)[read][0]).status_code == 404, read
    assert not AuditEntry.objects.exists()


def test_no_data_leaves_without_its_entry(counter_dossier, as_user, monkeypatch):
    """The failure policy: an audit insert that fails fails the read (500), loudly."""

    def broken_insert(self, *args, **kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(AuditEntry, "save", broken_insert)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(User.objects.get(username="clerk_tuphap"))
    for read in READS:
        response = client.get(reads(counter_dossier)[read][0])
        assert response.status_code == 500, read
        assert b"Nguy" not in response.content and APPLICANT_ID_NUMBER.encode() not in response.content


# --- admin changes -------------------------------------------------------------------------------


@pytest.fixture
def admin_browser(demo) -> Client:
    browser = Client(REMOTE_ADDR="10.1.2.3")
    browser.force_login(User.objects.get(username="admin"))
    return browser


def test_admin_add_change_delete_each_write_one_entry(admin_browser):
    assert admin_browser.post("/admin/auth/group/add/", {"name": "Kiểm tra"}).status_code == 302
    group = Group.objects.get(name="Kiểm tra")
    [added] = AuditEntry.objects.all()
    assert (added.actor_username, added.action, added.object_type, added.object_id) == (
        "admin", AuditAction.ADMIN_ADD, "auth.group", str(group.pk))
    assert added.ip == "10.1.2.3" and added.detail == {"repr": "Kiểm tra", "message": [{"added": {}}]}

    assert admin_browser.post(f"/admin/auth/group/{group.pk}/change/", {"name": "Kiểm tra 2"}).status_code == 302
    changed = AuditEntry.objects.latest("id")
    assert (changed.action, changed.object_id) == (AuditAction.ADMIN_CHANGE, str(group.pk))
    assert changed.detail["message"][0]["changed"]["fields"]  # which fields, never their values

    assert admin_browser.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code == 302
    deleted = AuditEntry.objects.latest("id")
    assert (deleted.action, deleted.object_id, deleted.detail) == (
        AuditAction.ADMIN_DELETE, str(group.pk), {"repr": "Kiểm tra 2"})
    assert AuditEntry.objects.count() == 3


def test_admin_bulk_delete_logs_each_object_once(admin_browser):
    groups = [Group.objects.create(name=f"Nhóm {i}") for i in range(2)]
    response = admin_browser.post("/admin/auth/group/", {
        "action": "delete_selected", "_selected_action": [g.pk for g in groups], "post": "yes",
    })
    assert response.status_code == 302 and not Group.objects.filter(name__startswith="Nhóm").exists()
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.object_id) for e in entries] == [(AuditAction.ADMIN_DELETE, str(g.pk)) for g in groups]
    assert len({e.request_id for e in entries}) == 1  # one request


def test_admin_actions_are_logged(admin_browser, counter_dossier):
    messages = list(OutboxMessage.objects.order_by("id").values_list("pk", flat=True))
    assert messages  # the registration queued its event for the portal
    response = admin_browser.post("/admin/portal/outboxmessage/", {
        "action": "replay_dead", "_selected_action": messages, "index": "0",
    })
    assert response.status_code == 302
    [entry] = AuditEntry.objects.all()
    assert (entry.actor_username, entry.action, entry.object_type) == (
        "admin", AuditAction.ADMIN_ACTION, "portal.outboxmessage")
    assert entry.detail == {"action": "replay_dead", "count": len(messages), "ids": [str(pk) for pk in messages]}


def test_every_admin_is_audited():
    """Registration goes through the audited site: no ModelAdmin, ours or Django's, escapes."""
    assert admin.site._registry
    unaudited = [type(m).__name__ for m in admin.site._registry.values() if not isinstance(m, AuditedModelAdminMixin)]
    assert unaudited == []


def test_the_log_is_read_only_in_the_admin(admin_browser):
    assert admin_browser.get("/admin/audit/auditentry/").status_code == 200
    assert admin_browser.get("/admin/audit/auditentry/add/").status_code == 403
    staff = User.objects.create_user("staff_no_admin", password="x-Pass-2025-x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="audit"))
    browser = Client()
    browser.force_login(staff)
    assert browser.get("/admin/audit/auditentry/").status_code == 403  # permissions are not enough: administrators


# --- append-only ---------------------------------------------------------------------------------


def test_entries_cannot_be_updated_or_deleted(counter_dossier, as_user):
    as_user("clerk_tuphap").get(f"/api/v1/dossiers/{counter_dossier['id']}/")
    entry = AuditEntry.objects.get()
    attempts = [
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(actor_username="someone else"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: entry.delete(),
        lambda: connection.cursor().execute("UPDATE audit_auditentry SET detail = '{}'"),
        lambda: connection.cursor().execute("DELETE FROM audit_auditentry"),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    entry.refresh_from_db()
    assert entry.actor_username == "clerk_tuphap" and AuditEntry.objects.count() == 1


# --- the API -------------------------------------------------------------------------------------


@pytest.fixture
def logged(counter_dossier, as_user) -> dict:
    clerk = as_user("clerk_tuphap")
    clerk.get(f"/api/v1/dossiers/{counter_dossier['id']}/")
    clerk.get(f"/api/v1/dossiers/{counter_dossier['id']}/history/")
    as_user("supervisor").get(f"/api/v1/dossiers/{counter_dossier['id']}/")
    return counter_dossier


def test_administrators_read_the_log_newest_first(logged, as_user):
    response = as_user("admin").get("/api/v1/audit/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("supervisor", "dossier.read"), ("clerk_tuphap", "dossier.history"), ("clerk_tuphap", "dossier.read")]
    assert rows[0]["dossier_code"] == logged["code"] and rows[0]["object_id"] == str(logged["id"])
    assert set(rows[0]) == {"id", "at", "actor", "actor_id", "action", "object_type", "object_id", "dossier_code",
                            "request_id", "ip", "detail"}
    assert not AuditEntry.objects.filter(actor_username="admin").exists()  # reading the log is not a dossier read


def test_the_log_pages_by_cursor(logged, as_user):
    admin_api = as_user("admin")
    first = admin_api.get("/api/v1/audit/", {"page_size": 2}).json()
    second = admin_api.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True) and second["next"] is None


@pytest.mark.parametrize(("params", "expected"), [
    ({"actor": "clerk_tuphap"}, 2),
    ({"actor": "nobody"}, 0),
    ({"action": "dossier.history"}, 1),
    ({"action": ["dossier.history", "dossier.read"]}, 3),
    ({"object_type": "dossiers.dossier", "object_id": "LOGGED"}, 3),
    ({"object_type": "auth.group"}, 0),
    ({"dossier": "LOGGED_CODE"}, 3),
    ({"date_from": "TODAY", "date_to": "TODAY"}, 3),
    ({"date_from": "TOMORROW"}, 0),
    ({"date_to": "YESTERDAY"}, 0),
    ({"date_to": "2100-12-31", "date_from": "2000-01-01"}, 3),  # the widest range allowed (year 1 or 9999: 400)
])
def test_the_log_filters(logged, as_user, params, expected):
    today = timezone.localdate()
    day = timedelta(days=1)
    replace = {"LOGGED": str(logged["id"]), "LOGGED_CODE": logged["code"], "TODAY": today.isoformat(),
               "TOMORROW": (today + day).isoformat(), "YESTERDAY": (today - day).isoformat()}
    query = {k: [replace.get(x, x) for x in v] if isinstance(v, list) else replace.get(v, v) for k, v in params.items()}
    response = as_user("admin").get("/api/v1/audit/", query)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == expected


@pytest.mark.parametrize("params", [{"date_from": "yesterday"}, {"action": "dossier.eaten"}, {"actor": "x" * 151}])
def test_bad_filters_are_a_problem(logged, as_user, params):
    response = as_user("admin").get("/api/v1/audit/", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("username", ["citizen1", "clerk_tuphap", "specialist_tuphap", "leader_tuphap",
                                      "stats_vangiang", "supervisor"])
def test_everyone_but_administrators_is_refused(logged, as_user, username):
    response = as_user(username).get("/api/v1/audit/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_anonymous_callers_must_sign_in(logged):
    assert APIClient().get("/api/v1/audit/").status_code == 401

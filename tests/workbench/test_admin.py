"""The read-only Dossier admin for administrators, every read audited."""
from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.audit.models import AuditAction, AuditEntry
from apps.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def _as(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def dossiers(register, submit, media_root):
    return [register().json(), submit().json()]


def test_administrators_list_filter_and_search_dossiers(dossiers):
    admin = _as("admin")
    response = admin.get("/admin/dossiers/dossier/")
    assert response.status_code == 200
    page = response.content.decode()
    assert all(d["code"] in page for d in dossiers)
    response = admin.get("/admin/dossiers/dossier/", {"status__exact": "submitted"})
    assert [d.code for d in response.context_data["cl"].result_list] == [dossiers[1]["code"]]
    response = admin.get("/admin/dossiers/dossier/", {"q": dossiers[0]["code"]})
    assert [d.code for d in response.context_data["cl"].result_list] == [dossiers[0]["code"]]
    entries = AuditEntry.objects.filter(action=AuditAction.DOSSIER_SEARCH, actor_username="admin").order_by("id")
    assert entries.count() == 3
    assert entries.last().dossier_code == dossiers[0]["code"] and entries.last().detail["filters"] == {
        "q": dossiers[0]["code"]}


def test_the_detail_shows_history_and_documents_read_only_and_is_audited(dossiers):
    admin = _as("admin")
    dossier = Dossier.objects.get(pk=dossiers[0]["id"])
    response = admin.get(f"/admin/dossiers/dossier/{dossier.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Quá trình xử lý" in page and "register" in page
    assert f"/api/v1/dossiers/{dossier.pk}/documents/" in page  # document download links
    assert 'name="_save"' not in page  # nothing to save
    assert AuditEntry.objects.filter(action=AuditAction.DOSSIER_READ, dossier_code=dossier.code,
                                     actor_username="admin").count() == 1
    assert admin.post(f"/admin/dossiers/dossier/{dossier.pk}/change/", {"status": "returned"}).status_code == 403
    assert admin.get("/admin/dossiers/dossier/add/").status_code == 403
    assert admin.post(f"/admin/dossiers/dossier/{dossier.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).status == dossier.status


def test_only_administrators_see_dossiers_in_the_admin(dossiers):
    staff = User.objects.create_user("staff_no_admin", password="x-Pass-2025-x", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/dossiers/dossier/").status_code == 403
    assert not AuditEntry.objects.filter(actor_username="staff_no_admin").exists()

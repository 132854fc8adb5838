"""The clerk workbench without a browser: the queue, the dossier page and its action forms, counter
registration, the kiosk rating, on the API's own selectors, registry and services."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import AuditAction, AuditEntry
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent
from apps.ratings.models import Rating
from onestop.lifecycle import DOSSIER_ACTIONS, TRANSITIONS, Actor, Status, allowed_actions
from tests.dossier_fixtures import BIRTH, BIRTH_DOCS, PDF, PNG, RECORD

pytestmark = pytest.mark.django_db


def browser_as(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def text_of(response) -> str:
    return response.content.decode()


def codes_on(response) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', text_of(response))


@pytest.fixture
def queue_data(register, submit, as_user, media_root):
    """At Sở Tư pháp: two registered (one assigned to clerk_tuphap, one due today), one online
    accepted, one online submitted (not yet received); one at a commune."""
    made = {
        "counter": register().json(),
        "post": register(channel="post", applicant={"name": "Lê Văn Hùng", "id_number": "001188000222",
                                                    "applicant_type": "citizen"}).json(),
        "online": submit().json(),
        "submitted": submit(username="citizen2").json(),
        "commune": register(target=BIRTH, docs=BIRTH_DOCS, username="clerk_xuanquan").json(),
    }
    clerk = as_user("clerk_tuphap")
    assert clerk.post(f"/api/v1/dossiers/{made['online']['id']}/accept/", {}, format="json").status_code == 200
    assert clerk.post(f"/api/v1/dossiers/{made['post']['id']}/assign/", {"assignee": "clerk_tuphap"},
                      format="json").status_code == 200
    now = timezone.localtime()
    # One overdue, one due later today, one due in the future (the ordering is by due time).
    end_of_today = datetime.combine(now.date(), time(23, 59, 59), tzinfo=now.tzinfo)
    Dossier.objects.filter(pk=made["counter"]["id"]).update(due_at=now - timedelta(days=2))
    Dossier.objects.filter(pk=made["post"]["id"]).update(due_at=now + (end_of_today - now) / 2)
    Dossier.objects.filter(pk=made["online"]["id"]).update(due_at=now + timedelta(days=5))
    return {k: v["code"] for k, v in made.items()} | {f"{k}_id": v["id"] for k, v in made.items()}


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_the_agencys_active_dossiers_soonest_due_first(queue_data):
    response = browser_as("clerk_tuphap").get("/workbench/")
    assert response.status_code == 200
    assert codes_on(response) == [queue_data["counter"], queue_data["post"], queue_data["online"],
                                  queue_data["submitted"]]
    page = text_of(response)
    assert f'<tr data-code="{queue_data["counter"]}" data-status="received" class="overdue">' in page
    assert f'<tr data-code="{queue_data["post"]}" data-status="in_progress" class="due-today">' in page
    assert f'<tr data-code="{queue_data["online"]}" data-status="received" class="">' in page
    assert "Chờ tiếp nhận" in page and "Đang xử lý" in page  # Vietnamese status labels
    # The commune's dossier is another agency's queue.
    assert codes_on(browser_as("clerk_xuanquan").get("/workbench/")) == [queue_data["commune"]]


def test_the_tabs_count_every_active_status_under_the_other_filters(queue_data):
    client = browser_as("clerk_tuphap")
    counts = dict(re.findall(r'data-status="(\w*)" data-count="(\d+)"', text_of(client.get("/workbench/"))))
    assert counts == {"": "4", "submitted": "1", "received": "2", "in_progress": "1", "awaiting_supplement": "0",
                      "awaiting_payment": "0", "resolved": "0"}
    # A status picked: the tabs still count every status (under the channel filter), the list shows one.
    response = client.get("/workbench/", {"status": "received", "channel": "counter"})
    counts = dict(re.findall(r'data-status="(\w*)" data-count="(\d+)"', text_of(response)))
    assert counts[""] == "1" and counts["received"] == "1" and counts["submitted"] == "0"
    assert codes_on(response) == [queue_data["counter"]]


@pytest.mark.parametrize(("query", "expected"), [
    ({"status": "submitted"}, ["submitted"]),
    ({"channel": "post"}, ["post"]),
    ({"procedure": RECORD["procedure"], "status": "in_progress"}, ["post"]),
    ({"assigned_to_me": "true"}, ["post"]),
    ({"overdue": "true"}, ["counter"]),
    ({"due_within_days": "1"}, ["post"]),  # due later today; the online one in five days
    ({"q": "Lê Văn Hùng"}, ["post"]),
])
def test_the_queue_filters_are_the_apis(queue_data, query, expected, as_user):
    client = browser_as("clerk_tuphap")
    assert codes_on(client.get("/workbench/", query)) == [queue_data[name] for name in expected]
    api = as_user("clerk_tuphap").get("/api/v1/dossiers/", query).json()["results"]
    assert [row["code"] for row in api] == [queue_data[name] for name in expected]


def test_received_between_and_a_search_is_audited(queue_data):
    client = browser_as("clerk_tuphap")
    today = timezone.localdate().isoformat()
    assert len(codes_on(client.get("/workbench/", {"received_from": today, "received_to": today}))) == 3
    assert codes_on(client.get("/workbench/", {"received_to": "2001-01-01"})) == []
    client.get("/workbench/", {"q": queue_data["counter"]})
    entry = AuditEntry.objects.get(action=AuditAction.DOSSIER_SEARCH)
    assert entry.actor_username == "clerk_tuphap" and entry.dossier_code == queue_data["counter"]


def test_bad_filters_are_a_400_page_not_a_500(queue_data):
    client = browser_as("clerk_tuphap")
    for query in ({"status": "nonsense"}, {"overdue": "maybe"}, {"due_within_days": "-1"},
                  {"received_from": "2025-02-30"}, {"cursor": "garbage"}, {"page_size": "0"}):
        response = client.get("/workbench/", query)
        assert response.status_code == 400, query
        assert "Bộ lọc không hợp lệ" in text_of(response)


def _walk(client, url: str) -> list[str]:
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += codes_on(response)
        match = re.search(r'id="page-next" href="([^"]+)"', text_of(response))
        url = "/workbench/" + match[1].replace("&amp;", "&") if match else None
        assert len(seen) <= 10
    return seen


def test_cursor_paging_walks_the_queue(queue_data):
    client = browser_as("clerk_tuphap")
    seen = _walk(client, "/workbench/?page_size=1&status=received&status=in_progress")
    assert seen == [queue_data["counter"], queue_data["post"], queue_data["online"]]
    previous = text_of(client.get("/workbench/?page_size=1&status=received&status=in_progress"))
    assert 'id="page-previous"' not in previous and 'id="page-next"' in previous


def test_cursor_paging_reaches_the_dossiers_without_a_due_time(queue_data, submit):
    """Past the last dated dossier, and through a page of undated ones only, both ways."""
    more = [submit(username="citizen2").json()["code"] for _ in range(2)]
    client = browser_as("clerk_tuphap")
    expected = [queue_data["counter"], queue_data["post"], queue_data["online"], queue_data["submitted"], *more]
    assert _walk(client, "/workbench/?page_size=1") == expected
    assert _walk(client, "/workbench/?page_size=2&status=submitted") == expected[3:]
    # Backwards from the last page.
    url, seen = "/workbench/?page_size=2", []
    while True:
        page = text_of(client.get(url))
        match = re.search(r'id="page-next" href="([^"]+)"', page)
        if not match:
            break
        url = "/workbench/" + match[1].replace("&amp;", "&")
    while True:
        seen = codes_on(client.get(url)) + seen
        match = re.search(r'id="page-previous" href="([^"]+)"', text_of(client.get(url)))
        if not match:
            break
        url = "/workbench/" + match[1].replace("&amp;", "&")
    assert seen == expected


def test_the_csv_is_the_apis_export_of_the_current_filter(queue_data):
    client = browser_as("clerk_tuphap")
    page = text_of(client.get("/workbench/", {"channel": "post", "cursor": "", "page_size": "10"}))
    href = re.search(r'id="export-csv" href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert href == "/api/v1/dossiers/export.csv?channel=post"
    response = client.get(href)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["code"] for row in rows] == [queue_data["post"]]


def test_who_may_open_the_workbench(queue_data):
    assert Client().get("/workbench/").status_code == 302  # to the sign-in form
    assert "/accounts/login/" in Client().get("/workbench/")["Location"]
    assert browser_as("citizen1").get("/workbench/").status_code == 403
    assert browser_as("stats_vangiang").get("/workbench/").status_code == 403
    for username in ("clerk_tuphap", "specialist_tuphap", "leader_tuphap"):
        assert browser_as(username).get("/workbench/").status_code == 200


@pytest.mark.parametrize("filters", [{}, {"overdue": "false", "q": "Nguyễn", "channel": "counter"}])
def test_a_queue_page_runs_a_fixed_number_of_statements_whatever_its_size(
        register, media_root, django_assert_num_queries, filters):
    for _ in range(12):
        assert register().status_code == 201
    client = browser_as("clerk_tuphap")
    client.get("/workbench/")  # the session, warmed caches (working calendar, catalogue)
    statements = 8 + (1 if filters.get("q") else 0)  # + the search's audit entry
    for size in (1, 5, 12):
        with django_assert_num_queries(statements):
            response = client.get("/workbench/", {"page_size": size, **filters})
        assert len(codes_on(response)) == size


# --- the dossier page ---------------------------------------------------------------------------


def test_the_dossier_page_shows_the_record_and_exactly_the_allowed_actions(queue_data):
    client = browser_as("clerk_tuphap")
    dossier = Dossier.objects.get(code=queue_data["submitted"])
    page = text_of(client.get(f"/workbench/dossiers/{dossier.pk}/"))
    assert dossier.applicant_name in page and dossier.procedure.name in page and "Chờ tiếp nhận" in page
    shown = re.findall(r'<details class="action" id="action-(\w+)"', page)
    assert shown == [str(a) for a in allowed_actions(Status.SUBMITTED, {Actor.CLERK})] == ["accept", "reject"]
    # The history and the documents (the online filing's two files), the receipt not yet (not received).
    assert re.findall(r'<li data-action="(\w+)"', page) == ["submit"]
    assert len(re.findall(r'<tr data-document="\d+"', page)) == 2
    assert 'data-form="receipt"' not in page
    # A specialist sees no action on a submitted dossier; a leader may reject it.
    assert 'id="no-actions"' in text_of(browser_as("specialist_tuphap").get(f"/workbench/dossiers/{dossier.pk}/"))
    leader = text_of(browser_as("leader_tuphap").get(f"/workbench/dossiers/{dossier.pk}/"))
    assert re.findall(r'<details class="action" id="action-(\w+)"', leader) == ["reject"]
    assert AuditEntry.objects.filter(action=AuditAction.DOSSIER_READ, dossier_code=dossier.code).count() == 3


def test_every_action_a_staff_member_may_take_has_its_form():
    from django.template.loader import get_template

    staff = {Actor.CLERK, Actor.SPECIALIST, Actor.LEADER}
    for action in DOSSIER_ACTIONS:
        if TRANSITIONS[action].actors & staff:
            get_template(f"workbench/actions/{action}.html")


def test_another_agencys_dossier_is_a_404_and_an_applicant_a_403(queue_data):
    commune = queue_data["commune_id"]
    response = browser_as("clerk_tuphap").get(f"/workbench/dossiers/{commune}/")
    assert response.status_code == 404 and queue_data["commune"] not in text_of(response)
    assert browser_as("clerk_tuphap").post(f"/workbench/dossiers/{commune}/actions/reject/",
                                           {"version": "1", "reason": "x"}).status_code == 404
    assert browser_as("citizen1").get(f"/workbench/dossiers/{queue_data['online_id']}/").status_code == 403
    assert Dossier.objects.get(pk=commune).status == "received"


def _post_action(client, dossier: Dossier, action: str, data: dict | None = None, version: int | None = None):
    return client.post(f"/workbench/dossiers/{dossier.pk}/actions/{action}/",
                       {"version": str(dossier.version if version is None else version), **(data or {})})


def test_an_action_posts_with_the_version_it_was_rendered_from(queue_data):
    client = browser_as("clerk_tuphap")
    dossier = Dossier.objects.get(code=queue_data["submitted"])
    page = text_of(client.get(f"/workbench/dossiers/{dossier.pk}/"))
    assert f'name="version" value="{dossier.version}"' in page
    response = _post_action(client, dossier, "accept")
    assert response.status_code == 302 and response["Location"] == f"/workbench/dossiers/{dossier.pk}/"
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.status == "received" and fresh.received_by.username == "clerk_tuphap"
    assert "Đã thực hiện: Tiếp nhận." in text_of(client.get(response["Location"]))

    # A second clerk's page was rendered from the old version: refused, told, shown the fresh state.
    other = User.objects.create_user("clerk_tuphap2", password="x-Pass-2025-x", full_name="Cán bộ hai")
    other.groups.add(*User.objects.get(username="clerk_tuphap").groups.all())
    other.memberships.create(agency=fresh.agency)
    stale = _post_action(browser_as("clerk_tuphap2"), dossier, "reject", {"reason": "Thiếu giấy tờ"},
                         version=dossier.version)
    assert stale.status_code == 412
    page = text_of(stale)
    assert 'id="notice"' in page and "Hồ sơ vừa được người khác xử lý trước bạn" in page
    assert "Đã tiếp nhận" in page and f'name="version" value="{fresh.version}"' in page
    assert Dossier.objects.get(pk=dossier.pk).status == "received"  # nothing overwritten
    assert list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True)) == ["submit", "accept"]


def test_an_action_no_longer_allowed_is_a_409_page(queue_data):
    client = browser_as("clerk_tuphap")
    dossier = Dossier.objects.get(code=queue_data["online"])
    response = _post_action(client, dossier, "accept")  # already received: the current version, wrong state
    assert response.status_code == 409 and "Hồ sơ vừa được người khác xử lý trước bạn" in text_of(response)


def test_form_mistakes_are_shown_in_the_form_and_change_nothing(queue_data):
    client = browser_as("clerk_tuphap")
    dossier = Dossier.objects.get(code=queue_data["online"])
    response = _post_action(client, dossier, "request_supplement", {"reason": "Thiếu"})  # names nothing missing
    assert response.status_code == 400
    page = text_of(response)
    assert 'id="form-errors"' in page and '<details class="action" id="action-request_supplement" open>' in page
    response = _post_action(client, dossier, "assign", {"assignee": "clerk_xuanquan"})  # another agency's clerk
    assert response.status_code == 400 and "Người xử lý" in text_of(response)
    assert _post_action(client, dossier, "accept", version=None).status_code == 409
    assert client.post(f"/workbench/dossiers/{dossier.pk}/actions/reject/", {"reason": "x"}).status_code == 400
    assert client.post(f"/workbench/dossiers/{dossier.pk}/actions/fly/", {"version": "1"}).status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).version == dossier.version


def test_the_action_forms_offer_what_the_services_accept(queue_data, transfer_target):
    dossier = Dossier.objects.get(code=queue_data["online"])
    page = text_of(browser_as("leader_tuphap").get(f"/workbench/dossiers/{dossier.pk}/"))
    shown = re.findall(r'<details class="action" id="action-(\w+)"', page)
    assert shown == [str(a) for a in allowed_actions(Status.RECEIVED, {Actor.LEADER})]
    assign_form = page.split('id="assign-assignee"')[1].split("</select>")[0]
    assignees = re.findall(r'<option value="(\w+)"', assign_form)
    assert set(assignees) == {"clerk_tuphap", "specialist_tuphap", "leader_tuphap"}
    assert re.findall(r'<option value="([\d.A-Z]+)">[^<]*\(\1\)</option>', page) == [transfer_target]
    clerk_page = text_of(browser_as("clerk_tuphap").get(f"/workbench/dossiers/{dossier.pk}/"))
    assert 'value="TKLLTP"' in clerk_page and 'value="CCCD"' in clerk_page  # the procedure's document types


def test_supplement_request_resolve_with_a_file_and_return_through_the_pages(queue_data):
    dossier = Dossier.objects.get(code=queue_data["online"])
    specialist, clerk = browser_as("specialist_tuphap"), browser_as("clerk_tuphap")
    response = _post_action(specialist, dossier, "request_supplement",
                            {"reason": "Bản chụp CCCD mờ", "document_types": ["CCCD"], "items": "Số điện thoại\n"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "awaiting_supplement"
    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert event.payload["document_types"] == ["CCCD"] and event.payload["items"] == ["Số điện thoại"]
    page = text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))
    assert 'data-form="supplement_request"' in page and "đang chờ bổ sung" in page
    # The timeline names what the request recorded, in Vietnamese.
    assert "<dt>Giấy tờ cần bổ sung</dt><dd>CCCD</dd>" in page and "<dt>Lý do</dt><dd>Bản chụp CCCD mờ</dd>" in page
    # The clerk brings the supplement for the applicant: the requested file is required.
    assert _post_action(clerk, dossier, "supplement", {"note": "Nộp tại quầy"}).status_code == 400
    response = clerk.post(f"/workbench/dossiers/{dossier.pk}/actions/supplement/",
                          {"version": str(dossier.version), "CCCD": SimpleUploadedFile("cccd.png", PNG)})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "in_progress"
    response = specialist.post(f"/workbench/dossiers/{dossier.pk}/actions/resolve/", {
        "version": str(dossier.version), "result": "approved", "note": "",
        "KQ": SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "resolved"
    assert DossierDocument.objects.get(dossier=dossier, stage="result").document_type == "KQ"
    assert _post_action(clerk, dossier, "return", {"method": "counter"}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "returned"
    assert list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True)) == [
        "submit", "accept", "request_supplement", "supplement", "resolve", "return"]


def test_documents_are_previewed_inline_in_a_same_origin_frame(queue_data):
    client = browser_as("clerk_tuphap")
    dossier = Dossier.objects.get(code=queue_data["counter"])
    document = DossierDocument.objects.filter(dossier=dossier).first()
    page = text_of(client.get(f"/workbench/dossiers/{dossier.pk}/", {"preview": document.pk}))
    url = f"/workbench/dossiers/{dossier.pk}/documents/{document.pk}/"
    assert f'<iframe src="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert client.get(url, {"download": "1"})["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(action=AuditAction.DOSSIER_DOCUMENT_DOWNLOAD, dossier_code=dossier.code).exists()
    # The page itself may not be framed, and another agency's clerk gets nothing.
    assert browser_as("clerk_tuphap").get(f"/workbench/dossiers/{dossier.pk}/")["X-Frame-Options"] == "DENY"
    assert browser_as("clerk_xuanquan").get(url).status_code == 404


def test_the_official_forms_are_offered_and_print_in_a_frame(queue_data):
    client = browser_as("clerk_tuphap")
    dossier = Dossier.objects.get(code=queue_data["counter"])
    page = text_of(client.get(f"/workbench/dossiers/{dossier.pk}/"))
    assert re.findall(r'data-form="(\w+)"', page) == ["receipt", "control_slip"]
    printing = text_of(client.get(f"/workbench/dossiers/{dossier.pk}/print/receipt/"))
    pdf_url = f"/workbench/dossiers/{dossier.pk}/forms/receipt.pdf"
    assert f'src="{pdf_url}"' in printing and 'id="print-button"' in printing
    response = client.get(pdf_url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get(f"/workbench/dossiers/{dossier.pk}/forms/refusal.pdf").status_code == 404


# --- counter registration -------------------------------------------------------------------------


def test_a_clerk_registers_a_counter_dossier_and_the_receipt_opens(demo, media_root):
    client = browser_as("clerk_tuphap")
    search = text_of(client.get("/workbench/register/", {"q": "lý lịch"}))
    offering = re.search(r'<a href="\?offering=(\d+)" data-procedure="2.000488">', search)[1]
    form = text_of(client.get("/workbench/register/", {"offering": offering}))
    assert 'id="doc-TKLLTP"' in form and 'id="doc-CCCD"' in form
    key = re.search(r'name="idempotency_key" value="(\w+)"', form)[1]
    data = {"offering": offering, "idempotency_key": key, "channel": "counter", "applicant_type": "citizen",
            "applicant_name": "Phạm Thị Tươi", "applicant_id_number": "001190000999", "applicant_phone": "0912345678",
            "applicant_birth_date": "1990-05-01"}
    # A required document missing: a 400 naming it, nothing registered.
    response = client.post("/workbench/register/", {**data, "TKLLTP": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 400 and 'id="form-errors"' in text_of(response)
    assert not Dossier.objects.exists()
    files = {"TKLLTP": SimpleUploadedFile("to-khai.pdf", PDF), "CCCD": SimpleUploadedFile("cccd.png", PNG)}
    response = client.post("/workbench/register/", {**data, **files})
    assert response.status_code == 302, re.findall(r'<li>(.*?)</li>', text_of(response))
    dossier = Dossier.objects.get()
    assert response["Location"] == f"/workbench/dossiers/{dossier.pk}/print/receipt/?new=1"
    assert (dossier.status, dossier.channel, dossier.applicant_name) == ("received", "counter", "Phạm Thị Tươi")
    assert dossier.received_by.username == "clerk_tuphap"
    assert sorted(DossierDocument.objects.filter(dossier=dossier).values_list("document_type", flat=True)) == [
        "CCCD", "TKLLTP"]
    # A double click sends the same form again: the same dossier, not a second one.
    files = {"TKLLTP": SimpleUploadedFile("to-khai.pdf", PDF), "CCCD": SimpleUploadedFile("cccd.png", PNG)}
    assert client.post("/workbench/register/", {**data, **files})["Location"] == response["Location"]
    assert Dossier.objects.count() == 1
    assert dossier.code in text_of(client.get(response["Location"]))


def test_registration_shares_the_apis_limit_per_clerk(demo, media_root, settings, as_user):
    framework = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {**framework, "DEFAULT_THROTTLE_RATES": {
        **framework["DEFAULT_THROTTLE_RATES"], "registration": "1/min"}}
    from apps.catalog.models import Offering

    offering = Offering.objects.get(agency__code=RECORD["agency"], procedure__code=RECORD["procedure"])
    client = browser_as("clerk_tuphap")
    assert client.post("/workbench/register/", {"offering": offering.pk}).status_code == 400  # counted: 1
    response = client.post("/workbench/register/", {"offering": offering.pk})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert as_user("clerk_tuphap").post("/api/v1/dossiers/register/", {}, format="json").status_code == 429


def test_only_clerks_register_and_only_for_their_agencies(demo):
    assert browser_as("specialist_tuphap").get("/workbench/register/").status_code == 403
    from apps.catalog.models import Offering

    commune_offering = Offering.objects.filter(agency__code=BIRTH["agency"]).first()
    assert browser_as("clerk_tuphap").get("/workbench/register/", {"offering": commune_offering.pk}).status_code == 404


# --- kiosk rating -----------------------------------------------------------------------------------


def test_a_kiosk_rating_after_the_result_is_returned(queue_data):
    dossier = Dossier.objects.get(code=queue_data["counter"])
    clerk = browser_as("clerk_tuphap")
    assert 'id="kiosk-link"' not in text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))  # not finished yet
    assert clerk.post(f"/workbench/dossiers/{dossier.pk}/rating/", {"level": "satisfied"}).status_code == 409
    leader = browser_as("leader_tuphap")
    assert _post_action(leader, dossier, "resolve", {"result": "approved"}).status_code == 302
    dossier.refresh_from_db()
    assert _post_action(clerk, dossier, "return", {"method": "counter"}).status_code == 302
    assert 'id="kiosk-link"' in text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))
    response = clerk.post(f"/workbench/dossiers/{dossier.pk}/rating/", {
        "level": "very_satisfied", "criteria_staff_attitude": "very_satisfied", "comment": "Nhanh, chu đáo"})
    assert response.status_code == 201 and "Cảm ơn" in text_of(response)
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.source, rating.level, rating.criteria, rating.rated_by.username) == (
        "kiosk", "very_satisfied", {"staff_attitude": "very_satisfied"}, "clerk_tuphap")
    assert 'id="kiosk-link"' not in text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))
    assert browser_as("clerk_xuanquan").get(f"/workbench/dossiers/{dossier.pk}/rating/").status_code == 404
    assert browser_as("leader_tuphap").get(f"/workbench/dossiers/{dossier.pk}/rating/").status_code == 403


def test_no_kiosk_for_a_dossier_its_applicant_rates_online(queue_data, as_user):
    """Issue 14: an online dossier of an applicant with an account is rated by them, not at the kiosk:
    the page does not offer it, and a post is the service's refusal."""
    dossier = Dossier.objects.get(code=queue_data["online"])
    assert _post_action(browser_as("leader_tuphap"), dossier, "resolve", {"result": "approved"}).status_code == 302
    clerk = browser_as("clerk_tuphap")
    assert 'id="kiosk-link"' not in text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))
    response = clerk.post(f"/workbench/dossiers/{dossier.pk}/rating/", {"level": "satisfied"})
    assert response.status_code == 422 and not Rating.objects.filter(dossier=dossier).exists()


def test_the_filter_form_as_a_browser_sends_it(queue_data):
    """Every field of the form, the empty ones too (a browser sends them all)."""
    query = {"q": "", "status": "", "channel": "", "procedure": "", "due_within_days": "", "received_from": "",
             "received_to": "", "assigned_to_me": "true"}
    response = browser_as("clerk_tuphap").get("/workbench/", query)
    assert response.status_code == 200, response.content.decode()[-2000:]
    assert codes_on(response) == [queue_data["post"]]


def test_transfer_apology_and_payment_through_the_forms(queue_data, transfer_target):
    """The other action forms: an agency from the select, a local date-time from a datetime-local
    field, an amount, a payment method."""
    from apps.workcalendar.selectors import working_calendar

    dossier = Dossier.objects.get(code=queue_data["online"])
    leader, clerk = browser_as("leader_tuphap"), browser_as("clerk_tuphap")
    new_appointment = timezone.localtime(
        working_calendar().earliest_appointment_after(working_calendar().add_working_time(dossier.appointment_at, 1)))
    response = _post_action(leader, dossier, "apologise", {
        "reason": "Cần xác minh thêm", "new_appointment": new_appointment.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, re.findall(r"<li>(.*?)</li>", text_of(response))
    dossier.refresh_from_db()
    assert dossier.appointment_at == new_appointment and dossier.status == "received"
    assert 'data-form="apology"' in text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))
    # An appointment before the current one: the service's refusal, shown in the form.
    response = _post_action(leader, dossier, "apologise", {"reason": "x", "new_appointment": "2020-01-06T09:00"})
    assert response.status_code == 400 and "Ngày hẹn trả mới" in text_of(response)

    assert _post_action(clerk, dossier, "request_payment", {"amount": "50000"}).status_code == 302
    dossier.refresh_from_db()
    assert (dossier.status, dossier.fee_amount) == ("awaiting_payment", 50000)
    response = _post_action(clerk, dossier, "confirm_payment", {"method": "counter", "reference": "BL-01"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.status, dossier.payment_method) == ("in_progress", "counter")

    response = _post_action(clerk, dossier, "transfer", {"agency": transfer_target, "reason": "Liên thông"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.agency.code == transfer_target
    # Now another agency holds it: read-only for Sở Tư pháp (the page shows no action).
    assert 'id="no-actions"' in text_of(clerk.get(f"/workbench/dossiers/{dossier.pk}/"))
    assert list(DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True)) == [
        "submit", "accept", "apologise", "request_payment", "confirm_payment", "transfer"]


def test_a_page_is_in_one_language_whatever_the_browser_asks(queue_data):
    """A page follows the clerk's own language (Vietnamese unless they chose English), not the
    browser's: an English browser still gets Vietnamese labels, never Vietnamese text around English ones."""
    client = browser_as("clerk_tuphap")
    page = text_of(client.get("/workbench/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Chờ tiếp nhận" in page and "Awaiting" not in page and "Received" not in page
    dossier = Dossier.objects.get(code=queue_data["online"])
    page = text_of(client.get(f"/workbench/dossiers/{dossier.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Đã tiếp nhận" in page and "Tiếp nhận" in page and ">Reject<" not in page

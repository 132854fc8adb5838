"""Queues, the applicant's own list, the public lookup and who sees what."""
from __future__ import annotations

import unicodedata

import pytest
from django.db import connection

from .conftest import BIRTH, BIRTH_DOCS


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["code"] for row in response.json()["results"]]


@pytest.fixture
def queue_data(register, submit, clock, as_user, media_root):
    """Four dossiers at Sở Tư pháp with different states and deadlines, one at a commune."""
    from apps.catalog.models import Offering

    Offering.objects.filter(agency__code="000.00.17.H29").update(processing_days=1)
    made = {}
    clock.set(2025, 3, 3, 8, 0)  # Monday
    made["counter_mon"] = register(applicant={"name": "Trần Thị Thu", "id_number": "001188000111"}).json()
    clock.set(2025, 3, 4, 8, 0)
    made["post_tue"] = register(channel="post", applicant={"name": "Lê Văn Hùng", "id_number": "001188000222"}).json()
    clock.set(2025, 3, 5, 8, 0)
    made["online_wed"] = submit().json()
    as_user("clerk_tuphap").post(f"/api/v1/dossiers/{made['online_wed']['id']}/accept/", {}, format="json")
    clock.set(2025, 3, 5, 9, 0)
    made["submitted"] = submit(username="citizen2").json()
    made["commune"] = register(target=BIRTH, docs=BIRTH_DOCS, username="clerk_xuanquan").json()
    as_user("clerk_tuphap").post(f"/api/v1/dossiers/{made['post_tue']['id']}/assign/",
                                 {"assignee": "clerk_tuphap"}, format="json")
    return {k: v["code"] for k, v in made.items()}


def _applicant(name: str, id_number: str) -> dict:
    return {"name": name, "id_number": id_number, "applicant_type": "citizen"}


@pytest.fixture
def register(register):
    def do(applicant=None, **kwargs):
        if applicant is not None:
            kwargs["applicant"] = _applicant(**applicant)
        return register(**kwargs)

    return do


@pytest.mark.django_db
def test_queue_is_scoped_and_ordered_by_due(queue_data, as_user):
    codes = _codes(as_user("clerk_tuphap").get("/api/v1/dossiers/"))
    # Submitted (no due date) sorts last; the commune's dossier is not in this clerk's queue.
    assert codes == [queue_data["counter_mon"], queue_data["post_tue"], queue_data["online_wed"],
                     queue_data["submitted"]]
    assert _codes(as_user("clerk_xuanquan").get("/api/v1/dossiers/")) == [queue_data["commune"]]
    assert as_user("citizen1").get("/api/v1/dossiers/").status_code == 403  # applicants use /me/dossiers/
    assert len(_codes(as_user("supervisor").get("/api/v1/dossiers/"))) == 5


@pytest.mark.django_db
def test_queue_filters(queue_data, as_user, clock):
    clerk = as_user("clerk_tuphap")
    q = lambda **params: _codes(clerk.get("/api/v1/dossiers/", params))  # noqa: E731
    assert q(status="submitted") == [queue_data["submitted"]]
    assert set(q(channel=["counter", "post"])) == {queue_data["counter_mon"], queue_data["post_tue"]}
    assert q(channel="online", status="received") == [queue_data["online_wed"]]
    assert q(assigned_to_me="true") == [queue_data["post_tue"]]
    assert q(procedure="1.001193") == []
    assert q(received_from="2025-03-04", received_to="2025-03-04") == [queue_data["post_tue"]]
    assert set(q(received_from="2025-03-04")) == {queue_data["post_tue"], queue_data["online_wed"]}
    # Real time now is long after March 2025: every running dossier is overdue.
    assert set(q(overdue="true")) == {queue_data["counter_mon"], queue_data["post_tue"], queue_data["online_wed"]}
    assert q(overdue="false") == [queue_data["submitted"]]
    assert q(due_within_days=3) == []


@pytest.mark.django_db
def test_due_within_working_days(register, clock, as_user, media_root):
    from datetime import timedelta

    from django.utils import timezone

    from apps.catalog.models import Offering

    Offering.objects.filter(agency__code="000.00.17.H29").update(processing_days=2)
    clock.now = timezone.now() - timedelta(minutes=1)
    code = register(applicant={"name": "A", "id_number": "001188000999"}).json()["code"]
    clerk = as_user("clerk_tuphap")
    assert _codes(clerk.get("/api/v1/dossiers/", {"due_within_days": 3})) == [code]
    assert _codes(clerk.get("/api/v1/dossiers/", {"due_within_days": 0})) == []


@pytest.mark.django_db
def test_text_search_by_code_id_and_name_in_nfc_or_nfd(queue_data, as_user):
    clerk = as_user("clerk_tuphap")
    search = lambda text: _codes(clerk.get("/api/v1/dossiers/", {"q": text}))  # noqa: E731
    assert search(queue_data["post_tue"]) == [queue_data["post_tue"]]
    assert search("001188000111") == [queue_data["counter_mon"]]
    assert search("thị thu") == [queue_data["counter_mon"]]
    assert search(unicodedata.normalize("NFD", "Lê Văn Hùng")) == [queue_data["post_tue"]]
    assert search("%") == [] and search("_") == []  # LIKE metacharacters are literal


@pytest.mark.django_db
def test_bad_filters_are_400(queue_data, as_user):
    clerk = as_user("clerk_tuphap")
    for params in ({"status": "nope"}, {"received_from": "2025-13-01"}, {"due_within_days": "-1"},
                   {"due_within_days": "1.5"}, {"overdue": "maybe"}):
        response = clerk.get("/api/v1/dossiers/", params)
        assert response.status_code == 400, params
        assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_applicant_sees_only_their_own(queue_data, as_user):
    assert _codes(as_user("citizen1").get("/api/v1/me/dossiers/")) == [queue_data["online_wed"]]
    assert _codes(as_user("citizen2").get("/api/v1/me/dossiers/")) == [queue_data["submitted"]]


@pytest.mark.django_db
def test_other_peoples_dossiers_are_404(queue_data, as_user):
    from apps.dossiers.models import Dossier

    mine = Dossier.objects.get(code=queue_data["online_wed"]).pk
    commune = Dossier.objects.get(code=queue_data["commune"]).pk
    for username, dossier_id in (("citizen2", mine), ("clerk_xuanquan", mine), ("clerk_tuphap", commune),
                                 ("stats_vangiang", mine)):
        for suffix in ("", "history/", "documents/", "receipt/"):
            response = as_user(username).get(f"/api/v1/dossiers/{dossier_id}/{suffix}")
            assert response.status_code == 404, (username, suffix)
    assert as_user("citizen1").get(f"/api/v1/dossiers/{mine}/receipt/").json()["code"] == queue_data["online_wed"]
    assert as_user("stats_vangiang").get(f"/api/v1/dossiers/{commune}/").status_code == 200  # in its subtree


@pytest.mark.django_db
def test_public_lookup_needs_code_and_id_number(queue_data, api):
    code = queue_data["counter_mon"]
    ok = api.get(f"/api/v1/lookup/{code}/", {"id_number": "001188000111"})
    assert ok.status_code == 200
    assert ok.json()["status"] == "received" and "applicant_name" not in ok.json()
    assert api.get(f"/api/v1/lookup/{code}/", {"id_number": "001188000222"}).status_code == 404
    missing = api.get(f"/api/v1/lookup/{code}/")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "id_number"
    assert api.get(f"/api/v1/lookup/{code}/", {"id_number": " "}).status_code == 400


@pytest.mark.django_db
def test_public_lookup_is_rate_limited(queue_data, api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"lookup": "5/min"}}
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = {"lookup": "5/min"}
    try:
        statuses = [api.get(f"/api/v1/lookup/X-{i}/", {"id_number": "1"}).status_code for i in range(7)]
    finally:
        from rest_framework.settings import api_settings

        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429, 429]
    response = api.get("/api/v1/lookup/X/", {"id_number": "1"})
    assert response["Content-Type"].startswith("application/problem+json") and "Retry-After" in response


@pytest.mark.django_db
def test_queue_query_uses_the_queue_index(queue_data):
    """With realistic row counts the clerk queue is served by (agency, status, due_at), not a scan + sort."""
    from apps.accounts.models import User
    from apps.agencies.models import Agency
    from apps.dossiers.models import ACTIVE_STATUSES
    from apps.dossiers.selectors import dossier_queue

    agencies = list(Agency.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # 60,000 copies of one dossier spread over agencies, states and due dates.
        cursor.execute(
            """
            INSERT INTO dossiers_dossier (code, procedure_id, receiving_agency_id, agency_id, online_level,
                service_class, processing_days, channel, status, version, applicant_type, applicant_name,
                applicant_id_number,
                applicant_phone, applicant_email, applicant_address, form_data, submitted_at, received_at, due_at,
                appointment_at, timeliness, rejected_at_intake, result, result_note, payment_method, updated_at)
            SELECT 'BULK-' || g, d.procedure_id, d.receiving_agency_id, (%s::bigint[])[1 + g %% %s], d.online_level,
                d.service_class, d.processing_days, d.channel,
                (ARRAY['received','in_progress','resolved','returned','returned','returned'])[1 + g %% 6],
                1, d.applicant_type, d.applicant_name, d.applicant_id_number, '', '', '', '{}', d.submitted_at,
                d.received_at, d.received_at + (g || ' minutes')::interval, d.received_at,
                CASE WHEN g %% 6 >= 2 THEN 'on_time' ELSE '' END, false, '', '', '', now()
            FROM generate_series(1, 60000) g, (SELECT * FROM dossiers_dossier WHERE status = 'received' LIMIT 1) d
            """,
            [agencies, len(agencies)],
        )
        cursor.execute("ANALYZE dossiers_dossier")
    clerk = User.objects.get(username="clerk_tuphap")
    active = dossier_queue(clerk).filter(status__in=ACTIVE_STATUSES).order_by("due_at", "id")[:50]
    plan = active.explain()
    assert "dossier_active_queue_idx" in plan, plan
    one_state = dossier_queue(clerk).filter(status="in_progress").order_by("due_at", "id")[:50]
    plan = one_state.explain()
    assert "dossier_queue_idx" in plan, plan
    assert "Seq Scan on dossiers_dossier" not in plan, plan

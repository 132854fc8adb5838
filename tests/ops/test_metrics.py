"""GET /metrics: Prometheus text, onestop_* names, values that move with what they count, access."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.documents.models import DocumentMail
from apps.dossiers.models import Dossier
from apps.notifications.models import Notification
from apps.portal.models import OutboxMessage, OutboxStatus
from apps.stats.models import StatDelta
from apps.stats.services import stats_compact_all
from config.celery import app as celery_app

from .conftest import parse_metrics, value

pytestmark = pytest.mark.django_db

DETAIL_ROUTE = "api/v1/dossiers/<int:pk>/"


def test_request_counter_and_histogram_by_route_pattern_and_status(demo, as_user, register, scrape):
    dossier_id = register().json()["id"]
    clerk = as_user("clerk_tuphap")
    before = scrape()
    assert clerk.get(f"/api/v1/dossiers/{dossier_id}/").status_code == 200
    assert clerk.get(f"/api/v1/dossiers/{dossier_id}/").status_code == 200
    assert clerk.get("/api/v1/dossiers/999999999/").status_code == 404
    after = scrape()
    ok = {"method": "GET", "route": DETAIL_ROUTE, "status": "200"}
    missing = {"method": "GET", "route": DETAIL_ROUTE, "status": "404"}
    assert value(after, "onestop_http_requests_total", **ok) - value(before, "onestop_http_requests_total", **ok) == 2
    assert value(after, "onestop_http_requests_total", **missing) - value(
        before, "onestop_http_requests_total", **missing) == 1
    assert value(after, "onestop_http_request_duration_seconds_count", **ok) - value(
        before, "onestop_http_request_duration_seconds_count", **ok) == 2
    assert value(after, "onestop_http_request_duration_seconds_sum", **ok) > value(
        before, "onestop_http_request_duration_seconds_sum", **ok)
    assert value(after, "onestop_http_request_duration_seconds_bucket", le="+Inf", **ok) - value(
        before, "onestop_http_request_duration_seconds_bucket", le="+Inf", **ok) == 2
    # the raw path never becomes a label: one series for every dossier id
    assert not any(f"dossiers/{dossier_id}" in dict(labels).get("route", "") for _, labels in after)


def test_unknown_paths_share_one_route_label(client, scrape):
    # The counters live for the whole test process: earlier tests' unmatched 404s count too.
    before = value(scrape(), "onestop_http_requests_total", method="GET", route="<unmatched>", status="404")
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")
    samples = scrape()
    routes = {dict(labels).get("route") for name, labels in samples if name == "onestop_http_requests_total"}
    assert "<unmatched>" in routes
    assert not any(r and "no/such" in r for r in routes)
    assert value(samples, "onestop_http_requests_total", method="GET", route="<unmatched>", status="404") == before + 2


def test_outbox_gauges_move(demo, register, scrape):
    before = scrape()
    assert value(before, "onestop_outbox_pending") == OutboxMessage.objects.filter(status="pending").count()
    register()
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    assert pending.exists()
    after = scrape()
    assert value(after, "onestop_outbox_pending") == value(before, "onestop_outbox_pending") + pending.count()
    assert value(after, "onestop_outbox_dead") == 0
    pending.update(created_at=timezone.now() - timedelta(hours=2))
    aged = scrape()
    assert 7200 <= value(aged, "onestop_outbox_oldest_pending_age_seconds") < 7300
    first = pending.order_by("id").first()
    OutboxMessage.objects.filter(pk=first.pk).update(status=OutboxStatus.DEAD)
    dead = scrape()
    assert value(dead, "onestop_outbox_dead") == 1
    assert value(dead, "onestop_outbox_pending") == value(aged, "onestop_outbox_pending") - 1
    OutboxMessage.objects.update(status=OutboxStatus.DELIVERED, delivered_at=timezone.now())
    drained = scrape()
    assert value(drained, "onestop_outbox_pending") == 0
    assert value(drained, "onestop_outbox_oldest_pending_age_seconds") == 0


def test_stats_delta_gauges_move(demo, register, scrape):
    stats_compact_all()
    empty = scrape()
    assert value(empty, "onestop_stats_uncompacted_deltas") == 0
    assert value(empty, "onestop_stats_compaction_lag_seconds") == 0
    register()
    deltas = StatDelta.objects.count()
    assert deltas > 0
    StatDelta.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    behind = scrape()
    assert value(behind, "onestop_stats_uncompacted_deltas") == deltas
    assert 600 <= value(behind, "onestop_stats_compaction_lag_seconds") < 700
    stats_compact_all()
    caught_up = scrape()
    assert value(caught_up, "onestop_stats_uncompacted_deltas") == 0
    assert value(caught_up, "onestop_stats_compaction_lag_seconds") == 0


def test_a_fresh_delta_has_its_creation_time(demo, register):
    start = timezone.now()
    register()
    assert StatDelta.objects.filter(created_at__gte=start - timedelta(seconds=5)).count() == StatDelta.objects.count()


def test_overdue_gauge_moves(demo, register, scrape):
    before = value(scrape(), "onestop_dossiers_overdue")
    dossier = Dossier.objects.get(pk=register().json()["id"])
    assert value(scrape(), "onestop_dossiers_overdue") == before  # due in 7 working days
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert value(scrape(), "onestop_dossiers_overdue") == before + 1
    Dossier.objects.filter(pk=dossier.pk).update(status="awaiting_supplement")  # the clock stopped
    assert value(scrape(), "onestop_dossiers_overdue") == before


def test_failed_mail_and_notification_gauges_move(demo, register, scrape, settings):
    dossier = Dossier.objects.get(pk=register().json()["id"])
    before = scrape()
    Notification.objects.create(key="t:1:sms", kind="status_change", channel="sms", recipient="0900000000",
                                body="x", dossier=dossier, status="failed")
    Notification.objects.create(key="t:2:email", kind="status_change", channel="email", recipient="a@b.vn",
                                body="x", dossier=dossier, status="pending")
    event = dossier.events.order_by("id").first()
    mail = DocumentMail.objects.create(dossier=dossier, event=event, form="receipt", to_email="a@b.vn",
                                       created_at=timezone.now(), attempts=1)
    middle = scrape()
    assert value(middle, "onestop_notifications_failed", channel="sms") == value(
        before, "onestop_notifications_failed", channel="sms") + 1
    assert value(middle, "onestop_notifications_failed", channel="email") == value(
        before, "onestop_notifications_failed", channel="email")
    assert value(middle, "onestop_document_mails_failed") == value(before, "onestop_document_mails_failed")
    DocumentMail.objects.filter(pk=mail.pk).update(attempts=settings.DOCUMENT_MAIL_MAX_ATTEMPTS)
    after = scrape()
    assert value(after, "onestop_document_mails_failed") == value(before, "onestop_document_mails_failed") + 1


def test_celery_queue_length_moves(scrape, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    before = value(scrape(), "onestop_celery_queue_length", queue="celery")
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
        for _ in range(3):
            celery_app.send_task("ops.test.never_consumed", connection=connection)
    after = scrape()
    assert value(after, "onestop_celery_queue_length", queue="celery") == before + 3
    assert value(after, "onestop_metrics_source_up", source="celery") == 1


def test_an_unreachable_broker_leaves_its_gauge_out_not_the_scrape(scrape, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    samples = scrape()
    assert value(samples, "onestop_metrics_source_up", source="celery") == 0
    assert value(samples, "onestop_metrics_source_up", source="outbox") == 1
    assert not any(name == "onestop_celery_queue_length" for name, _ in samples)


def test_every_name_starts_with_onestop(demo, client):
    text = client.get("/metrics").content.decode()
    names = {name for name, _ in parse_metrics(text)}
    assert names and all(name.startswith("onestop_") for name in names)
    for family in ("onestop_outbox_pending", "onestop_outbox_dead", "onestop_outbox_oldest_pending_age_seconds",
                   "onestop_stats_uncompacted_deltas", "onestop_stats_compaction_lag_seconds",
                   "onestop_dossiers_overdue", "onestop_celery_queue_length", "onestop_document_mails_failed",
                   "onestop_notifications_failed"):
        assert f"# TYPE {family} gauge" in text


class TestAccess:
    def test_loopback_is_allowed_by_default(self, client):
        assert client.get("/metrics").status_code == 200

    def test_other_addresses_are_refused(self, client):
        response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert b"onestop_" not in response.content

    def test_an_allowed_network(self, client, settings):
        settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403

    def test_the_token(self, client, settings):
        settings.METRICS_ALLOWED_NETWORKS = []
        settings.METRICS_TOKEN = "s3cret-scrape-token"
        assert client.get("/metrics").status_code == 403
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200

    def test_no_token_configured_means_no_token_accepted(self, client, settings):
        settings.METRICS_ALLOWED_NETWORKS = []
        settings.METRICS_TOKEN = ""
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403

    def test_outside_the_host_check_and_https_redirect(self, client, settings):
        settings.SECURE_SSL_REDIRECT = True
        settings.ALLOWED_HOSTS = ["onestop.example.vn"]
        response = client.get("/metrics", HTTP_HOST="web:8000")
        assert response.status_code == 200

"""GET /healthz (liveness, no dependencies) and GET /readyz (database reachable and migrated, Redis
reachable; 503 naming what fails). The database-down case runs a real server: tests/ops/test_live.py."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.REDIS_URL}}
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


def test_readyz_names_redis_when_it_is_down(client, settings, closed_port):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.REDIS_URL}}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"].startswith("unreachable")
    assert body["checks"]["database"] == "ok"
    assert "redis" in body["detail"]


def test_readyz_names_redis_when_the_cache_setting_points_at_a_closed_port(client, settings, closed_port):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{closed_port}/0"}}
    body = client.get("/readyz").json()
    assert body["failing"] == ["redis"]


def test_readyz_names_redis_when_redis_url_points_at_a_closed_port(client, settings, closed_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    assert client.get("/readyz").json()["failing"] == ["redis"]


def test_make_run_uses_no_redis_so_readyz_needs_none(client, settings, closed_port):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and "redis" not in body["checks"]


def test_readyz_checks_a_separate_broker_too(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/1"
    body = client.get("/readyz").json()
    assert body["failing"] == ["broker"]


def test_an_eager_celery_needs_no_broker(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/1"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get("/readyz").status_code == 200


def test_readyz_names_an_unapplied_migration(client):
    MigrationRecorder(connection).record_unapplied("stats", "0004_statdelta_created_at")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert "stats.0004_statdelta_created_at" in body["checks"]["migrations"]


def test_probes_answer_before_the_host_check_and_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["onestop.example.vn"]
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/api/v1/procedures/", HTTP_HOST="10.0.0.7:8000").status_code == 400  # others still checked


def test_probes_need_no_authentication_and_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/readyz").status_code == 200

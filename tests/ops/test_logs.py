"""Structured logs: one JSON line per request and per Celery task, sharing the request id."""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

from apps.audit.models import AuditEntry
from apps.ops.context import REQUEST_ID_TASK_HEADER, request_id_var
from apps.ops.logging import JsonFormatter, RequestIdFilter
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class JsonLines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def __call__(self, logger: str | None = None) -> list[dict]:
        lines = [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]
        return [line for line in lines if logger is None or line["logger"] == logger]


@pytest.fixture
def json_logs():
    """What the JSON handler of LOG_FORMAT=json writes, for the request and task loggers."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("onestop.request", "onestop.task", "ops.test")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield JsonLines(stream)
    for logger in loggers:
        logger.removeHandler(handler)


def test_one_line_per_request_with_its_fields(demo, as_user, register, json_logs):
    created = register()
    dossier = created.json()
    clerk = as_user("clerk_tuphap")
    response = clerk.get(f"/api/v1/dossiers/{dossier['id']}/history/", HTTP_X_REQUEST_ID="proxy-id-123")
    assert response["X-Request-ID"] == "proxy-id-123"
    lines = json_logs("onestop.request")
    assert len(lines) == 2
    register_line, history_line = lines
    assert register_line["route"] == "api/v1/dossiers/register/"
    assert register_line["status"] == 201
    assert register_line["dossier_code"] == dossier["code"]  # the dossier it created
    assert register_line["request_id"] == created["X-Request-ID"]
    user_id = clerk.handler._force_user.pk
    assert history_line == {
        **history_line,
        "level": "INFO",
        "request_id": "proxy-id-123",
        "method": "GET",
        "path": f"/api/v1/dossiers/{dossier['id']}/history/",
        "route": "api/v1/dossiers/<int:pk>/history/",
        "status": 200,
        "user_id": user_id,
        "dossier_code": dossier["code"],
    }
    assert isinstance(history_line["duration_ms"], float) and history_line["duration_ms"] > 0
    assert history_line["time"].endswith("+00:00")


def test_the_audit_log_and_the_log_line_share_the_request_id(demo, as_user, register, json_logs):
    dossier_id = register().json()["id"]
    response = as_user("clerk_tuphap").get(f"/api/v1/dossiers/{dossier_id}/")
    rid = response["X-Request-ID"]
    assert AuditEntry.objects.filter(request_id=rid).exists()
    assert json_logs("onestop.request")[-1]["request_id"] == rid


def test_a_request_id_is_made_when_the_header_is_absent_or_unusable(client, json_logs):
    fresh = client.get("/healthz")["X-Request-ID"]
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert len(fresh) == 32 and len(forged) == 32 and fresh != forged
    assert [line["request_id"] for line in json_logs("onestop.request")] == [fresh, forged]
    anonymous = json_logs("onestop.request")[0]
    assert anonymous["user_id"] is None and anonymous["dossier_code"] is None and anonymous["route"] == "healthz"


def test_the_lookup_logs_its_dossier_code_but_not_the_query(demo, register, client, json_logs):
    code = register().json()["code"]
    client.get(f"/api/v1/lookup/{code}/?id_number=001088000777")
    line = json_logs("onestop.request")[-1]
    assert line["dossier_code"] == code
    assert "001088000777" not in json.dumps(line)


def test_an_action_logs_the_dossier_code(demo, as_user, register, json_logs):
    dossier = register().json()
    as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier['id']}/assign/", {"assignee": "specialist_tuphap"},
                                 format="json")
    assert json_logs("onestop.request")[-1]["dossier_code"] == dossier["code"]


def test_lines_written_during_a_request_carry_its_id(client, json_logs, monkeypatch):
    from apps.ops import views

    real = views.healthz

    def noisy(request):
        logging.getLogger("ops.test").warning("inside the view")
        return real(request)

    monkeypatch.setitem(__import__("apps.ops.middleware", fromlist=["ENDPOINTS"]).ENDPOINTS, "/healthz", noisy)
    rid = client.get("/healthz", HTTP_X_REQUEST_ID="trace-me")["X-Request-ID"]
    inner = json_logs("ops.test")
    assert rid == "trace-me" and inner[0]["request_id"] == "trace-me" and inner[0]["message"] == "inside the view"


def test_a_task_queued_during_a_request_carries_its_request_id_in_the_message(settings):
    """The header travels with the message (the worker side: tests/ops/test_live.py)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    token = request_id_var.set("req-abc")
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            celery_app.send_task("ops.test.never_consumed", connection=connection)
    finally:
        request_id_var.reset(token)
    message = json.loads(client.lpop("celery"))
    assert message["headers"][REQUEST_ID_TASK_HEADER] == "req-abc"
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
        celery_app.send_task("ops.test.never_consumed", connection=connection)
    assert REQUEST_ID_TASK_HEADER not in json.loads(client.lpop("celery"))["headers"]  # none outside a request


def test_an_eager_task_logs_one_line_with_the_request_id(json_logs, settings):
    from celery import shared_task

    @shared_task(name="ops.test.eager")
    def eager_task():
        logging.getLogger("ops.test").info("in the task")
        return 1

    token = request_id_var.set("req-eager")
    try:
        eager_task.apply()
    finally:
        request_id_var.reset(token)
    task_lines = json_logs("onestop.task")
    assert len(task_lines) == 1
    assert task_lines[0]["task"] == "ops.test.eager"
    assert task_lines[0]["state"] == "SUCCESS"
    assert task_lines[0]["request_id"] == "req-eager"
    assert task_lines[0]["duration_ms"] >= 0
    assert json_logs("ops.test")[0]["request_id"] == "req-eager"


@pytest.mark.parametrize(("fmt", "is_json"), [("json", True), ("plain", False), (None, False)])
def test_log_format_setting(fmt, is_json):
    """LOG_FORMAT=json makes the settings log JSON lines; plain text is the default (`make run`)."""
    env = {"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    if fmt:
        env["LOG_FORMAT"] = fmt
    code = "import django, logging; django.setup(); logging.getLogger('onestop.x').warning('hello %s', 'there')"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    line = result.stderr.strip().splitlines()[-1]
    if is_json:
        body = json.loads(line)
        assert body["message"] == "hello there" and body["level"] == "WARNING" and body["logger"] == "onestop.x"
    else:
        assert line.endswith("WARNING onestop.x [-] hello there")


def test_make_run_does_not_ask_for_json():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOG_FORMAT" not in makefile.split("RUN_ENV :=")[1].split("\n\n")[0]
    assert django_settings.LOGGING["handlers"]["console"]["formatter"] == "plain"

"""OpenTelemetry: off by default; with the standard OTEL_* variables one submission is one trace
across the web request (Django, psycopg) and the Celery task it queued, run by a real worker."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.ops import tracing

from .live import ROOT, register_over_http, start_web, start_worker


@pytest.mark.parametrize(("env", "on"), [
    ({}, False),
    ({"OTEL_TRACES_EXPORTER": "console"}, True),
    ({"OTEL_TRACES_EXPORTER": "otlp,console"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_TRACES_EXPORTER": "none"}, False),
    ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}, False),
])
def test_switched_by_the_standard_variables(monkeypatch, env, on):
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert tracing.enabled() is on


def test_off_by_default_nothing_is_imported():
    code = ("import sys, django; django.setup(); "
            "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))")
    env = {"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def spans(text: str) -> list[dict]:
    """The spans ConsoleSpanExporter printed (indented JSON objects), among other output."""
    found, decoder, position = [], json.JSONDecoder(), 0
    while (start := text.find("{\n", position)) != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(obj, dict) and "context" in obj:
            found.append(obj)
        position = end
    return found


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_one_submission_is_one_trace_across_web_and_worker(tmp_path):
    otel = {"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "onestop-test", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    call_command("load_demo", "--no-tokens", stdout=io.StringIO())
    web, base = start_web(tmp_path, workers=1, **otel)
    worker = start_worker(tmp_path, **otel)
    try:
        response = register_over_http(base, User.objects.get(username="clerk_tuphap"))
        assert response.status_code == 201, response.text
        deadline = time.monotonic() + 60
        task_spans: list[dict] = []
        while time.monotonic() < deadline and not task_spans:
            time.sleep(0.3)
            task_spans = [s for s in spans(worker.log.read_text(errors="replace"))
                          if s["name"] == "run/documents.send_mail"]
        assert task_spans, worker.log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)
        web_spans = spans(web.log.read_text(errors="replace"))
        request = next(s for s in web_spans if s["kind"] == "SpanKind.SERVER"
                       and s["attributes"].get("http.route", "").endswith("dossiers/register/"))
        trace_id = request["context"]["trace_id"]
        assert task_spans[0]["context"]["trace_id"] == trace_id
        assert task_spans[0]["resource"]["attributes"]["service.name"] == "onestop-test"
        in_trace = [s for s in web_spans if s["context"]["trace_id"] == trace_id]
        assert any(s["name"] == "apply_async/documents.send_mail" for s in in_trace)  # queued in the request
        assert any(s["attributes"].get("db.system") == "postgresql" for s in in_trace)  # its queries
        # ... the intake's one statement among them (traced, so not a prepared statement)
        assert any(s["attributes"].get("db.statement", "").startswith("WITH ids AS") for s in in_trace)
        worker_queries = [s for s in spans(worker.log.read_text(errors="replace"))
                          if s["context"]["trace_id"] == trace_id and s["attributes"].get("db.system")]
        assert worker_queries  # the task's own queries belong to the same trace
        # the JSON log lines name the trace too
        logged = [json.loads(line) for line in web.log.read_text(errors="replace").splitlines()
                  if line.startswith('{"time"')]
        assert any(line.get("trace_id") == trace_id.removeprefix("0x") for line in logged)
    finally:
        worker.stop()
        web.stop()

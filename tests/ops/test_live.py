"""Real processes: gunicorn with two workers (Prometheus multiprocess mode, JSON logs) and a Celery
worker, on a free port, against this test's database and Redis DB.

* /metrics sums the request counters of every gunicorn worker, whichever worker answers the scrape.
* The request id of a web request reaches the log line of the task it queued, in the worker.
* /healthz answers while the database is down; /readyz says 503 and names it.
"""
from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.management import call_command

from apps.accounts.models import User

from .conftest import parse_metrics, value
from .live import ROOT, Process, database_url, free_port, register_over_http, start_web, start_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web(tmp_path) -> Iterator[tuple[Process, str]]:
    process, base = start_web(tmp_path)
    yield process, base
    process.stop()


def test_metrics_sum_the_counters_of_every_gunicorn_worker(web):
    process, base = web
    host, port = base.removeprefix("http://").split(":")
    # A request sent half-way holds one (sync) worker, so the next ones are all answered by the other.
    held = socket.create_connection((host, int(port)), timeout=20)
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.5)
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=10).status_code, range(20))) == {200}
    held.sendall(b"Connection: close\r\n\r\n")
    assert held.recv(100).startswith(b"HTTP/1.1 200")
    held.close()
    time.sleep(0.3)
    answered = [line for line in process.lines() if line.get("route") == "healthz" and line.get("status") == 200]
    assert len({line["pid"] for line in answered}) == 2, "each worker answered some"
    for _ in range(6):  # whichever worker answers the scrape, it reports every worker's count
        samples = parse_metrics(requests.get(f"{base}/metrics", timeout=10).text)
        labels = {"method": "GET", "route": "healthz", "status": "200"}
        assert value(samples, "onestop_http_requests_total", **labels) == len(answered)
        assert value(samples, "onestop_http_request_duration_seconds_count", **labels) == len(answered)


def test_database_gauges_are_read_at_scrape_time_by_any_worker(web):
    _, base = web
    call_command("load_demo", "--no-tokens", stdout=io.StringIO())
    before = {value(parse_metrics(requests.get(f"{base}/metrics", timeout=10).text), "onestop_outbox_pending")
              for _ in range(4)}
    assert before == {0}
    clerk = User.objects.get(username="clerk_tuphap")
    response = register_over_http(base, clerk)
    assert response.status_code == 201, response.text
    after = {value(parse_metrics(requests.get(f"{base}/metrics", timeout=10).text), "onestop_outbox_pending")
             for _ in range(4)}
    assert len(after) == 1 and after.pop() >= 1


def test_the_request_id_reaches_the_task_it_queued_in_the_worker(web, tmp_path):
    _, base = web
    call_command("load_demo", "--no-tokens", stdout=io.StringIO())
    worker = start_worker(tmp_path)
    try:
        response = register_over_http(base, User.objects.get(username="clerk_tuphap"),
                                      **{"X-Request-ID": "live-request-0001"})
        assert response.status_code == 201, response.text
        assert response.headers["X-Request-ID"] == "live-request-0001"
        deadline = time.monotonic() + 60
        task_lines: list[dict] = []
        while time.monotonic() < deadline and not task_lines:
            task_lines = [line for line in worker.lines()
                          if line.get("logger") == "onestop.task" and line.get("task") == "documents.send_mail"]
            time.sleep(0.3)
        assert task_lines, worker.log.read_text(errors="replace")[-3000:]
        line = task_lines[0]
        assert line["request_id"] == "live-request-0001"
        assert line["state"] == "SUCCESS"
        assert line["duration_ms"] > 0
    finally:
        worker.stop()


def test_liveness_without_the_database_readiness_names_it(tmp_path):
    closed = free_port()
    process, base = start_web(tmp_path, workers=1, DATABASE_URL=database_url(port=closed))
    try:
        assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
        response = requests.get(f"{base}/readyz", timeout=10)
        assert response.status_code == 503
        body = response.json()
        assert body["failing"] == ["database"]
        assert body["checks"]["database"].startswith("unreachable")
    finally:
        process.stop()


def compose_healthcheck(base: str) -> list[str]:
    import yaml

    test = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD" and "/readyz" in test[-1]
    return [sys.executable if part == "python" else part.replace("http://127.0.0.1:8000", base) for part in test[1:]]


def test_the_compose_healthcheck_passes_on_a_ready_server(web):
    _, base = web
    assert subprocess.run(compose_healthcheck(base), timeout=30).returncode == 0


def test_the_compose_healthcheck_fails_while_the_database_is_down(tmp_path):
    process, base = start_web(tmp_path, workers=1, DATABASE_URL=database_url(port=free_port()))
    try:
        assert subprocess.run(compose_healthcheck(base), capture_output=True, timeout=30).returncode != 0
    finally:
        process.stop()


def test_readiness_names_redis_on_a_closed_port(tmp_path):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    process, base = start_web(tmp_path, workers=1, REDIS_URL=closed, CELERY_BROKER_URL=closed)
    try:
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        response = requests.get(f"{base}/readyz", timeout=10)
        assert response.status_code == 503
        assert response.json()["failing"] == ["redis"]
        assert response.json()["checks"]["database"] == "ok"
    finally:
        process.stop()

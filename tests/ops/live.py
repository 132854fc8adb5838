"""Real processes for the operations tests: gunicorn and a Celery worker against this test's database."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.db import connection

from apps.accounts.models import User
from apps.accounts.tokens import token_for
from tests.dossier_fixtures import PDF, RECORD, RECORD_DOCS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(name: str | None = None, port: int | None = None) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 5432}/{name or s['NAME']}"


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def lines(self) -> list[dict]:
        """The JSON log lines written so far (other output, e.g. gunicorn's own, is skipped)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "STATS_COMPACT_SECONDS": "3600",
        **overrides,
    }


def start_web(tmp_path: Path, workers: int = 2, **overrides: str) -> tuple[Process, str]:
    port = free_port()
    web = Process([str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "--workers", str(workers),
                   "--bind", f"127.0.0.1:{port}", "config.wsgi:application"],
                  environment(tmp_path, **overrides), tmp_path / f"web-{port}.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return web, base
        except (requests.ConnectionError, requests.Timeout):
            pass
        if web.process.poll() is not None:
            break
        time.sleep(0.2)
    web.stop()
    raise AssertionError("gunicorn did not start:\n" + web.log.read_text(errors="replace")[-3000:])


def register_over_http(base: str, clerk: User, **headers: str) -> requests.Response:
    payload = {**RECORD, "channel": "counter",
               "applicant": {"name": "Nguyễn Văn Bảy", "id_number": "001088000777", "applicant_type": "citizen",
                             "email": "bay@example.vn"}}
    files = {code: (f"{code}.pdf", PDF, "application/pdf") for code in RECORD_DOCS}
    return requests.post(f"{base}/api/v1/dossiers/register/", data={"payload": json.dumps(payload)}, files=files,
                         headers={"Authorization": f"Bearer {token_for(clerk).access_token}", **headers},
                         timeout=30)


def start_worker(tmp_path: Path, **overrides: str) -> Process:
    return Process([str(BIN / "celery"), "-A", "config", "worker", "--pool", "solo", "--without-gossip",
                    "--without-mingle", "--without-heartbeat", "-n", f"ops-test-{free_port()}@%h"],
                   environment(tmp_path, **overrides), tmp_path / f"worker-{free_port()}.log")

"""docker-compose.yml cannot be run here (no Docker engine); check what can be checked statically."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_has_every_process_and_sane_wiring():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "config"]
    assert "beat" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "false"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_dockerfile_installs_the_lock_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "USER onestop" in dockerfile
    assert "FROM python:3.11" in dockerfile


def test_compose_file_validates_with_docker_compose_when_installed():
    import os
    import shutil
    import subprocess

    import pytest

    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose (Debian package) not installed; static checks above still ran")
    result = subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env={**os.environ, "SECRET_KEY": "compose-check"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- nginx in front (issue 14, item 9) -----------------------------------------------------------

NGINX_DIR = ROOT / "deploy" / "nginx"
TEMPLATE = NGINX_DIR / "onestop.conf.template"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_only_nginx_faces_clients_and_it_runs_the_shipped_config():
    services = _compose()["services"]
    nginx, web = services["nginx"], services["web"]
    assert nginx["build"] == "./deploy/nginx"
    assert "./deploy/nginx/onestop.conf.template:/etc/nginx/templates/onestop.conf.template:ro" in nginx["volumes"]
    assert nginx["environment"]["ONESTOP_UPSTREAM"] == "web:8000"
    published = nginx["ports"][0].split(":")
    assert published[-1] == nginx["environment"]["NGINX_PORT"]
    assert "ports" not in web and web["expose"] == ["8000"]  # gunicorn is reached through nginx only
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert web["environment"]["NUM_PROXIES"] == "${NUM_PROXIES:-1}"  # nginx appends to X-Forwarded-For


def test_nginx_and_the_app_share_one_upload_limit_setting():
    from django.conf import settings

    services = _compose()["services"]
    app_value = services["web"]["environment"]["UPLOAD_MAX_REQUEST_BYTES"]
    assert services["nginx"]["environment"]["UPLOAD_MAX_REQUEST_BYTES"] == app_value
    assert app_value == f"${{UPLOAD_MAX_REQUEST_BYTES:-{settings.UPLOAD_MAX_REQUEST_BYTES}}}"
    assert "client_max_body_size ${UPLOAD_MAX_REQUEST_BYTES};" in TEMPLATE.read_text()


def test_the_template_buffers_and_bounds_slow_clients():
    import re

    text = TEMPLATE.read_text()
    directives = dict(re.findall(r"^\s*(\w+)\s+([^;{]+);", text, flags=re.MULTILINE))
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert re.fullmatch(r"\d+s", directives[name]) and int(directives[name][:-1]) <= 30, name
    assert directives["proxy_request_buffering"] == "on" and directives["proxy_buffering"] == "on"
    assert "proxy_pass http://onestop_web;" in text  # no URI part: the request target is passed on as sent
    # Every variable is one docker-compose.yml sets and start.sh substitutes (nginx's own $vars stay).
    used = set(re.findall(r"\$\{(\w+)\}", text))
    compose_env = _compose()["services"]["nginx"]["environment"]
    start = (NGINX_DIR / "start.sh").read_text()
    assert used == {"ONESTOP_UPSTREAM", "NGINX_PORT", "UPLOAD_MAX_REQUEST_BYTES"}
    assert used <= set(compose_env)
    assert all("${" + name + "}" in start.split("envsubst", 1)[1] for name in used)


def test_nginx_image_is_debians_package():
    import os

    dockerfile = (NGINX_DIR / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM debian:bookworm" in dockerfile
    assert "apt-get install" in dockerfile and " nginx " in dockerfile
    assert "COPY start.sh" in dockerfile
    assert os.access(NGINX_DIR / "start.sh", os.X_OK)


def test_the_rendered_config_passes_nginx_t(tmp_path):
    import subprocess

    import pytest

    from bench.web_stack import MAIN_CONF, nginx_binary, render_server_block

    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx (Debian package) not installed; .ci/run installs it")
    (tmp_path / "onestop.conf").write_text(render_server_block(upstream="127.0.0.1:9", listen="127.0.0.1:9",
                                                               max_body=52428800))
    (tmp_path / "nginx.conf").write_text(MAIN_CONF.format(work=tmp_path))
    done = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                           "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_web_runs_the_worker_model_the_intake_bench_chose(monkeypatch):
    """Issue 19: docker-compose's web process reads config/gunicorn.py, whose default worker class is
    the one bench/intake_bench.py records as deployed (sync, chosen by measurement on a quiet machine)."""
    import runpy
    import sys

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "config/gunicorn.py" in compose["services"]["web"]["command"]
    monkeypatch.delenv("GUNICORN_WORKER_CLASS", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert (config["worker_class"], config["threads"]) == ("sync", 1)
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    sys.modules.pop("intake_bench", None)
    import intake_bench

    assert intake_bench.DEPLOYED_SERVER == config["worker_class"]

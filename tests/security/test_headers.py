"""Security headers, DEBUG, secrets from the environment, and `check --deploy` for production."""
from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def production_env(**extra: str) -> dict[str, str]:
    """What a production process gets: no DEBUG, a strong secret, its host names; nothing of ours
    (settings_test puts defaults into os.environ, which must not leak in)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "motcua.example.gov.vn",
        **extra,
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


SETTINGS_DUMP = (
    "import json, config.settings as s; print(json.dumps({name: getattr(s, name) for name in "
    "('DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', 'SECURE_CSP', "
    "'SECURE_CSP_REPORT_ONLY')}))"
)


def settings_for(env: dict[str, str]) -> dict:
    done = run(["-c", SETTINGS_DUMP], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- headers on responses ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/procedures/", "/admin/login/", "/api/docs/"])
def test_security_headers_on_every_kind_of_page(path):
    response = Client().get(path, secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


@pytest.mark.django_db
def test_swagger_ui_runs_under_the_policy():
    """Swagger UI (drf-spectacular-sidecar): every script is a same-origin URL, none inline."""
    client = Client()
    page = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page), page
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert len(sources) == 3 and all(src.startswith("/") for src in sources), sources
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in src for src in sources)
    start_up = client.get(next(src for src in sources if "script" in src.split("?", 1)[-1]).replace("&amp;", "&"))
    assert start_up.status_code == 200
    assert start_up["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in start_up.content


@pytest.mark.django_db
def test_admin_pages_have_no_inline_script(demo):
    """script-src 'self' is enough for the admin: no inline script or event handler on its pages."""
    from apps.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="admin"))
    for path in ("/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/auth/group/add/",
                 "/admin/audit/auditentry/"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), path
        assert not EVENT_HANDLER.search(html), path


# --- settings of a production process ------------------------------------------------------------


def test_production_defaults_are_secure():
    configured = settings_for(production_env())
    assert configured["DEBUG"] is False
    assert configured["SECURE_SSL_REDIRECT"] is True
    assert configured["SECURE_HSTS_SECONDS"] == 31536000
    assert configured["SESSION_COOKIE_SECURE"] is True
    assert configured["SECURE_CSP"]["script-src"] == ["'self'"] and configured["SECURE_CSP_REPORT_ONLY"] == {}


def test_debug_only_when_asked_for_and_then_plain_http():
    """`make run` sets DEBUG=true: no HTTPS redirect or HSTS on loopback, CSP only reported."""
    assert settings_for(production_env(DEBUG="yes-please"))["DEBUG"] is False  # not a boolean word: off
    configured = settings_for(production_env(DEBUG="true"))
    assert configured["DEBUG"] is True
    assert configured["SECURE_SSL_REDIRECT"] is False and configured["SECURE_HSTS_SECONDS"] == 0
    assert configured["SECURE_CSP"] == {} and configured["SECURE_CSP_REPORT_ONLY"]["script-src"] == ["'self'"]


def test_a_proxy_terminating_tls_can_turn_the_redirect_off():
    assert settings_for(production_env(SECURE_SSL_REDIRECT="false"))["SECURE_SSL_REDIRECT"] is False


def test_secret_key_has_no_default():
    env = production_env()
    del env["SECRET_KEY"]
    done = run(["manage.py", "check"], env)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_check_deploy_is_clean_for_production_settings():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_deploy_notices_debug():
    """The check above is not vacuous: the same run with DEBUG on fails."""
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(DEBUG="true"))
    assert done.returncode != 0
    assert "security.W018" in done.stdout + done.stderr

"""The production web stack (bench/web_stack.py) for tests: gunicorn with docker-compose.yml's command
line and production settings, behind nginx with deploy/nginx/onestop.conf.template, on loopback,
serving this test run's own database (so use it from a `transactional_db` test: rows must be
committed for gunicorn to see them) and cache."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from bench._common import django_env
from bench.web_stack import WebStack, nginx_binary


def production_env(media_root: str) -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    args = SimpleNamespace(pg_user=db["USER"] or "postgres", pg_host=db["HOST"] or "127.0.0.1",
                           pg_port=int(db["PORT"] or 5432), db=db["NAME"])
    return django_env(args, CACHE_URL=settings.CACHES["default"]["LOCATION"],
                      CACHE_KEY_PREFIX=f"onestop-stack-{uuid.uuid4().hex[:8]}", MEDIA_ROOT=media_root,
                      PORTAL_SIGNATURE_MAX_SKEW=str(settings.PORTAL_SIGNATURE_MAX_SKEW))


def web_stack(tmp_path, *, nginx: bool = True, max_body: int | None = None) -> WebStack:
    if nginx and nginx_binary() is None:
        pytest.skip("nginx (Debian package) is not installed; .ci/run installs it")
    return WebStack(production_env(str(tmp_path / "media")), nginx=nginx, max_body=max_body)

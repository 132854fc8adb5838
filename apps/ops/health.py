"""Readiness checks: PostgreSQL reachable and migrated, Redis reachable. Each is cheap (a query or a
PING with a one-second timeout) and answers "ok" or what failed; nothing here raises."""
from __future__ import annotations

import functools

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

REDIS_TIMEOUT_SECONDS = 1.0
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
OK = "ok"


@functools.cache
def _migration_targets() -> frozenset[tuple[str, str]]:
    """Every migration the code on disk has (read once per process: the code does not change under it)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return OK


def check_migrations() -> str:
    """"ok" when every migration on disk is applied (one query on django_migrations)."""
    try:
        applied = set(MigrationRecorder(connection).applied_migrations())
    except Exception as exc:
        return f"unreadable: {type(exc).__name__}"
    missing = sorted(_migration_targets() - applied)
    if missing:
        shown = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        return f"{len(missing)} unapplied: {shown}" + (", …" if len(missing) > 5 else "")
    return OK


def _is_redis(url: object) -> bool:
    return isinstance(url, str) and url.startswith(REDIS_SCHEMES)


def redis_urls() -> dict[str, list[str]]:
    """The Redis servers this deployment uses, by part: "redis" (the cache as configured, and REDIS_URL)
    and "broker" (Celery's, unless tasks run eagerly). Nothing when neither is Redis (`make run`)."""
    cache = settings.CACHES["default"]
    locations = cache.get("LOCATION") if "redis" in cache.get("BACKEND", "").lower() else None
    cache_urls = [u for u in ([locations] if isinstance(locations, str) else locations or []) if _is_redis(u)]
    broker = settings.CELERY_BROKER_URL
    broker_urls = [broker] if not settings.CELERY_TASK_ALWAYS_EAGER and _is_redis(broker) else []
    parts: dict[str, list[str]] = {}
    if cache_urls or broker_urls:
        redis_part = list(dict.fromkeys([*cache_urls, *([settings.REDIS_URL] if _is_redis(settings.REDIS_URL)
                                                         else [])]))
        parts["redis"] = redis_part
        if broker_urls and broker_urls[0] not in redis_part:
            parts["broker"] = broker_urls
    return {name: urls for name, urls in parts.items() if urls}


def check_redis(urls: list[str]) -> str:
    for url in urls:
        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                      socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        try:
            client.ping()
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}"
        finally:
            client.close()
    return OK


def readiness() -> dict[str, str]:
    checks = {"database": check_database()}
    if checks["database"] == OK:  # else unknowable, and not a failure of its own
        checks["migrations"] = check_migrations()
    for name, urls in redis_urls().items():
        checks[name] = check_redis(urls)
    return checks

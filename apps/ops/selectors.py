"""What the metrics endpoint reads from the database and the broker at scrape time.

Every query is bounded and served by an index, so a scrape stays cheap at millions of dossiers:
outbox counts by its partial indexes (apps.portal.selectors.outbox_health), overdue dossiers by the
covering partial index `dossier_overdue_idx` (index-only), unsent and failed mail and failed
notifications by partial indexes holding only those (few) rows, the oldest statistics delta by the
primary key. The delta count is the one count that may grow without bound while compaction is
stuck: it stops at DELTA_COUNT_CAP (the gauge then says "at least this many").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from apps.documents.models import DocumentMail
from apps.dossiers.models import Dossier
from apps.dossiers.selectors import overdue_filter
from apps.notifications.models import Notification, NotificationStatus
from apps.stats.models import StatDelta

DELTA_COUNT_CAP = 1_000_000
BROKER_TIMEOUT_SECONDS = 1.0
# kombu's Redis transport keeps one list per queue and priority step (its default steps and separator).
_KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
_KOMBU_PRIORITY_SEP = "\x06\x16"


def dossiers_overdue(now: datetime | None = None) -> int:
    return overdue_filter(Dossier.objects.all(), True, now).filter(due_at__isnull=False).count()


@dataclass(frozen=True)
class DeltaBacklog:
    uncompacted: int  # capped at DELTA_COUNT_CAP
    lag_seconds: float  # age of the oldest uncompacted delta; 0 when every delta is compacted


def stats_backlog(now: datetime | None = None) -> DeltaBacklog:
    now = now or timezone.now()
    table = StatDelta._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) capped", [DELTA_COUNT_CAP])
        (count,) = cursor.fetchone()
    oldest = StatDelta.objects.order_by("id").values_list("created_at", flat=True).first()
    lag = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    return DeltaBacklog(uncompacted=int(count), lag_seconds=round(lag, 3))


def document_mails_failed() -> int:
    """Forms whose e-mail gave up: unsent after DOCUMENT_MAIL_MAX_ATTEMPTS (no retry will send them)."""
    return DocumentMail.objects.filter(
        sent_at__isnull=True, attempts__gte=settings.DOCUMENT_MAIL_MAX_ATTEMPTS
    ).count()


def notifications_failed() -> dict[str, int]:
    """Failed notifications per channel (e-mail, SMS)."""
    rows = (
        Notification.objects.filter(status=NotificationStatus.FAILED)
        .values_list("channel").order_by("channel").annotate(n=Count("id"))
    )
    return dict(rows)


def celery_queue_lengths() -> dict[str, int] | None:
    """Messages waiting per Celery queue; None when the broker is not Redis (eager mode, memory)."""
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT_SECONDS,
                                  socket_connect_timeout=BROKER_TIMEOUT_SECONDS)
    try:
        lengths = {}
        for queue in celery_queue_names():
            pipe = client.pipeline(transaction=False)
            for step in _KOMBU_PRIORITY_STEPS:
                pipe.llen(f"{queue}{_KOMBU_PRIORITY_SEP}{step}" if step else queue)
            lengths[queue] = int(sum(pipe.execute()))
        return lengths
    finally:
        client.close()


def celery_queue_names() -> list[str]:
    from config.celery import app

    names = {app.conf.task_default_queue}
    names.update(queue.name for queue in app.conf.task_queues or ())
    return sorted(names)

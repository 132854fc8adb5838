"""Notification jobs (Celery beat) and the sender. Every job is idempotent.

Two steps, like the portal outbox:
1. a job *records* what must be said, as `Notification` rows with a unique key naming the reason
   (``status:<event>:<channel>``, ``overdue:<dossier>:<due_at>:<user>``, …), inserted with
   ON CONFLICT DO NOTHING: running a job twice, or in two workers at once, records each once;
2. `notifications_send_pending` sends pending rows, one transaction each: the row is locked
   (SKIP LOCKED), sent, and marked sent before commit, so it is never sent again. Only a crash
   between the send and the commit repeats one message; a failed send is retried with backoff and
   given up (`failed`) after NOTIFY_MAX_ATTEMPTS.

Status changes are read from the dossier event change feed (the same ordered, gap-free feed the
portal reads) behind a cursor row, so no event is missed or announced twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.common.i18n import in_language_of
from apps.dossiers import actions
from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.payloads import event_payload
from apps.dossiers.selectors import applicant_account_ids, due_within_filter, overdue_filter
from apps.portal.selectors import change_feed

from . import texts
from .models import JobCursor, Notification, NotificationChannel, NotificationKind, NotificationStatus, OverdueMark
from .sms import get_sms_backend

logger = logging.getLogger(__name__)

#: Actions the applicant is told about: `announced` in the action registry (apps/dossiers/actions.py).
ANNOUNCED = actions.ANNOUNCED
STATUS_CURSOR = "notifications.status_changes"
SMS_MAX_CHARS = 320


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _record(rows: list[Notification]) -> None:
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)


# --- 1. status changes -> applicant -------------------------------------------------------------


def _status_notifications(event: DossierEvent) -> list[Notification]:
    dossier = event.dossier
    with in_language_of(dossier.applicant):
        text = texts.status_text(event_payload(event), dossier.code, dossier.procedure.name, dossier.appointment_at)
        subject = texts.status_subject(dossier.code)
    rows = []
    if dossier.applicant_email:
        rows.append(Notification(
            key=f"status:{event.pk}:email", kind=NotificationKind.STATUS_CHANGE, channel=NotificationChannel.EMAIL,
            recipient=dossier.applicant_email, subject=subject, body=text, dossier=dossier,
        ))
    if dossier.applicant_phone:
        rows.append(Notification(
            key=f"status:{event.pk}:sms", kind=NotificationKind.STATUS_CHANGE, channel=NotificationChannel.SMS,
            recipient=dossier.applicant_phone, body=text[:SMS_MAX_CHARS], dossier=dossier,
        ))
    # In the app: for each account whose "my dossiers" shows this dossier; nothing to deliver, so
    # it is recorded as sent and waits in GET me/notifications/ until read.
    rows += [
        Notification(
            key=f"status:{event.pk}:app:{user_id}", kind=NotificationKind.STATUS_CHANGE,
            channel=NotificationChannel.APP, recipient=f"user:{user_id}", subject=texts.status_subject(dossier.code),
            body=text, dossier=dossier, user_id=user_id, status=NotificationStatus.SENT, sent_at=event.at,
        )
        for user_id in applicant_account_ids(dossier)
    ]
    return rows


def notify_status_changes(*, now: datetime | None = None, page_size: int = 500, max_pages: int = 20) -> int:
    """Record the applicant notifications for the events since the cursor; returns how many events
    were read. Events older than NOTIFY_MAX_AGE_HOURS when first read are passed over (a first run
    on an old database, or a long outage, must not flood people with stale news)."""
    now = _now(now)
    oldest = now - timedelta(hours=settings.NOTIFY_MAX_AGE_HOURS)
    read = 0
    for _ in range(max_pages):
        with transaction.atomic():
            cursor, _ = JobCursor.objects.select_for_update().get_or_create(name=STATUS_CURSOR)
            page = change_feed(after=cursor.position or None, limit=page_size)
            rows = [
                row
                for event in page.events
                if event.action in ANNOUNCED and event.at >= oldest
                for row in _status_notifications(event)
            ]
            _record(rows)
            if page.events:
                cursor.position = page.next_cursor or ""
                cursor.save(update_fields=["position", "updated_at"])
            read += len(page.events)
        if not page.has_more:
            break
    return read


# --- 2. overdue sweep -> handler and leaders ----------------------------------------------------


def _handler(dossier: Dossier) -> User | None:
    return dossier.assigned_to or dossier.received_by


def _leaders(agency_id: int, cache: dict[int, list[User]]) -> list[User]:
    if agency_id not in cache:
        cache[agency_id] = list(
            User.objects.filter(memberships__agency_id=agency_id, groups__name=Role.LEADER, is_active=True)
            .exclude(email="").distinct()
        )
    return cache[agency_id]


def overdue_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Mark dossiers that are past their due time (clock running) and tell their handler and the
    agency's leaders, once per dossier and due time. Returns how many dossiers were marked now."""
    now = _now(now)
    marked = 0
    leaders: dict[int, list[User]] = {}
    already = OverdueMark.objects.filter(dossier=OuterRef("pk"), due_at=OuterRef("due_at"))
    while True:
        with transaction.atomic():
            dossiers = list(
                overdue_filter(Dossier.objects.all(), True, now)
                .exclude(Exists(already))
                .select_related("procedure", "assigned_to", "received_by")
                .order_by("id")[:batch]
            )
            if not dossiers:
                return marked
            OverdueMark.objects.bulk_create(
                [OverdueMark(dossier=d, due_at=d.due_at, agency_id=d.agency_id, detected_at=now) for d in dossiers],
                ignore_conflicts=True,
            )
            rows = []
            for dossier in dossiers:
                recipients = {u.pk: u for u in [_handler(dossier), *_leaders(dossier.agency_id, leaders)]
                              if u is not None and u.email}
                for user in recipients.values():
                    with in_language_of(user):
                        subject, body = texts.overdue_text(dossier.code, dossier.procedure.name, dossier.due_at)
                    rows.append(Notification(
                        key=f"overdue:{dossier.pk}:{dossier.due_at.isoformat()}:{user.pk}",
                        kind=NotificationKind.OVERDUE, channel=NotificationChannel.EMAIL, recipient=user.email,
                        subject=subject, body=body, dossier=dossier, user=user,
                    ))
            _record(rows)
            marked += len(dossiers)


# --- 3. due within one working day -> handler ---------------------------------------------------


def due_soon_reminders(*, now: datetime | None = None) -> int:
    """Remind the assigned clerk (else the one who received it) of dossiers due within one working
    day, once per dossier and due time. Returns how many reminders were recorded (new or not)."""
    now = _now(now)
    rows = []
    dossiers = due_within_filter(Dossier.objects.all(), 1, now).select_related(
        "procedure", "assigned_to", "received_by"
    ).order_by("id")
    for dossier in dossiers.iterator(chunk_size=500):
        user = _handler(dossier)
        if user is None or not user.email:
            continue
        with in_language_of(user):
            subject, body = texts.due_soon_text(dossier.code, dossier.procedure.name, dossier.due_at)
        rows.append(Notification(
            key=f"due_soon:{dossier.pk}:{dossier.due_at.isoformat()}:{user.pk}", kind=NotificationKind.DUE_SOON,
            channel=NotificationChannel.EMAIL, recipient=user.email, subject=subject, body=body, dossier=dossier,
            user=user,
        ))
    for start in range(0, len(rows), 500):
        _record(rows[start:start + 500])
    return len(rows)


# --- sending ------------------------------------------------------------------------------------


def _deliver(notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient])
    else:
        get_sms_backend().send(to=notification.recipient, text=notification.body)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


def notifications_send_pending(*, limit: int = 1000, now: datetime | None = None) -> SendReport:
    report = SendReport()
    for _ in range(limit):
        with transaction.atomic():
            moment = _now(now)
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status=NotificationStatus.PENDING)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
                .order_by("id")
                .first()
            )
            if notification is None:
                break
            try:
                _deliver(notification)
            except Exception as exc:  # the gateway or SMTP server said no: retry later
                notification.attempts += 1
                notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                    notification.status = NotificationStatus.FAILED
                else:
                    notification.next_attempt_at = moment + timedelta(minutes=2 ** notification.attempts)
                report.failed += 1
                logger.warning("notification %s not sent: %s", notification.key, notification.last_error)
            else:
                notification.status, notification.sent_at = NotificationStatus.SENT, moment
                notification.attempts += 1
                report.sent += 1
            notification.save(update_fields=["status", "sent_at", "attempts", "next_attempt_at", "last_error"])
    return report


# --- the applicant's in-app feed ----------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int, now: datetime | None = None) -> Notification | None:
    """Mark one of the user's in-app notifications read (again: a no-op); None if it is not theirs."""
    from .selectors import applicant_notifications

    with transaction.atomic():
        notification = applicant_notifications(user).select_for_update(of=("self",)).filter(pk=notification_id).first()
        if notification is not None and notification.read_at is None:
            notification.read_at = _now(now)
            notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark every unread in-app notification of the user read; returns how many were unread."""
    from .selectors import applicant_notifications

    return applicant_notifications(user, unread=True).update(read_at=_now(now))

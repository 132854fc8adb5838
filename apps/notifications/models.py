"""Notifications to applicants and staff, and the marks the overdue sweep leaves.

Every notification has a unique `key` naming why it exists (e.g. ``status:<event id>:email``), so
a job that runs twice, or two workers running it at once, create it once; the sender sends a pending
row once and marks it sent in the same transaction.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    APP = "app", "In the app (GET me/notifications/)"


class NotificationKind(models.TextChoices):
    STATUS_CHANGE = "status_change", "Status change (applicant)"
    OVERDUE = "overdue", "Overdue (staff)"
    DUE_SOON = "due_soon", "Due within 1 working day (staff)"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    dossier = models.ForeignKey("dossiers.Dossier", null=True, on_delete=models.PROTECT, related_name="+",
                                db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", db_index=False)
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # In-app notifications (channel "app"): when the applicant marked it read; null while unread.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [
            models.Index(fields=["id"], condition=Q(status="pending"), name="notification_pending_idx"),
            # The metrics endpoint counts failed notifications at every scrape: only those rows.
            models.Index(fields=["channel"], condition=Q(status="failed"), name="notification_failed_idx"),
            # An applicant's feed (GET me/notifications/), newest first.
            models.Index(fields=["user", "-id"], condition=Q(channel="app"), name="notification_app_feed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["email", "sms", "app"]),
                                   name="notification_channel_app_valid"),
            models.CheckConstraint(condition=Q(status__in=["pending", "sent", "failed"]),
                                   name="notification_status_valid"),
        ]

    def __str__(self) -> str:
        return self.key


class OverdueMark(models.Model):
    """"The sweep marks": this dossier was found past this due time at `detected_at`.

    One row per dossier and missed due time (a supplement that moves `due_at` can make a dossier
    overdue again, against the new time). The dossier row is not touched: `overdue` stays a
    computed property (now > due_at) everywhere else; the mark records when it was noticed and is
    the idempotency anchor of the overdue notifications.
    """

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+", db_index=False)
    due_at = models.DateTimeField()
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    detected_at = models.DateTimeField()

    class Meta:
        ordering = ("id",)
        constraints = [models.UniqueConstraint(fields=["dossier", "due_at"], name="overdue_mark_once")]


class JobCursor(models.Model):
    """How far a job has read an ordered source (the event change feed)."""

    name = models.CharField(max_length=64, unique=True)
    position = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"

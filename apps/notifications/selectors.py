"""Reads of notifications: an applicant's in-app feed."""
from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User

from .models import Notification, NotificationChannel


def applicant_notifications(user: User, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The signed-in applicant's in-app notifications; `unread` True/False filters, None all."""
    queryset = Notification.objects.filter(user=user, channel=NotificationChannel.APP).select_related("dossier")
    if unread is not None:
        queryset = queryset.filter(read_at__isnull=unread)
    return queryset

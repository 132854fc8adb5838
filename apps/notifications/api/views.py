"""The applicant's in-app notifications: read the feed, mark read (thin: selectors and services)."""
from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import IsApplicant
from apps.common.filters import StrictBooleanFilter

from .. import services
from ..models import Notification
from ..selectors import applicant_notifications
from .serializers import MarkedSerializer, NotificationSerializer


class NotificationFilter(django_filters.FilterSet):
    unread = StrictBooleanFilter(method="filter_unread", help_text="true: only unread; false: only read")

    def filter_unread(self, queryset, name, value: bool):
        return queryset.filter(read_at__isnull=value)


@extend_schema(tags=["notifications"], summary="My notifications (applicant), newest first")
class MyNotificationsView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated, IsApplicant]
    filterset_class = NotificationFilter
    cursor_ordering = ("-id",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return applicant_notifications(self.request.user)


@extend_schema(tags=["notifications"], summary="Mark one of my notifications read (idempotent)",
               request=None, responses=NotificationSerializer)
class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated, IsApplicant]

    def post(self, request, pk: int):
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        if notification is None:
            raise NotFound("No notification of yours with this id.")
        return Response(NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"], summary="Mark all my notifications read",
               request=None, responses=MarkedSerializer)
class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated, IsApplicant]

    def post(self, request):
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})

"""GET /api/v1/audit/: the audit log, newest first, for administrators (everyone else: 403)."""
from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import BasePermission

from apps.common.filters import BoundedDateFilter
from apps.dossiers.selectors import local_day_bounds

from ..models import AuditAction, AuditEntry
from ..selectors import audit_entries, audit_entries_by_actor, user_is_administrator
from .serializers import AuditEntrySerializer


class IsAdministrator(BasePermission):
    message = "Only administrators read the audit log."

    def has_permission(self, request, view) -> bool:
        return user_is_administrator(request.user)


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        method="filter_actor", max_length=150, label="Username (part of it); diacritics and case are ignored"
    )
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices)
    object_type = django_filters.CharFilter(max_length=100, label="app_label.model, e.g. dossiers.dossier")
    object_id = django_filters.CharFilter(max_length=64)
    dossier = django_filters.CharFilter(field_name="dossier_code", max_length=64, label="Dossier code")
    date_from = BoundedDateFilter(method="filter_date_from", label="Local date, inclusive")
    date_to = BoundedDateFilter(method="filter_date_to", label="Local date, inclusive")

    def filter_actor(self, queryset, name, value):
        return audit_entries_by_actor(queryset, value)

    def filter_date_from(self, queryset, name, value):
        low, _ = local_day_bounds(value, None)
        return queryset.filter(at__gte=low)

    def filter_date_to(self, queryset, name, value):
        try:
            _, high = local_day_bounds(None, value)
        except OverflowError:  # 9999-12-31: the day after it is not representable, so no upper bound
            return queryset
        return queryset.filter(at__lt=high)


@extend_schema(tags=["audit"], summary="The audit log, newest first (administrators)")
class AuditEntryListView(generics.ListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = [IsAdministrator]
    filterset_class = AuditEntryFilter
    cursor_ordering = ("-id",)
    queryset = AuditEntry.objects.none()  # for the schema; rows come from the selector

    def get_queryset(self):
        return audit_entries()

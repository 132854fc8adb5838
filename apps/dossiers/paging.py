"""Keyset paging of the clerk queue (API and workbench), soonest due first, dossiers without a due
time (not yet received) last.

DRF's cursor pagination keys on the first ordering column alone (position + offset), which cannot
step past a NULL `due_at`: past the last dated dossier the undated ones were never reached, and a
page of only undated ones had no valid next cursor (a 400). Here the cursor holds the whole key
(due_at, id) and the order is the queue index's own (agency, due_at ASC NULLS LAST, id), so every page
is an index range whatever its depth.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from apps.common.pagination import StableCursorPagination

from .models import Dossier


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page:
    rows: list[Dossier]
    next_cursor: str | None
    previous_cursor: str | None


def _encode(direction: str, dossier: Dossier) -> str:
    due = dossier.due_at.isoformat() if dossier.due_at else None
    return base64.urlsafe_b64encode(json.dumps([direction, due, dossier.pk]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, datetime | None, int]:
    try:
        direction, due, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when = datetime.fromisoformat(due) if due is not None else None
        if direction not in ("n", "p") or not isinstance(pk, int) or (when is not None and when.tzinfo is None):
            raise ValueError(cursor)
    except (ValueError, TypeError) as exc:
        raise BadCursor("Invalid cursor.") from exc
    return direction, when, pk


def _after(due: datetime | None, pk: int) -> Q:
    if due is None:
        return Q(due_at__isnull=True, id__gt=pk)
    return Q(due_at__gt=due) | Q(due_at=due, id__gt=pk) | Q(due_at__isnull=True)


def _before(due: datetime | None, pk: int) -> Q:
    if due is None:
        return Q(due_at__isnull=False) | Q(due_at__isnull=True, id__lt=pk)
    return Q(due_at__lt=due) | Q(due_at=due, id__lt=pk)


def queue_page(queryset: QuerySet[Dossier], *, cursor: str | None, size: int) -> Page:
    """One page of `size` rows after (or before) the cursor's dossier; one query."""
    position = _decode(cursor) if cursor else None
    if position is None or position[0] == "n":
        ordered = queryset.order_by(F("due_at").asc(nulls_last=True), "id")
        if position is not None:
            ordered = ordered.filter(_after(position[1], position[2]))
        rows = list(ordered[: size + 1])
        more, rows = len(rows) > size, rows[:size]
        return Page(rows, _encode("n", rows[-1]) if more else None,
                    _encode("p", rows[0]) if position is not None and rows else None)
    ordered = queryset.order_by(F("due_at").desc(nulls_first=True), "-id").filter(_before(position[1], position[2]))
    rows = list(ordered[: size + 1])
    more, rows = len(rows) > size, rows[:size][::-1]
    return Page(rows, _encode("n", rows[-1]) if rows else None, _encode("p", rows[0]) if more else None)


class DossierQueuePagination(StableCursorPagination):
    """The API's form of `queue_page`: same parameters (`cursor`, `page_size`) and answer shape as the
    other lists (`next`, `previous`, `results`)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param) or None
        try:
            self.page = queue_page(queryset, cursor=cursor, size=size)
        except BadCursor as exc:
            raise ValidationError({self.cursor_query_param: [str(exc)]}) from exc
        self.size = size
        return self.page.rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)

    def get_next_link(self):
        return self._link(self.page.next_cursor)

    def get_previous_link(self):
        return self._link(self.page.previous_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

"""Reads of the agency tree."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from apps.common.search import search_folded

from .models import Agency


def agency_list() -> QuerySet[Agency]:
    return Agency.objects.select_related("parent")


def agency_search(queryset: QuerySet[Agency], text: str) -> QuerySet[Agency]:
    """Agencies whose code or name holds every word typed, diacritics and case aside."""
    return search_folded(queryset, text, "code", "name")


def agency_subtree(agency: Agency) -> QuerySet[Agency]:
    """The agency and every descendant: one prefix scan on the materialised path."""
    return Agency.objects.filter(path__startswith=agency.path)


def agency_ids_in_subtrees(roots: Iterable[Agency]) -> QuerySet[Agency]:
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(path__startswith=root.path)
    return Agency.objects.filter(condition).values_list("pk", flat=True)


def agency_get_by_code(code: str) -> Agency | None:
    return Agency.objects.select_related("parent").filter(code=code).first()

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.selectors import staff_agency_ids, user_is_staff_reader
from apps.common.search import search_folded

from .models import Rating


def ratings_visible_to(user: User) -> QuerySet[Rating]:
    if not user_is_staff_reader(user):
        return Rating.objects.none()
    return Rating.objects.filter(agency_id__in=staff_agency_ids(user)).select_related(
        "agency", "procedure", "clerk", "dossier"
    )


def ratings_by_clerk(queryset: QuerySet[Rating], text: str) -> QuerySet[Rating]:
    """Ratings of clerks whose username or full name holds every word typed, diacritics and case aside."""
    return search_folded(queryset, text, "clerk__username", "clerk__full_name")

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import staff_agency_ids

from .models import Rating

READERS = (Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.STATISTICIAN, Role.SUPERVISOR, Role.ADMINISTRATOR)


def ratings_visible_to(user: User) -> QuerySet[Rating]:
    if not user.is_authenticated or not (user.is_superuser or user.has_role(*READERS)):
        return Rating.objects.none()
    return Rating.objects.filter(agency_id__in=staff_agency_ids(user)).select_related(
        "agency", "procedure", "clerk", "dossier"
    )

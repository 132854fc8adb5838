"""Who may call an endpoint at all, by role (DRF permissions). Which objects they then see is the
selectors' business: a role that may never do a thing gets 403 here, an object outside the caller's
scope is a 404 from the selector, never a 403 that would confirm it exists."""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from .roles import Role
from .selectors import user_is_staff_reader


class IsStaffReader(BasePermission):
    """Staff lists and exports (the queue, ratings, agency staff): not for applicants or machines."""

    message = "Only staff members read this."

    def has_permission(self, request, view) -> bool:
        return user_is_staff_reader(request.user)


class IsApplicant(BasePermission):
    """An applicant's own filings: staff have none."""

    message = "Only applicants have dossiers of their own."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_role(Role.APPLICANT))

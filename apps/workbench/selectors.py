"""Reads the workbench pages need beside the dossier selectors: choices for the action forms and the
registration form. The services stay the judges (an assignee or a transfer target outside these lists
is refused by them); these lists only offer what they would accept."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import staff_agency_ids
from apps.agencies.models import Agency
from apps.catalog.models import Offering, Procedure
from apps.dossiers.models import Dossier
from onestop.text import nfc

#: Who may handle a dossier (apps.dossiers.services.dossier_assign checks the same roles).
HANDLING_ROLES = (Role.CLERK, Role.SPECIALIST, Role.LEADER)


def _ancestor_paths(agency: Agency) -> list[str]:
    """'/H29/000.00.17.H29/' -> ['/H29/', '/H29/000.00.17.H29/']: the agency and its ancestors."""
    parts = [p for p in agency.path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def assignable_staff(agency: Agency) -> QuerySet[User]:
    """Active staff with a handling role whose scope covers the agency (a membership of it, or of an
    ancestor with its subtree)."""
    covered = Q(memberships__agency=agency) | Q(
        memberships__include_subtree=True, memberships__agency__path__in=_ancestor_paths(agency)
    )
    return (
        User.objects.filter(covered, is_active=True, groups__name__in=HANDLING_ROLES)
        .distinct()
        .order_by("full_name", "username")
    )


def transfer_targets(dossier: Dossier) -> QuerySet[Agency]:
    """Active agencies other than the holder that offer the dossier's procedure."""
    offering = Offering.objects.filter(
        procedure_id=dossier.procedure_id, is_active=True, procedure__is_active=True
    ).values("agency_id")
    return Agency.objects.filter(pk__in=offering, is_active=True).exclude(pk=dossier.agency_id).order_by("path")


def queue_procedures(user: User) -> QuerySet[Procedure]:
    """The procedures the user's agencies offer (the queue's procedure filter)."""
    offered = Offering.objects.filter(agency_id__in=staff_agency_ids(user)).values("procedure_id")
    return Procedure.objects.filter(pk__in=offered).order_by("code").only("code", "name")


def status_counts(queryset: QuerySet[Dossier]) -> dict[str, int]:
    """Dossiers per status of a filtered queue, in one GROUP BY."""
    return dict(queryset.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))


MAX_PROCEDURE_MATCHES = 30


def _registrable(user: User) -> QuerySet[Offering]:
    return Offering.objects.filter(
        agency_id__in=staff_agency_ids(user), is_active=True, procedure__is_active=True, agency__is_active=True
    ).select_related("agency", "procedure")


def registration_offering(user: User, offering_id: int) -> Offering | None:
    return _registrable(user).filter(pk=offering_id).first()


def registration_offerings(user: User, text: str) -> list[Offering]:
    """Active offerings of the clerk's agencies whose procedure code or name holds the text."""
    text = nfc(text)
    offerings = _registrable(user)
    if text:
        offerings = offerings.filter(
            Q(procedure__code__icontains=text) | Q(procedure__name__icontains=text)
        )
    return list(offerings.order_by("procedure__name", "agency__path")[:MAX_PROCEDURE_MATCHES])

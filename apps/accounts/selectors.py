"""Who may see what. Every scoped list in the project starts from `staff_agency_ids`."""
from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Q, QuerySet

from apps.agencies.models import Agency

from .models import AgencyMembership, User
from .roles import STAFF_READERS, Role


def user_is_province_wide(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.SUPERVISOR, Role.ADMINISTRATOR))


def user_is_staff_reader(user: User) -> bool:
    """A staff member who reads agency data in their scope (superusers too); not applicants, not the portal."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(*STAFF_READERS)))


def start_page_name(user: User) -> str:
    """Where a person lands after signing in without a `next`: the page of their daily work.
    Clerks and specialists work the queue; leaders, statisticians and supervisors read the
    statistics first; those who may use the admin site go there; other administrators to the
    statistics; anyone else (an applicant) to the public pages."""
    if not user.is_authenticated:
        return "public-landing"
    if user.has_role(Role.CLERK, Role.SPECIALIST):
        return "workbench:queue"
    if user.has_role(Role.LEADER, Role.STATISTICIAN, Role.SUPERVISOR):
        return "dashboard"
    if user.is_staff:
        return "admin:index"
    if user.is_superuser or user.has_role(Role.ADMINISTRATOR):
        return "dashboard"
    return "public-landing"


def staff_agencies(user: User) -> QuerySet[Agency]:
    """Agencies a staff user acts for: their memberships, plus subtrees where granted."""
    if not user.is_authenticated:
        return Agency.objects.none()
    if user_is_province_wide(user):
        return Agency.objects.all()
    memberships = list(
        AgencyMembership.objects.filter(user=user).values_list("agency__path", "include_subtree", "agency_id")
    )
    if not memberships:
        return Agency.objects.none()
    condition = Q(pk__in=[agency_id for _, subtree, agency_id in memberships if not subtree])
    for path, subtree, _ in memberships:
        if subtree:
            condition |= Q(path__startswith=path)
    return Agency.objects.filter(condition)


def staff_agency_ids(user: User) -> QuerySet:
    return staff_agencies(user).values_list("pk", flat=True)


def user_memberships(user: User) -> QuerySet[AgencyMembership]:
    return AgencyMembership.objects.filter(user=user).select_related("agency")


def agency_members(*, agency: Agency) -> QuerySet[AgencyMembership]:
    return AgencyMembership.objects.filter(agency=agency).select_related("user")


def viewer_can_see_agency_private(*, viewer: User, agency: Agency) -> bool:
    return staff_agencies(viewer).filter(pk=agency.pk).exists()


def user_by_id(user_id: int) -> User | None:
    """The account with this id, or None. Every API request signed with a token reads its account;
    on PostgreSQL one plain SELECT of every column, as the ORM's query building was half of that
    read's time, and a prepared statement of the connection, as it is the same on every request
    (SQLite, the embedded default, keeps the ORM for its type conversions)."""
    if connection.vendor != "postgresql":
        return User.objects.filter(pk=user_id).first()
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: through the proxy each use is a lookup
    fields = User._meta.concrete_fields
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    with db.prepared_statement_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {db.ops.quote_name(User._meta.db_table)} WHERE id = %s", [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = [f.from_db_value(v, None, db) if hasattr(f, "from_db_value") else v
              for f, v in zip(fields, row, strict=True)]
    return User.from_db(db.alias, [f.attname for f in fields], values)

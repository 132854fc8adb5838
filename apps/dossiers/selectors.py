"""Reads of dossiers. Visibility is decided here, so every list and detail inherits it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.selectors import staff_agency_ids, user_is_staff_reader
from apps.common.search import folded_match
from apps.identity.services import verified_accounts_for, verified_dossier_id_numbers
from apps.workcalendar.selectors import working_calendar
from onestop.lifecycle import CLOCK_RUNNING, Action
from onestop.text import nfc

from .models import Channel, Dossier, DossierDocument, DossierEvent


def _base() -> QuerySet[Dossier]:
    return Dossier.objects.select_related("procedure", "agency", "receiving_agency", "assigned_to", "received_by")


def _own(user: User) -> Q:
    """An applicant's dossiers: those filed from the account and, for an account whose ID number the
    identity provider verified, the counter and post dossiers registered under that number. An
    unverified account never sees the latter: anyone can type someone else's number."""
    condition = Q(applicant=user)
    id_numbers = verified_dossier_id_numbers(user)
    if id_numbers:
        condition |= Q(channel__in=(Channel.COUNTER, Channel.POST), applicant_id_number__in=id_numbers)
    return condition


def _held_by(agency_ids) -> Q:
    """Dossiers these agencies hold now or held before: the receiving agency keeps them, and so
    does every agency a transfer handed them to (a transfer event's agency is its target)."""
    transferred_to = DossierEvent.objects.filter(action=Action.TRANSFER, agency_id__in=agency_ids)
    return (
        Q(agency_id__in=agency_ids)
        | Q(receiving_agency_id__in=agency_ids)
        | Q(pk__in=transferred_to.values("dossier_id"))
    )


def dossiers_visible_to(user: User) -> QuerySet[Dossier]:
    """An applicant's own dossiers plus, for staff, those their agencies hold or held (read-only
    once transferred away: actions are open to the holding agency's staff only, see Caller)."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    condition = _own(user)
    if user_is_staff_reader(user):
        condition |= _held_by(staff_agency_ids(user))
    return _base().filter(condition)


def dossier_queue(user: User) -> QuerySet[Dossier]:
    """Staff queue: only their agencies' dossiers (applicants' own filings are under /me)."""
    if not user_is_staff_reader(user):
        return Dossier.objects.none()
    return _base().filter(agency_id__in=staff_agency_ids(user))


def dossier_transferred_out(user: User) -> QuerySet[Dossier]:
    """Dossiers the user's agencies received or held and that another agency holds now."""
    if not user_is_staff_reader(user):
        return Dossier.objects.none()
    ids = staff_agency_ids(user)
    transferred_to = DossierEvent.objects.filter(action=Action.TRANSFER, agency_id__in=ids)
    # `receiving <> agency` is implied (we exclude our own); stated, so the partial index serves it.
    received_here = Q(receiving_agency_id__in=ids) & ~Q(receiving_agency=F("agency"))
    return _base().filter(received_here | Q(pk__in=transferred_to.values("dossier_id"))).exclude(agency_id__in=ids)


def applicant_dossiers(user: User) -> QuerySet[Dossier]:
    if not user.is_authenticated:
        return Dossier.objects.none()
    return _base().filter(_own(user))


def applicant_account_ids(dossier: Dossier) -> list[int]:
    """The accounts whose "my dossiers" lists this dossier (told about its changes in the app)."""
    if dossier.applicant_id is not None:
        return [dossier.applicant_id]
    if dossier.channel in (Channel.COUNTER, Channel.POST):
        return verified_accounts_for(dossier.applicant_id_number)
    return []


def dossier_get_visible(user: User, dossier_id: int) -> Dossier | None:
    return dossiers_visible_to(user).filter(pk=dossier_id).first()


def dossier_history(dossier: Dossier) -> QuerySet[DossierEvent]:
    return DossierEvent.objects.filter(dossier=dossier).select_related("actor", "agency").order_by("id")


def dossier_documents(dossier: Dossier) -> QuerySet[DossierDocument]:
    return DossierDocument.objects.filter(dossier=dossier).order_by("id")


def overdue_filter(queryset: QuerySet[Dossier], overdue: bool, now: datetime | None = None) -> QuerySet[Dossier]:
    now = now or timezone.now()
    condition = Q(status__in=CLOCK_RUNNING, due_at__lt=now)
    return queryset.filter(condition) if overdue else queryset.exclude(condition)


def due_within_filter(queryset: QuerySet[Dossier], working_days: int, now: datetime | None = None):
    """Open dossiers due within the next N working days (and not yet overdue)."""
    now = now or timezone.now()
    limit = working_calendar().add_working_time(now, working_days)
    return queryset.filter(status__in=CLOCK_RUNNING, due_at__gte=now, due_at__lte=limit)


def local_day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end] in local dates → [start 00:00, day after end 00:00) as aware instants."""
    tz = timezone.get_current_timezone()
    low = datetime.combine(start, time.min, tzinfo=tz) if start else None
    high = datetime.combine(end, time.min, tzinfo=tz) + timedelta(days=1) if end else None
    return low, high


def lookup_by_code(code: str, id_number: str) -> Dossier | None:
    """Public lookup: only when the code and the applicant's ID number both match."""
    if not code or not id_number:
        return None
    return _base().filter(code=code, applicant_id_number=id_number).first()


def search_queue(queryset: QuerySet[Dossier], text: str) -> QuerySet[Dossier]:
    """A clerk's search: a dossier code or ID number as typed (any case), or an applicant's name without
    diacritics or case, every word in any order ("nguyen van an" finds "NGUYỄN VĂN AN")."""
    typed = nfc(text)
    if not typed:
        return queryset
    as_typed = {typed, typed.upper()}
    exact = Q(code__in=as_typed) | Q(applicant_id_number__in=as_typed)
    by_name = folded_match("applicant_name_folded", typed)
    return queryset.filter(exact | by_name if by_name is not None else exact)

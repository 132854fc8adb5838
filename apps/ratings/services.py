"""Giving a rating: once per dossier, by its applicant (or at the kiosk), within 30 days of the end."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.dossiers.models import Channel, Dossier
from onestop.errors import DomainError, ErrorCode
from onestop.lifecycle import FINISHED, Status

from .models import Criterion, Level, Rating, Source

RATING_WINDOW = timedelta(days=30)


def _now() -> datetime:
    return timezone.now()


def finished_at(dossier: Dossier) -> datetime | None:
    if dossier.status in (Status.RESOLVED, Status.RETURNED):
        return dossier.resolved_at
    if dossier.status == Status.REJECTED:
        return dossier.closed_at
    return None


#: Filed where the applicant stood at a counter (or sent it by post): the kiosk is their way to rate.
KIOSK_CHANNELS = (Channel.COUNTER, Channel.POST)


def kiosk_may_rate(dossier: Dossier) -> bool:
    """Staff never pre-empt an applicant's own rating: the kiosk rates counter and post dossiers, and
    those whose applicant has no account (e.g. filed through the national portal)."""
    return dossier.channel in KIOSK_CHANNELS or dossier.applicant_id is None


def _check_values(level: str, criteria: dict[str, str]) -> None:
    if level not in Level.values:
        raise DomainError(_("Unknown level %(level)s.") % {"level": repr(level)}, code=ErrorCode.VALIDATION,
                          field="level")
    for name, value in criteria.items():
        if name not in Criterion.values:
            raise DomainError(_("Unknown criterion %(name)s.") % {"name": repr(name)}, code=ErrorCode.VALIDATION,
                              field=f"criteria.{name}")
        if value not in Level.values:
            raise DomainError(_("Unknown level %(level)s.") % {"level": repr(value)}, code=ErrorCode.VALIDATION,
                              field=f"criteria.{name}")


@transaction.atomic
def rating_give(
    *,
    dossier_id: int,
    rated_by: User | None,
    source: str,
    level: str,
    criteria: dict[str, str] | None = None,
    comment: str = "",
) -> Rating:
    """The caller has already established who may rate (the applicant, or a clerk at the kiosk);
    a kiosk rating is refused on a dossier its applicant rates online (`kiosk_may_rate`)."""
    criteria = criteria or {}
    _check_values(level, criteria)
    dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier_id)
    if source == Source.KIOSK and not kiosk_may_rate(dossier):
        raise DomainError(
            "This dossier was filed online by an applicant with an account: they rate it themselves, "
            "not at the kiosk.",
            code=ErrorCode.KIOSK_RATING_NOT_ALLOWED,
            extra={"channel": dossier.channel},
        )
    if dossier.status not in FINISHED:
        raise DomainError(
            "A dossier can be rated once it is resolved, returned or rejected; it is “%(status)s”.",
            params={"status": dossier.status},
            code=ErrorCode.CONFLICT,
            extra={"current_status": dossier.status},
        )
    now = _now()
    ended = finished_at(dossier)
    if ended is not None and now - ended > RATING_WINDOW:
        raise DomainError("The 30-day rating window has closed.", code=ErrorCode.CONFLICT)
    if Rating.objects.filter(dossier_id=dossier.pk).exists():
        raise DomainError("This dossier has already been rated.", code=ErrorCode.CONFLICT)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                dossier=dossier,
                agency_id=dossier.agency_id,
                procedure_id=dossier.procedure_id,
                clerk_id=dossier.received_by_id,
                level=level,
                criteria=criteria,
                comment=comment,
                source=Source(source),
                rated_by=rated_by,
                created_at=now,
            )
    except IntegrityError as exc:  # a concurrent rating won the unique constraint
        raise DomainError("This dossier has already been rated.", code=ErrorCode.CONFLICT) from exc
    from apps.stats.services import record_rating

    record_rating(rating)
    return rating

"""Writes and reads of citizens' identities: the ID-number claim of a password sign-up, and the
account a verified (OpenID Connect) sign-in lands on."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import ApplicantType, User
from apps.accounts.roles import Role
from onestop.errors import DomainError, ErrorCode
from onestop.identity import IdNumber, normalise_id_number
from onestop.text import nfc

from .models import CitizenIdentity

logger = logging.getLogger(__name__)
TAKEN = "An applicant account already exists for this ID number."


def id_number_in_use(number: IdNumber) -> bool:
    return CitizenIdentity.objects.filter(id_key=number.key).exists()


def claim_id_number(user: User, number: IdNumber) -> CitizenIdentity:
    """A password sign-up claims its (unverified) number; the database refuses a second account."""
    try:
        with transaction.atomic():
            return CitizenIdentity.objects.create(user=user, id_key=number.key)
    except IntegrityError as exc:
        raise DomainError(TAKEN, code=ErrorCode.CONFLICT, field="id_number") from exc


def id_number_verified(user: User) -> bool:
    return CitizenIdentity.objects.filter(user=user, verified=True, id_key__isnull=False).exists()


def verified_dossier_id_numbers(user: User) -> list[str]:
    """The ID-number forms under which counter/post dossiers belong to this account: only for a
    number verified by the identity provider (anyone can type someone else's number)."""
    if not user.is_authenticated:
        return []
    identity = CitizenIdentity.objects.filter(user=user, verified=True, id_key__isnull=False).first()
    if identity is None:
        return []
    try:
        return normalise_id_number(user.id_number).dossier_forms()
    except ValueError:
        return []


def verified_accounts_for(id_number: str) -> list[int]:
    """The verified account holding this (raw, as typed on a dossier) number, if any."""
    try:
        key = normalise_id_number(id_number).key
    except ValueError:
        return []
    return list(CitizenIdentity.objects.filter(id_key=key, verified=True).values_list("user_id", flat=True))


@dataclass(frozen=True)
class VerifiedSignIn:
    user: User
    created: bool


def _new_username(issuer: str, subject: str) -> str:
    return "vneid-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:24]


@transaction.atomic
def verified_sign_in(*, issuer: str, subject: str, number: IdNumber, full_name: str = "", email: str = "",
                     link_user_id: int | None = None) -> VerifiedSignIn:
    """The account a verified citizen signs in to, created on first sign-in.

    * the (issuer, subject) pair seen before: that account;
    * else, the number held by a *verified* account: that account (a new subject for the citizen);
    * else, the number claimed by an unverified password account: if that account asked for the
      link itself (signed in when it started the sign-in), it becomes verified; otherwise the
      verified citizen takes the number and a new account is made. The password account keeps its
      own filings but no longer the number (whoever made it cannot see the citizen's dossiers);
    * else a new applicant account.
    """
    now = timezone.now()
    identity = CitizenIdentity.objects.select_for_update().filter(issuer=issuer, subject=subject).first()
    if identity is None:
        identity = CitizenIdentity.objects.select_for_update().filter(id_key=number.key).first()
        if identity is not None and not identity.verified and identity.user_id != link_user_id:
            logger.warning("verified sign-in takes %s from unverified account %s", number.kind, identity.user_id)
            identity.id_key, identity.released_at = None, now
            identity.save(update_fields=["id_key", "released_at"])
            identity = None
    if identity is not None:
        identity.verified, identity.verified_at = True, now
        identity.issuer, identity.subject, identity.id_key = issuer, subject, number.key
        identity.save(update_fields=["verified", "verified_at", "issuer", "subject", "id_key"])
        user = identity.user
        if user.id_number != number.display:
            user.id_number = number.display
            user.save(update_fields=["id_number"])
        return VerifiedSignIn(user=user, created=False)
    user = User.objects.create_user(
        username=_new_username(issuer, subject), password=None, full_name=nfc(full_name), email=email or "",
        applicant_type=ApplicantType.CITIZEN, id_number=number.display,
    )
    user.groups.add(Group.objects.get_or_create(name=Role.APPLICANT)[0])
    CitizenIdentity.objects.create(user=user, id_key=number.key, verified=True, verified_at=now, issuer=issuer,
                                   subject=subject)
    return VerifiedSignIn(user=user, created=True)

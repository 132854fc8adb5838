"""Writes to accounts: applicant sign-up, staff creation, role and scope grants.

Every change of a user's roles, scope, password or active state revokes the user's tokens, whichever
way it is made (these services, the admin, the ORM): models.py and signals.py see to it."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from apps.agencies.models import Agency
from onestop.identity import normalise_id_number
from onestop.text import nfc

from .models import AgencyMembership, ApplicantType, User
from .roles import STAFF_ROLES, Role


class UsernameTaken(Exception):
    """Another account has this sign-in name, in any letter case (also when it won a race)."""


def _grant_roles(user: User, roles: list[str]) -> None:
    for role in roles:
        Role(role)  # unknown role names are a programming error, not data
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    user.__dict__.pop("role_names", None)


@transaction.atomic
def applicant_register(
    *,
    username: str,
    password: str,
    full_name: str,
    applicant_type: str,
    id_number: str,
    email: str = "",
    phone: str = "",
    language: str = "",
) -> User:
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                email=email,
                full_name=nfc(full_name),  # becomes the applicant name of their dossiers, searched in NFC
                applicant_type=applicant_type,
                # A citizen's number in its one written form (onestop/identity.py), as the claim keys it.
                id_number=(normalise_id_number(id_number).display if applicant_type == ApplicantType.CITIZEN
                           else id_number),
                phone=phone,
                language=language or settings.LANGUAGE_CODE,
            )
    except IntegrityError as exc:
        # The caller checked the name; a parallel sign-up with it (in any case) committed first.
        if User.objects.filter(username__iexact=username).exists():
            raise UsernameTaken(username) from exc
        raise
    _grant_roles(user, [Role.APPLICANT])
    if applicant_type == ApplicantType.CITIZEN:
        from apps.identity.services import claim_id_number  # one account per ID number (apps/identity)

        claim_id_number(user, normalise_id_number(id_number))
    return user


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    full_name: str,
    roles: list[str],
    agencies: list[Agency],
    include_subtree: bool = False,
    email: str = "",
) -> User:
    user = User.objects.create_user(
        username=username, password=password, email=email, full_name=nfc(full_name), is_staff=False
    )
    _grant_roles(user, roles)
    for agency in agencies:
        AgencyMembership.objects.create(user=user, agency=agency, include_subtree=include_subtree)
    if Role.ADMINISTRATOR in roles:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: list[str]) -> None:
    """Exactly these roles from now on (the user's tokens end: signals.py)."""
    for role in roles:
        Role(role)
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    user.__dict__.pop("role_names", None)


@transaction.atomic
def membership_set(*, user: User, agency: Agency, include_subtree: bool = False, title: str = "") -> AgencyMembership:
    """Grant or change the user's scope on one agency (the user's tokens end: signals.py)."""
    membership, _ = AgencyMembership.objects.update_or_create(
        user=user, agency=agency, defaults={"include_subtree": include_subtree, "title": title}
    )
    return membership


@transaction.atomic
def membership_remove(*, user: User, agency: Agency) -> bool:
    """Take the user's scope on one agency away (the user's tokens end: signals.py)."""
    deleted, _ = AgencyMembership.objects.filter(user=user, agency=agency).delete()
    return bool(deleted)


def user_set_language(*, user: User, language: str) -> None:
    """The language the user reads pages, e-mails and SMS in (the pages' switcher). Not a change of
    rights: one column, tokens untouched."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def is_staff_role(role: str) -> bool:
    return role in STAFF_ROLES

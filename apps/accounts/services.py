"""Writes to accounts: applicant sign-up, staff creation, role and scope grants."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from apps.agencies.models import Agency
from onestop.identity import normalise_id_number
from onestop.text import nfc

from .models import AgencyMembership, ApplicantType, User
from .roles import STAFF_ROLES, Role


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
) -> User:
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        full_name=nfc(full_name),  # becomes the applicant name of their dossiers, searched in NFC
        applicant_type=applicant_type,
        # A citizen's number in its one written form (onestop/identity.py), as the claim below keys it.
        id_number=normalise_id_number(id_number).display if applicant_type == ApplicantType.CITIZEN else id_number,
        phone=phone,
    )
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


def is_staff_role(role: str) -> bool:
    return role in STAFF_ROLES

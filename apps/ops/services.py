"""Operator actions behind the management commands: staff accounts and the national portal's keys.

Secrets are generated here (`secrets`, URL-safe) and returned once to the caller, which prints them;
only what verification needs is stored (a password hash; an HMAC key's secret, which verifying a
signature needs in clear, see apps.portal.models.PortalKey).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_create
from apps.agencies.models import Agency
from apps.portal.models import PortalKey
from onestop.errors import DomainError, ErrorCode

#: Roles whose work is scoped to agencies: such an account without an agency would see nothing.
AGENCY_SCOPED_ROLES = frozenset({Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.STATISTICIAN})
OPERATOR_ROLES = frozenset(Role) - {Role.APPLICANT}
KEY_ID_MAX = PortalKey._meta.get_field("key_id").max_length
ROTATED_SUFFIX = re.compile(r"\.r\d{14}(-\d+)?$")  # what `rotate` appends to a key id (KEY.rYYYYMMDDHHMMSS)


def generate_password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


def generate_secret() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, 384 bits (fits PortalKey.secret)


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(message, code=ErrorCode.VALIDATION, field=field)


def staff_account_create(*, username: str, roles: list[str], agency_codes: list[str], password: str | None,
                         full_name: str = "", email: str = "", include_subtree: bool = False) -> tuple[User, str]:
    """A staff (or administrator) account; returns it and its password (the one given, or a generated one)."""
    if not roles:
        raise _invalid(_("Give at least one role."), "roles")
    unknown = sorted(set(roles) - OPERATOR_ROLES)
    if unknown:
        raise _invalid(_("Unknown staff role(s): %(unknown)s; one of %(roles)s.")
                       % {"unknown": ", ".join(unknown), "roles": ", ".join(sorted(OPERATOR_ROLES))}, "roles")
    agencies = list(Agency.objects.filter(code__in=agency_codes))
    missing = sorted(set(agency_codes) - {agency.code for agency in agencies})
    if missing:
        raise _invalid(_("No agency with code(s): %(codes)s.") % {"codes": ", ".join(missing)}, "agencies")
    if not agencies and AGENCY_SCOPED_ROLES.intersection(roles):
        scoped = ", ".join(sorted(AGENCY_SCOPED_ROLES.intersection(roles)))
        raise _invalid(_("The role(s) %(roles)s need at least one agency.") % {"roles": scoped}, "agencies")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("A user named %(name)s exists already.") % {"name": repr(username)},
                          code=ErrorCode.CONFLICT, field="username")
    if password is None:
        password = generate_password()
    else:
        try:
            validate_password(password, User(username=username, full_name=full_name, email=email))
        except ValidationError as exc:
            raise _invalid(" ".join(exc.messages), "password") from exc
    user = staff_create(username=username, password=password, full_name=full_name, roles=list(roles),
                        agencies=agencies, include_subtree=include_subtree, email=email)
    return user, password


@dataclass(frozen=True)
class IssuedKey:
    key: PortalKey
    secret: str  # shown once


def portal_key_create(*, key_id: str, name: str = "", valid_until: datetime | None = None) -> IssuedKey:
    if not key_id or len(key_id) > KEY_ID_MAX:
        raise _invalid(_("A key id has 1 to %(max)d characters.") % {"max": KEY_ID_MAX}, "key_id")
    with transaction.atomic():
        if PortalKey.objects.filter(key_id=key_id).exists():
            raise DomainError(_("Key %(key)s exists already.") % {"key": repr(key_id)}, code=ErrorCode.CONFLICT,
                              field="key_id")
        secret = generate_secret()
        key = PortalKey.objects.create(key_id=key_id, secret=secret, name=name, valid_until=valid_until)
    return IssuedKey(key, secret)


def _active_key(key_id: str) -> PortalKey:
    key = PortalKey.objects.select_for_update().filter(key_id=key_id).first()
    if key is None:
        raise DomainError(_("No key %(key)s.") % {"key": repr(key_id)}, code=ErrorCode.NOT_FOUND, field="key_id")
    return key


def portal_key_rotate(*, key_id: str, new_key_id: str | None = None, grace: timedelta = timedelta(hours=24),
                      now: datetime | None = None) -> IssuedKey:
    """A new key for the same client; the old one keeps working for `grace` (the portal switches over),
    then is refused. Returns the new key and its secret."""
    now = now or timezone.now()
    with transaction.atomic():
        old = _active_key(key_id)
        if not old.is_active:
            raise DomainError(_("Key %(key)s is revoked; create a new one instead.") % {"key": repr(key_id)},
                              code=ErrorCode.CONFLICT, field="key_id")
        if not new_key_id:
            new_key_id = f"{ROTATED_SUFFIX.sub('', key_id)[: KEY_ID_MAX - 20]}.r{now:%Y%m%d%H%M%S}"
            taken = set(PortalKey.objects.filter(key_id__startswith=new_key_id).values_list("key_id", flat=True))
            new_key_id = next(c for n in range(1, len(taken) + 2)
                              if (c := new_key_id if n == 1 else f"{new_key_id}-{n}") not in taken)
        issued = portal_key_create(key_id=new_key_id, name=old.name)
        ends = now + grace
        if old.valid_until is None or old.valid_until > ends:
            old.valid_until = ends
            old.save(update_fields=["valid_until"])
    return issued


def portal_key_revoke(*, key_id: str) -> PortalKey:
    """Refused from the next request on."""
    with transaction.atomic():
        key = _active_key(key_id)
        key.is_active = False
        key.save(update_fields=["is_active"])
    return key

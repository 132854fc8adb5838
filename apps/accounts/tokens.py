"""The API's JWTs: minted in one place (`token_for`), rotated on refresh, checked on every request.

Claims besides simplejwt's own: `roles` (the user's group names), `ver` (the user's token_version
when the token was minted), `fam` and `gen` (the refresh-token family and its generation).

- Every authenticated request compares `ver` with the user's row, which simplejwt loads anyway: a
  change of roles, agency memberships, password or active/staff/superuser state moves the version
  on (models.py, signals.py) and ends every access and refresh token of the user at once. The
  `roles` claim therefore never outlives the roles: it saves the group query, nothing more.
- A refresh re-reads the user (active, version, roles) and answers a new pair: the refresh token
  rotates. Each sign-in starts a family (RefreshTokenFamily); a refresh token of an older
  generation presented again means a copy is in use, and ends the family for good.
- Access tokens live JWT_ACCESS_MINUTES (at most 15). An access token already handed out survives
  only the end of its family (a reused refresh token), never a change to the user: that is the
  longest a revoked power can live.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import aware_utcnow

from apps.common.fields import CharField

from .models import RefreshTokenFamily, User
from .selectors import user_by_id

ROLES_CLAIM = "roles"
VERSION_CLAIM = "ver"
FAMILY_CLAIM = "fam"
GENERATION_CLAIM = "gen"


class FamilyRefreshToken(RefreshToken):
    # The generation matters to the refresh token only; its access tokens carry the rest.
    no_copy_claims = (*RefreshToken.no_copy_claims, GENERATION_CLAIM)


def _mint(user: User, family: RefreshTokenFamily) -> FamilyRefreshToken:
    token = FamilyRefreshToken.for_user(user)
    token[ROLES_CLAIM] = sorted(user.role_names)
    token[VERSION_CLAIM] = user.token_version
    token[FAMILY_CLAIM] = str(family.pk)
    token[GENERATION_CLAIM] = family.generation
    return token


def _expiry(now: datetime) -> datetime:
    return now + api_settings.REFRESH_TOKEN_LIFETIME


def token_for(user: User) -> FamilyRefreshToken:
    """Sign a user in: a new refresh-token family; `.access_token` of the answer is the access token.

    The one function that issues the API's tokens (password sign-in, the demo, any other sign-in such
    as OpenID Connect: answer {"refresh": str(token), "access": str(token.access_token)}), so every
    issuer gets rotation and revocation alike."""
    # The version as committed (a role granted a moment ago may have moved it past this copy's), then
    # the roles: a change in between leaves the token with an older version, so it is refused.
    user.token_version = User.objects.values_list("token_version", flat=True).get(pk=user.pk)
    user.__dict__.pop("role_names", None)
    family = RefreshTokenFamily.objects.create(user=user, expires_at=_expiry(timezone.now()))
    return _mint(user, family)


def _claims(raw: str) -> tuple[uuid.UUID, int, int, int]:
    try:
        token = RefreshToken(raw)  # signature, expiry and type
        family = uuid.UUID(token[FAMILY_CLAIM])
        generation, version = int(token[GENERATION_CLAIM]), int(token[VERSION_CLAIM])
        user_id = int(token[api_settings.USER_ID_CLAIM])
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:  # minted before rotation existed
        raise InvalidToken("Token is invalid or expired") from exc
    return family, generation, version, user_id


def token_refresh(raw: str) -> FamilyRefreshToken:
    """The next refresh token of the family (its `.access_token` carries the roles as they are now).

    Refused (InvalidToken, 401) when the token is not ours or expired, its family has ended, its
    user is gone or inactive or changed since (version), or it was already used, which also ends
    its family: whoever holds the newer token has to sign in again, and so does the thief."""
    family_id, generation, version, user_id = _claims(raw)
    refusal, token = "", None
    with transaction.atomic():
        family = RefreshTokenFamily.objects.select_for_update().filter(
            pk=family_id, user_id=user_id, revoked_at__isnull=True).first()
        user = User.objects.filter(pk=family.user_id).first() if family is not None else None
        if family is None or user is None:
            refusal = "Token is invalid or expired"
        elif generation != family.generation:
            refusal = "Token was already used; every token of its sign-in is revoked"
        elif not user.is_active or version != user.token_version:
            refusal = "Token was revoked (the account changed)"
        if refusal:
            if family is not None:  # committed: the 401 below must not undo it
                family.revoked_at = timezone.now()
                family.save(update_fields=["revoked_at"])
        else:
            now = timezone.now()
            family.generation += 1
            family.expires_at = _expiry(now)
            family.save(update_fields=["generation", "expires_at"])
            token = _mint(user, family)
    if token is None:
        raise InvalidToken(refusal)
    return token


def purge_expired_families(*, now: datetime | None = None) -> int:
    """Forget families whose newest refresh token has expired (nothing can refresh them any more)."""
    deleted, _ = RefreshTokenFamily.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


class RolesTokenObtainPairSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        return token_for(user)


class TokenRefreshSerializer(serializers.Serializer):
    """POST auth/token/refresh/: a refresh token in, a new pair out (the old refresh token is spent)."""

    refresh = CharField()
    access = serializers.CharField(read_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = token_refresh(attrs["refresh"])
        return {"refresh": str(refresh), "access": str(refresh.access_token)}


# Access tokens already checked (signature, type, claims), by their exact bytes: a client sends the
# same token with every request of its lifetime, and checking it again (base64, JSON, HMAC) was a
# twentieth of a filing's time. Nothing of that check changes with time except the expiry, which
# is checked again on every use; the account (active, token version) is read on every request
# regardless. Bounded: emptied when full, and when the JWT settings or the secret key change.
_CHECKED_TOKENS_MAX = 4096
_checked_tokens: dict[bytes, Token] = {}


@receiver(setting_changed)
def _forget_checked_tokens(*, setting: str, **kwargs) -> None:
    if setting in ("SIMPLE_JWT", "SECRET_KEY"):
        _checked_tokens.clear()


class RolesJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _checked_tokens.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
            except TokenError:  # expired since: refused below with simplejwt's own answer
                _checked_tokens.pop(raw_token, None)
            else:
                return token
        token = super().get_validated_token(raw_token)
        if len(_checked_tokens) >= _CHECKED_TOKENS_MAX:
            _checked_tokens.clear()
        _checked_tokens[raw_token] = token
        return token

    def get_user(self, validated_token):
        """simplejwt's checks (no such account, inactive: 401), the account read by user_by_id, then
        the token's version against the account's (a changed account revokes its tokens)."""
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        user = user_by_id(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(VERSION_CLAIM) != user.token_version:
            raise InvalidToken("Token was revoked (the account changed)")
        roles = validated_token.get(ROLES_CLAIM)
        if isinstance(roles, list):
            user.__dict__["role_names"] = frozenset(roles)  # fills User.role_names' cache
        return user

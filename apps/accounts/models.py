import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.functional import cached_property

#: User fields whose change ends every token the user holds (with roles and agency memberships).
TOKEN_SENSITIVE_FIELDS = ("password", "is_active", "is_superuser", "is_staff")


def revoke_tokens_of(user_ids: Iterable[int]) -> None:
    """End every access and refresh token of these users at once: their token version moves on.

    One UPDATE that increments in the database, so concurrent revocations never cancel out and
    the version never goes back (tokens carry it in the `ver` claim; apps/accounts/tokens.py)."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if ids:
        User.objects.filter(pk__in=ids).update(token_version=F("token_version") + 1)


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        # A bulk deactivation or password reset revokes tokens like a one-by-one change.
        if "token_version" not in kwargs and set(TOKEN_SENSITIVE_FIELDS).intersection(kwargs):
            kwargs["token_version"] = F("token_version") + 1
        return super().update(**kwargs)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class ApplicantType(models.TextChoices):
    CITIZEN = "citizen", "Công dân"
    BUSINESS = "business", "Doanh nghiệp"
    ORGANISATION = "organisation", "Tổ chức"


class User(AbstractUser):
    """Every person or machine that signs in. Roles are groups; staff scope is AgencyMembership."""

    full_name = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    applicant_type = models.CharField(
        max_length=12, choices=ApplicantType.choices, blank=True,
        help_text="For applicants: citizen (ID number), business (tax code), organisation.",
    )
    # Citizen ID (CCCD, 12 digits), tax code or agency code, depending on applicant_type.
    id_number = models.CharField(max_length=20, blank=True, db_index=True)
    # What the system writes to this person in (e-mail, SMS): Vietnamese unless they chose English.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    # Moves on (only ever up, only through revoke_tokens_of) whenever the user's roles, agency
    # memberships, password or active/staff/superuser state change: tokens minted before then stop working.
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(applicant_type__in=["", "citizen", "business", "organisation"]),
                name="user_applicant_type_valid",
            ),
            # Sign-in names are unique whatever their case: "raceX" and "RACEX" are one account.
            models.UniqueConstraint(
                Lower("username"), name="user_username_ci_unique",
                violation_error_message="This username is taken.",
            ),
        ]

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._saved_sensitive = user._sensitive_state(TOKEN_SENSITIVE_FIELDS)
        return user

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._saved_sensitive = self._sensitive_state(TOKEN_SENSITIVE_FIELDS)

    def _sensitive_state(self, names: Iterable[str]) -> dict[str, Any]:
        loaded = self.__dict__  # deferred fields are absent: never loaded, never changed
        return {name: loaded[name] for name in names if name in loaded}

    def save(self, **kwargs: Any) -> None:
        """Never writes token_version back (a stale copy would revive revoked tokens); saving a
        changed password or active/staff/superuser flag revokes the user's tokens."""
        fields = kwargs.get("update_fields")
        if not self._state.adding:
            if fields is None:
                deferred = self.get_deferred_fields()
                fields = [f.attname for f in self._meta.concrete_fields
                          if not f.primary_key and f.attname not in deferred]
            fields = kwargs["update_fields"] = [name for name in fields if name != "token_version"]
        written = self._sensitive_state(TOKEN_SENSITIVE_FIELDS if fields is None else
                                        set(TOKEN_SENSITIVE_FIELDS).intersection(fields))
        saved = getattr(self, "_saved_sensitive", None)
        if saved is None:  # built in memory rather than read: only a brand-new row has no tokens
            revoke = self.pk is not None
            saved = {}
        else:
            revoke = any(saved.get(name, value) != value for name, value in written.items())
        super().save(**kwargs)
        self._saved_sensitive = {**saved, **written}
        if revoke:
            revoke_tokens_of([self.pk])
            self.token_version = User.objects.values_list("token_version", flat=True).get(pk=self.pk)

    @cached_property
    def role_names(self) -> frozenset[str]:
        # One query per request, reused by every permission check.
        return frozenset(group.name for group in self.groups.all())

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))


class MembershipQuerySet(models.QuerySet):
    """Bulk writes revoke the users' tokens too (one-by-one saves and deletes do it by signal)."""

    def update(self, **kwargs: Any) -> int:
        user_ids = list(self.values_list("user_id", flat=True))
        moved_to = kwargs.get("user_id", kwargs.get("user"))
        moved_to = getattr(moved_to, "pk", moved_to)  # memberships handed to another user
        count = super().update(**kwargs)
        revoke_tokens_of([*user_ids, moved_to] if isinstance(moved_to, int) else user_ids)
        return count

    def bulk_create(self, objs: Iterable["AgencyMembership"], *args: Any, **kwargs: Any) -> list:
        created = super().bulk_create(objs, *args, **kwargs)
        revoke_tokens_of(membership.user_id for membership in created)
        return created

    def bulk_update(self, objs: Iterable["AgencyMembership"], *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        count = super().bulk_update(objs, *args, **kwargs)
        revoke_tokens_of(membership.user_id for membership in objs)
        return count


class AgencyMembership(models.Model):
    """A staff member's scope: one agency, optionally with its whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="memberships")
    include_subtree = models.BooleanField(default=False)
    title = models.CharField(max_length=120, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "agency"), name="membership_unique_user_agency")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.code}{' (+subtree)' if self.include_subtree else ''}"


class RefreshTokenFamily(models.Model):
    """One sign-in's chain of refresh tokens. Each refresh answers with the next generation; a
    token of an older generation coming back means it was copied, and ends the whole family."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The expiry of the newest refresh token: after it the row only waits for the nightly purge.
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}/{self.pk} gen {self.generation}"

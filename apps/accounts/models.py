from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property


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

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(applicant_type__in=["", "citizen", "business", "organisation"]),
                name="user_applicant_type_valid",
            )
        ]

    @cached_property
    def role_names(self) -> frozenset[str]:
        # One query per request, reused by every permission check.
        return frozenset(group.name for group in self.groups.all())

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))


class AgencyMembership(models.Model):
    """A staff member's scope: one agency, optionally with its whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="memberships")
    include_subtree = models.BooleanField(default=False)
    title = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "agency"), name="membership_unique_user_agency")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.code}{' (+subtree)' if self.include_subtree else ''}"

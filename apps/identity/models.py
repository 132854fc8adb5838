"""Which applicant account holds which citizen ID number, and whether the number was verified by
the national identity provider (OpenID Connect). One account per number: a unique key in the
database, not a check in Python."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class CitizenIdentity(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citizen_identity")
    # Normalised (onestop/identity.py): CCCD:<12 digits>, CMND:<9 digits>, PASSPORT:<country>:<number>.
    # Null once a verified sign-in took the number from an unverified account (`released_at`).
    id_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    issuer = models.CharField(max_length=255, blank=True)  # the OpenID provider that verified it
    subject = models.CharField(max_length=255, blank=True)  # its `sub` for this citizen
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], condition=~Q(subject=""),
                                    name="identity_one_account_per_subject"),
            models.CheckConstraint(condition=Q(verified=False) | (Q(id_key__isnull=False) & ~Q(subject="")),
                                   name="identity_verified_has_key_and_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.id_key or '-'} ({'verified' if self.verified else 'claimed'})"

from django.conf import settings
from django.db import models
from django.db.models import Q


class Tier(models.TextChoices):
    PROVINCE = "province", "Cấp tỉnh"
    DISTRICT = "district", "Cấp huyện"
    COMMUNE = "commune", "Cấp xã"


class Agency(models.Model):
    """An organisation that receives and resolves dossiers (cơ quan / đơn vị).

    `path` is a materialised path of agency codes ("/H29/000.00.17.H29/"), maintained by
    services, so a subtree is one indexed prefix scan instead of a recursive query.
    """

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=255, db_collation=settings.NAME_COLLATION)
    tier = models.CharField(max_length=10, choices=Tier.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=1000, editable=False, db_index=True)
    address = models.CharField(max_length=500, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # Agencies merge and tiers are abolished (DESIGN.md section 10): validity and successor.
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("path",)
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__in=[t.value for t in Tier]), name="agency_tier_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="agency_validity_ordered",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="agency_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

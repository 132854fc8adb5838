"""Citizens' satisfaction with one finished dossier (DESIGN.md section 5)."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class Level(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", "Rất hài lòng"
    SATISFIED = "satisfied", "Hài lòng"
    DISSATISFIED = "dissatisfied", "Không hài lòng"


class Criterion(models.TextChoices):
    GUIDANCE = "guidance", "Hướng dẫn"
    STAFF_ATTITUDE = "staff_attitude", "Thái độ cán bộ"
    TIMELINESS = "timeliness", "Thời gian giải quyết"
    RESULT = "result", "Kết quả"
    FEEDBACK = "feedback", "Tiếp nhận, xử lý ý kiến"
    ONLINE_SERVICE = "online_service", "Chất lượng dịch vụ trực tuyến"


class Source(models.TextChoices):
    ONLINE = "online", "Trực tuyến"
    KIOSK = "kiosk", "Tại quầy"


class Rating(models.Model):
    """Immutable once given; linked to what was rated so agencies, procedures and clerks can be ranked."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="rating")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings_received"
    )
    level = models.CharField(max_length=16, choices=Level.choices)
    criteria = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["agency", "created_at"], name="rating_agency_idx"),
            models.Index(fields=["clerk", "created_at"], name="rating_clerk_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=Level.values), name="rating_level_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="rating_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.level}"

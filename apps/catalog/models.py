from django.conf import settings
from django.db import models
from django.db.models import Q

from onestop.indicators import SERVICE_CLASSES


class OnlineLevel(models.IntegerChoices):
    INFO = 1, "Mức độ 1"
    FORMS = 2, "Mức độ 2"
    SUBMIT = 3, "Mức độ 3"
    FULL = 4, "Mức độ 4"


class ServiceClass(models.TextChoices):
    """Decree 42/2022/NĐ-CP: how much of a service runs online (replaces levels in new reporting).

    Recorded per offering (and in the national catalogue per procedure), never derived from the
    level: roughly level 4 ~ full and level 3 ~ partial, but the two are reported side by side."""

    FULL = "full", "Toàn trình"
    PARTIAL = "partial", "Một phần"
    NONE = "none", "Không (thông tin, biểu mẫu)"


assert set(ServiceClass.values) == set(SERVICE_CLASSES)  # the statistics' classes (onestop.indicators)


class Field(models.Model):
    """Sector (lĩnh vực) a procedure belongs to."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=255, db_collation=settings.NAME_COLLATION)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Procedure(models.Model):
    """Catalogue entry of an administrative procedure (thủ tục hành chính)."""

    code = models.CharField(max_length=40, unique=True, help_text="National code, e.g. 1.001612")
    name = models.CharField(max_length=500, db_collation=settings.NAME_COLLATION)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures")
    online_level = models.PositiveSmallIntegerField(choices=OnlineLevel.choices)
    service_class = models.CharField(
        max_length=8, choices=ServiceClass.choices, default=ServiceClass.NONE,
        help_text="Decree 42/2022 class in the national catalogue; new offerings start from it.",
    )
    processing_days = models.DecimalField(
        max_digits=6, decimal_places=2, help_text="Legal processing time in working days (0 = same day)."
    )
    fee = models.DecimalField(max_digits=14, decimal_places=0, default=0, help_text="VND")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(condition=Q(online_level__gte=1, online_level__lte=4), name="procedure_level_1_4"),
            models.CheckConstraint(condition=Q(service_class__in=ServiceClass.values), name="procedure_class_valid"),
            models.CheckConstraint(condition=Q(processing_days__gte=0), name="procedure_days_not_negative"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="procedure_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DocumentType(models.Model):
    """A document (thành phần hồ sơ) the applicant must or may attach."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="document_types")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=500)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("procedure", "position", "code")
        constraints = [
            models.UniqueConstraint(fields=("procedure", "code"), name="document_type_unique_per_procedure")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Offering(models.Model):
    """An agency offers a procedure, possibly at a lower online level than the catalogue's."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="offerings")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="offerings")
    online_level = models.PositiveSmallIntegerField(choices=OnlineLevel.choices)
    service_class = models.CharField(
        max_length=8, choices=ServiceClass.choices, default=ServiceClass.NONE,
        help_text="Decree 42/2022 class of this agency's online service: toàn trình / một phần / none.",
    )
    # Provinces often shorten the legal time; null = the catalogue's processing_days.
    processing_days = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("agency", "procedure")
        constraints = [
            models.UniqueConstraint(fields=("agency", "procedure"), name="offering_unique_agency_procedure"),
            models.CheckConstraint(condition=Q(online_level__gte=1, online_level__lte=4), name="offering_level_1_4"),
            models.CheckConstraint(condition=Q(service_class__in=ServiceClass.values), name="offering_class_valid"),
            models.CheckConstraint(
                condition=Q(processing_days__isnull=True) | Q(processing_days__gte=0),
                name="offering_days_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.procedure_id} L{self.online_level}"

    @property
    def effective_processing_days(self):
        return self.processing_days if self.processing_days is not None else self.procedure.processing_days

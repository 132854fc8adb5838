from django.db import models
from django.db.models import Q


class ExceptionKind(models.TextChoices):
    DAY_OFF = "day_off", "Ngày nghỉ"
    WORKING_DAY = "working_day", "Ngày làm việc bù"


class CalendarException(models.Model):
    """A day the year's official decision sets differently from the `holidays` package.

    This table wins over the package (DESIGN.md section 3).
    """

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    reason = models.CharField(max_length=255)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("date",)
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["day_off", "working_day"]), name="calendar_exception_kind")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}: {self.reason}"

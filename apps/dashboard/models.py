"""Targets the leaders set per indicator (e.g. online share 50 %), drawn on the dashboard."""
from django.db import models
from django.db.models import Q


class Indicator(models.TextChoices):
    """The dashboard's tiles, named exactly like the statistics API's keys (DESIGN.md section 6)."""

    RECEIVED = "received", "Hồ sơ tiếp nhận"
    ONLINE_SHARE = "online_share", "Tỷ lệ hồ sơ trực tuyến"
    ONLINE_SHARE_OF_ONLINE_OFFERED = "online_share_of_online_offered", "Tỷ lệ trực tuyến (TTHC có DVC trực tuyến)"
    ON_TIME_RATE = "on_time_rate", "Tỷ lệ giải quyết đúng hạn"
    ON_TIME_RATE_766 = "on_time_rate_766", "Tỷ lệ đúng hạn (QĐ 766)"
    OVERDUE_END = "overdue_end", "Hồ sơ đang quá hạn"
    LEVEL_3_4_PROVISION_RATE = "level_3_4_provision_rate", "Tỷ lệ TTHC cung cấp mức độ 3, 4"
    PROCEDURES_WITH_ONLINE_DOSSIERS_RATE = (
        "procedures_with_online_dossiers_rate", "Tỷ lệ TTHC mức 3, 4 có hồ sơ trực tuyến")
    ONLINE_PAYMENT_RATE = "online_payment_rate", "Tỷ lệ thanh toán trực tuyến"
    SATISFACTION_RATE = "satisfaction_rate", "Tỷ lệ hài lòng"


#: Counts (not rates): their target is a number of dossiers, not a percentage.
COUNT_INDICATORS = frozenset({Indicator.RECEIVED, Indicator.OVERDUE_END})
#: Indicators where less is better (the target is a ceiling, not a floor).
LOWER_IS_BETTER = frozenset({Indicator.OVERDUE_END})


class IndicatorTarget(models.Model):
    """A target for one indicator, for every scope (no agency) or for an agency and its subtree.

    The most specific target wins: the scope's agency, else its nearest ancestor with one, else
    the general target. Rates are in percent (50 = 50 %), counts in dossiers.
    """

    indicator = models.CharField(max_length=40, choices=Indicator.choices)
    target_value = models.DecimalField(
        max_digits=12, decimal_places=2,
        help_text="Phần trăm với các tỷ lệ (50 = 50 %), số hồ sơ với các chỉ tiêu đếm.",
    )
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Để trống: áp dụng cho mọi phạm vi không có chỉ tiêu riêng.",
    )
    note = models.CharField(max_length=255, blank=True, help_text="Căn cứ (nghị quyết, kế hoạch...)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "chỉ tiêu"
        verbose_name_plural = "chỉ tiêu thống kê"
        ordering = ("indicator", "agency__path")
        constraints = [
            models.UniqueConstraint(fields=("indicator", "agency"), name="target_one_per_indicator_agency"),
            models.UniqueConstraint(fields=("indicator",), condition=Q(agency__isnull=True),
                                    name="target_one_general_per_indicator"),
            models.CheckConstraint(condition=Q(indicator__in=Indicator.values), name="target_indicator_valid"),
            models.CheckConstraint(
                condition=Q(target_value__gte=0)
                & (Q(indicator__in=sorted(COUNT_INDICATORS)) | Q(target_value__lte=100)),
                name="target_value_in_range",
            ),
        ]

    def __str__(self) -> str:
        where = self.agency.code if self.agency_id else "mọi phạm vi"
        return f"{self.get_indicator_display()}: {self.target_value} ({where})"

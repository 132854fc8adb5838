"""Statistics counters: small delta rows appended with each event, compacted into a rollup.

Appending (never updating) keeps hot counter rows off the intake path; a compaction moves deltas
into the rollup in one statement, so `rollup + remaining deltas` is always exact.
"""
from django.db import models

from onestop.indicators import NO_DUE_DAY


class CounterFields(models.Model):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField(help_text="Local (Asia/Ho_Chi_Minh) day of the event")
    channel = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField(help_text="Online level the dossier was offered at")
    metric = models.PositiveSmallIntegerField()
    due_day = models.DateField(default=NO_DUE_DAY)
    n = models.IntegerField()

    class Meta:
        abstract = True


class StatDelta(CounterFields):
    class Meta:
        indexes = [models.Index(fields=["day"], name="statdelta_day_idx")]


DIMENSIONS = ("agency", "procedure", "day", "channel", "level", "metric", "due_day")


class StatRollup(CounterFields):
    class Meta:
        constraints = [models.UniqueConstraint(fields=DIMENSIONS, name="statrollup_dimensions")]
        indexes = [models.Index(fields=["day", "agency"], name="statrollup_day_idx")]

"""Statistics counters: small delta rows appended with each event, compacted into a rollup.

Appending (never updating) keeps hot counter rows off the intake path; a compaction moves deltas
into the rollup and the coarse tables in one transaction, so `rollup + remaining deltas` and
`coarse tables + remaining deltas` are always exact.
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


# --- coarse tables -------------------------------------------------------------------------------
# Maintained by the same compaction that fills StatRollup (same transaction), and derivable from
# StatRollup alone (services.stats_rebuild_coarse). They answer the common questions (no procedure
# or level filter) without touching the fine rollup, whose size grows with the dossiers: these grow
# with agencies × days (or months) only. Each holds compacted counters only; readers add the
# uncompacted StatDelta tail.


ALL_AGENCIES = 0  # the agency_id of coarse rows that sum every agency (no agency has this id)


class AgencyFields(models.Model):
    # Besides one row per agency, every coarse table holds rows with agency_id = ALL_AGENCIES, the
    # sum over all agencies: the whole system's figures then read a row per day or month instead
    # of one per agency. Hence no foreign-key constraint (rows follow the rollup's, which has one).
    agency = models.ForeignKey("agencies.Agency", on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                               db_constraint=False)
    n = models.IntegerField()

    class Meta:
        abstract = True


class StatAgencyDay(AgencyFields):
    """Every metric but OPEN_DUE per agency and day. For RECEIVED only (the online shares),
    `online` = channel online/portal and `offered_online` = the dossier's level >= 3; other
    metrics have both false."""

    day = models.DateField()
    metric = models.PositiveSmallIntegerField()
    online = models.BooleanField()
    offered_online = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "day", "metric", "online", "offered_online"),
                                               name="statagencyday_key")]
        indexes = [models.Index(fields=["day", "agency"], name="statagencyday_day_idx")]


class StatAgencyMonth(AgencyFields):
    """StatAgencyDay summed per month (`month` = its first day)."""

    month = models.DateField()
    metric = models.PositiveSmallIntegerField()
    online = models.BooleanField()
    offered_online = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "month", "metric", "online", "offered_online"),
                                               name="statagencymonth_key")]
        indexes = [models.Index(fields=["month", "agency"], name="statagencymonth_month_idx")]


class StatAgencyDayDue(AgencyFields):
    """OPEN_DUE per agency, day and due day: overdue at a day inside a month (after its snapshot)."""

    day = models.DateField()
    due_day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "day", "due_day"), name="statagencydaydue_key")]
        indexes = [models.Index(fields=["day", "agency"], name="statagencydaydue_day_idx")]


BALANCE_PENDING = 1
BALANCE_OPEN_DUE = 2


class StatBalance(AgencyFields):
    """Balances at the start of a month: the sum of every compacted counter with day < month_start.

    kind 1 (pending): +received +transfer in −transfer out −closed, due_day = NO_DUE_DAY;
    kind 2 (open due): OPEN_DUE by due day. Kept for every month start up to the month after the
    latest compacted day (the horizon); rows whose sum is zero are deleted.
    """

    month_start = models.DateField()
    kind = models.PositiveSmallIntegerField()
    due_day = models.DateField(default=NO_DUE_DAY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "month_start", "kind", "due_day"),
                                               name="statbalance_key")]
        indexes = [models.Index(fields=["month_start", "agency"], name="statbalance_month_idx")]


class StatOnlineProcedureDay(AgencyFields):
    """Online (online/portal) RECEIVED per agency, procedure and day: procedures with online dossiers."""

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "procedure", "day"), name="statonlineprocday_key")]
        indexes = [models.Index(fields=["day", "agency", "procedure"], name="statonlineprocday_day_idx")]


class StatOnlineProcedureMonth(AgencyFields):
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "procedure", "month"),
                                               name="statonlineprocmonth_key")]
        indexes = [models.Index(fields=["month", "agency", "procedure"], name="statonlineprocmonth_month_idx")]

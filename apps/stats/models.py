"""Statistics counters: small delta rows appended with each event, compacted into a rollup.

Appending (never updating) keeps hot counter rows off the intake path; a compaction moves deltas
into the rollup and the coarse tables in one transaction, so `rollup + remaining deltas` and
`coarse tables + remaining deltas` are always exact.
"""
from django.db import models
from django.db.models.functions import Now

from onestop.indicators import NO_DUE_DAY


class CounterFields(models.Model):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField(help_text="Local (Asia/Ho_Chi_Minh) day of the event")
    channel = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField(help_text="Online level the dossier was offered at")
    service_class = models.CharField(max_length=8, help_text="Decree 42/2022 class the dossier was offered at")
    metric = models.PositiveSmallIntegerField()
    due_day = models.DateField(default=NO_DUE_DAY)
    n = models.IntegerField()

    class Meta:
        abstract = True


class StatDelta(CounterFields):
    # When the delta was written (a database default, so no insert names it): the age of the oldest
    # uncompacted delta is the compaction lag the metrics endpoint reports (apps.ops).
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["day"], name="statdelta_day_idx")]


DIMENSIONS = ("agency", "procedure", "day", "channel", "level", "service_class", "metric", "due_day")


class StatRollup(CounterFields):
    class Meta:
        constraints = [models.UniqueConstraint(fields=DIMENSIONS, name="statrollup_dimensions")]
        indexes = [
            models.Index(fields=["day", "agency"], name="statrollup_day_idx"),
            # A procedure filter reads the days at a period's edges here (no per-procedure day table).
            models.Index(fields=["procedure", "day", "agency"], name="statrollup_procedure_idx"),
        ]


# --- coarse tables -------------------------------------------------------------------------------
# Maintained by the same compaction that fills StatRollup (same transaction), and derivable from
# StatRollup alone (services.stats_rebuild_coarse). They answer without scanning the fine rollup,
# whose size grows with the dossiers: these grow with agencies × levels × classes × days (or months), the
# per-procedure ones with offerings × months. Each holds compacted counters only; readers add the
# uncompacted StatDelta tail. Only a breakdown by channel still reads the fine rollup.


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
    """Every metric but OPEN_DUE per agency, day, offering level and Decree 42/2022 class (the
    counters' `level` and `service_class`: the level and class filters, the online-offered share as
    level >= 3, the online shares by class). For RECEIVED only (the online
    shares), `online` = channel online/portal; other metrics have it false."""

    day = models.DateField()
    metric = models.PositiveSmallIntegerField()
    online = models.BooleanField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=("agency", "day", "metric", "online", "level", "service_class"), name="statagencyday_key")]
        indexes = [models.Index(fields=["day", "agency"], name="statagencyday_day_idx")]


class StatAgencyMonth(AgencyFields):
    """StatAgencyDay summed per month (`month` = its first day)."""

    month = models.DateField()
    metric = models.PositiveSmallIntegerField()
    online = models.BooleanField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=("agency", "month", "metric", "online", "level", "service_class"), name="statagencymonth_key")]
        indexes = [models.Index(fields=["month", "agency"], name="statagencymonth_month_idx")]


class StatAgencyDayDue(AgencyFields):
    """OPEN_DUE per agency, day, level and due day: overdue at a day inside a month (after its snapshot)."""

    day = models.DateField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)
    due_day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "day", "level", "service_class", "due_day"),
                                               name="statagencydaydue_key")]
        indexes = [models.Index(fields=["day", "agency"], name="statagencydaydue_day_idx")]


BALANCE_PENDING = 1
BALANCE_OPEN_DUE = 2


class BalanceFields(AgencyFields):
    """Balances at the start of a month: the sum of every compacted counter with day < month_start.

    kind 1 (pending): +received +transfer in −transfer out −closed, due_day = NO_DUE_DAY;
    kind 2 (open due): OPEN_DUE by due day, where every due day before the previous month's start
    is folded into NO_DUE_DAY (overdue at any T a snapshot serves alike: most rows gone, nothing
    lost; services._fold). Kept for every month start up to the month after the latest compacted
    day (the horizon); rows whose sum is zero are deleted.
    """

    month_start = models.DateField()
    kind = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)
    due_day = models.DateField(default=NO_DUE_DAY)

    class Meta:
        abstract = True


class StatBalance(BalanceFields):
    class Meta:
        constraints = [models.UniqueConstraint(
            fields=("agency", "month_start", "kind", "level", "service_class", "due_day"), name="statbalance_key")]
        indexes = [models.Index(fields=["month_start", "agency"], name="statbalance_month_idx")]


class StatOnlineProcedureDay(AgencyFields):
    """Online (online/portal) RECEIVED per agency, procedure, day and level: procedures with online dossiers."""

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "procedure", "day", "level", "service_class"),
                                               name="statonlineprocday_key")]
        indexes = [models.Index(fields=["day", "agency", "procedure"], name="statonlineprocday_day_idx")]


class StatOnlineProcedureMonth(AgencyFields):
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "procedure", "month", "level", "service_class"),
                                               name="statonlineprocmonth_key")]
        indexes = [models.Index(fields=["month", "agency", "procedure"], name="statonlineprocmonth_month_idx")]


# --- per procedure -------------------------------------------------------------------------------
# A procedure filter (or a breakdown by procedure) reads these: whole months and month-start
# balances per agency × procedure, so a period of whole months, or of whole months up to today,
# costs a few rows per agency whatever the history. The days at a past period's edges come from
# the fine rollup itself through its (procedure, day) index: a per-procedure day table would be
# nearly as large as the rollup (it only drops the channel: 13.7 M rows for 18.5 M at 12 M
# dossiers), doubling what each compaction writes, to save reading at most two months of one
# procedure's rows.


class StatProcedureMonth(AgencyFields):
    """Every metric but OPEN_DUE per agency, procedure, month and level (`online` as StatAgencyDay)."""

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField()
    metric = models.PositiveSmallIntegerField()
    online = models.BooleanField()
    level = models.PositiveSmallIntegerField()
    service_class = models.CharField(max_length=8)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "procedure", "month", "metric", "online", "level",
                                                       "service_class"),
                                               name="statproceduremonth_key")]
        # A breakdown by procedure reads one agency (or ALL_AGENCIES) and a range of months.
        indexes = [models.Index(fields=["agency", "month"], name="statproceduremonth_month_idx")]


class StatProcedureBalance(BalanceFields):
    """StatBalance per agency and procedure."""

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("agency", "procedure", "month_start", "kind", "level",
                                                       "service_class", "due_day"), name="statprocedurebalance_key")]
        indexes = [models.Index(fields=["month_start", "agency"], name="statprocedurebalance_month_idx")]


# --- transfers between agencies ------------------------------------------------------------------


class StatTransfer(models.Model):
    """One row per transfer (appended in the event's transaction, like the deltas): who handed a
    dossier to whom, when, of what procedure, channel and level. TRANSFER_IN / TRANSFER_OUT
    counters say how many dossiers an agency received from / handed to others; this table says
    which of them stayed inside a scope of several agencies (a subtree, a tier, the whole system):
    those are internal to the scope and cancel in its figures (DESIGN.md section 6, balance).
    Derived from the dossiers' transfer events alone (services.recompute_transfers)."""

    from_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    to_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField(help_text="Local (Asia/Ho_Chi_Minh) day of the transfer")
    channel = models.CharField(max_length=8)
    level = models.PositiveSmallIntegerField(help_text="Online level the dossier was offered at")
    service_class = models.CharField(max_length=8, help_text="Decree 42/2022 class the dossier was offered at")
    n = models.IntegerField(default=1)

    class Meta:
        # A scope's internal transfers: its sending agencies' rows of the period; a scope of every
        # agency of a tier (no agency list): the period's rows.
        indexes = [models.Index(fields=["from_agency", "day"], name="stattransfer_from_day_idx"),
                   models.Index(fields=["day"], name="stattransfer_day_idx")]

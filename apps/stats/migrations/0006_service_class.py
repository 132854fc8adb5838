"""The Decree 42/2022 service class as a counter dimension beside the level (issue 21).

Every counter table and StatTransfer gain `service_class`: the class the dossier was offered at
(dossiers 0007 records it, and fills it for existing dossiers from the offering they were received
under). The existing counters are split exactly, without replaying every dossier:

1. a counter row of agency A and procedure P takes the class existing dossiers of A's offering of
   P were given (dossiers 0007's rule): every counter of a dossier that never left its receiving
   agency is then right, since its events all happened at that agency;
2. a transferred dossier also counted at other agencies, whose offering may have another class:
   its events are replayed (the counters' own rules, services.recompute_counters) and each
   counter booked under the other class is moved to its own with a pair of delta rows (−n, +n),
   which the next compaction folds in;
3. StatTransfer is refilled from the transfer events, and the coarse tables, derived data, are
   emptied before their keys change and derived again from the rollup at the end (as 0003 does).

Steps 2 and 3 run the release's own code (as 0003 does): a later migration that changes these
tables again must make them no-ops. On a large history the rollup update and the rebuilt indexes
take minutes (12 M dossiers: ~18 M rollup rows).
"""

from django.db import migrations, models

COARSE_TABLES = (
    "stats_statagencyday",
    "stats_statagencymonth",
    "stats_statagencydaydue",
    "stats_statbalance",
    "stats_statonlineprocedureday",
    "stats_statonlineproceduremonth",
    "stats_statproceduremonth",
    "stats_statprocedurebalance",
)

# Step 1: the class of A's offering of P, else (no such offering) P's catalogue class; rows of
# class `none` stay as they are.
BY_OFFERING = """
    UPDATE {table} SET service_class = o.service_class FROM catalog_offering o
    WHERE o.agency_id = {table}.agency_id AND o.procedure_id = {table}.procedure_id AND o.service_class <> 'none'
"""
BY_PROCEDURE = """
    UPDATE {table} SET service_class = p.service_class FROM catalog_procedure p
    WHERE p.id = {table}.procedure_id AND p.service_class <> 'none'
      AND NOT EXISTS (SELECT 1 FROM catalog_offering o
                      WHERE o.agency_id = {table}.agency_id AND o.procedure_id = {table}.procedure_id)
"""

CHUNK = 2000  # transferred dossiers replayed at a time


def _assumed_classes(apps) -> tuple[dict[tuple[int, int], str], dict[int, str]]:
    Offering, Procedure = apps.get_model("catalog", "Offering"), apps.get_model("catalog", "Procedure")
    offerings = {(a, p): c for a, p, c in Offering.objects.values_list("agency_id", "procedure_id", "service_class")}
    return offerings, dict(Procedure.objects.values_list("pk", "service_class"))


def move_transferred_counters(apps) -> int:
    """Step 2; returns how many counters moved."""
    from apps.stats.services import recompute_counters

    DossierEvent = apps.get_model("dossiers", "DossierEvent")
    StatDelta = apps.get_model("stats", "StatDelta")
    transferred = sorted(set(DossierEvent.objects.filter(action="transfer").values_list("dossier_id", flat=True)))
    offering_class, procedure_class = _assumed_classes(apps)
    moved = 0
    for first in range(0, len(transferred), CHUNK):
        rows = []
        for key, n in recompute_counters(transferred[first:first + CHUNK]).items():
            agency_id, procedure_id, day, channel, level, service_class, metric, due_day = key
            booked = offering_class.get((agency_id, procedure_id), procedure_class[procedure_id])
            if booked == service_class:
                continue
            for row_class, row_n in ((booked, -n), (service_class, n)):
                rows.append(StatDelta(agency_id=agency_id, procedure_id=procedure_id, day=day, channel=channel,
                                      level=level, service_class=row_class, metric=metric, due_day=due_day, n=row_n))
            moved += 1
        StatDelta.objects.bulk_create(rows, batch_size=5000)
    return moved


def split_counters_by_class(apps, schema_editor) -> int:
    """Steps 1 to 3; returns how many counters step 2 moved."""
    StatRollup, StatDelta = apps.get_model("stats", "StatRollup"), apps.get_model("stats", "StatDelta")
    StatTransfer = apps.get_model("stats", "StatTransfer")
    if not (StatRollup.objects.exists() or StatDelta.objects.exists() or StatTransfer.objects.exists()):
        return 0
    with schema_editor.connection.cursor() as cursor:
        for table in (StatRollup._meta.db_table, StatDelta._meta.db_table):
            cursor.execute(BY_OFFERING.format(table=table))
            cursor.execute(BY_PROCEDURE.format(table=table))
    moved = move_transferred_counters(apps)
    from apps.stats.services import stats_rebuild_coarse, stats_refill_transfers

    stats_refill_transfers()
    if StatRollup.objects.exists():
        stats_rebuild_coarse()
    return moved


def _class_field(**kwargs):
    return models.CharField(default="none", max_length=8, **kwargs)


COUNTER_HELP = "Decree 42/2022 class the dossier was offered at"


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0002_vietnamese_name_order"),
        ("catalog", "0003_vietnamese_name_order"),
        ("dossiers", "0007_service_class"),
        ("ratings", "0001_initial"),
        ("stats", "0005_stat_transfer"),
    ]

    operations = [
        migrations.RunSQL([f"DELETE FROM {t}" for t in COARSE_TABLES], migrations.RunSQL.noop),
        *[
            migrations.RemoveConstraint(model_name=model, name=name)
            for model, name in (
                ("statrollup", "statrollup_dimensions"),
                ("statagencyday", "statagencyday_key"),
                ("statagencymonth", "statagencymonth_key"),
                ("statagencydaydue", "statagencydaydue_key"),
                ("statbalance", "statbalance_key"),
                ("statonlineprocedureday", "statonlineprocday_key"),
                ("statonlineproceduremonth", "statonlineprocmonth_key"),
                ("statproceduremonth", "statproceduremonth_key"),
                ("statprocedurebalance", "statprocedurebalance_key"),
            )
        ],
        *[
            migrations.AddField(
                model_name=model, name="service_class", field=_class_field(help_text=COUNTER_HELP),
                preserve_default=False,
            )
            for model in ("statdelta", "statrollup", "stattransfer")
        ],
        *[
            migrations.AddField(model_name=model, name="service_class", field=_class_field(), preserve_default=False)
            for model in (
                "statagencyday",
                "statagencymonth",
                "statagencydaydue",
                "statbalance",
                "statonlineprocedureday",
                "statonlineproceduremonth",
                "statproceduremonth",
                "statprocedurebalance",
            )
        ],
        migrations.AddConstraint(
            model_name="statrollup",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "day", "channel", "level", "service_class", "metric", "due_day"),
                name="statrollup_dimensions",
            ),
        ),
        migrations.AddConstraint(
            model_name="statagencyday",
            constraint=models.UniqueConstraint(
                fields=("agency", "day", "metric", "online", "level", "service_class"), name="statagencyday_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statagencymonth",
            constraint=models.UniqueConstraint(
                fields=("agency", "month", "metric", "online", "level", "service_class"), name="statagencymonth_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statagencydaydue",
            constraint=models.UniqueConstraint(
                fields=("agency", "day", "level", "service_class", "due_day"), name="statagencydaydue_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statbalance",
            constraint=models.UniqueConstraint(
                fields=("agency", "month_start", "kind", "level", "service_class", "due_day"), name="statbalance_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statonlineprocedureday",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "day", "level", "service_class"), name="statonlineprocday_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statonlineproceduremonth",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "month", "level", "service_class"), name="statonlineprocmonth_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statproceduremonth",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "month", "metric", "online", "level", "service_class"),
                name="statproceduremonth_key",
            ),
        ),
        migrations.AddConstraint(
            model_name="statprocedurebalance",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "month_start", "kind", "level", "service_class", "due_day"),
                name="statprocedurebalance_key",
            ),
        ),
        migrations.RunPython(split_counters_by_class, migrations.RunPython.noop),
    ]

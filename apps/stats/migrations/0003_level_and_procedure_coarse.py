"""Coarse statistics tables by offering level, and per procedure (issue 5: fast filtered statistics).

The coarse tables hold derived data only (a function of StatRollup): they are emptied before their
keys change and derived again from the rollup at the end, so no row is ever half-converted. On a
large rollup the last step and the new rollup index take minutes (12 M dossiers: see the report).
"""

import datetime

import django.db.models.deletion
from django.db import migrations, models

COARSE_TABLES = (
    "stats_statagencyday",
    "stats_statagencymonth",
    "stats_statagencydaydue",
    "stats_statbalance",
    "stats_statonlineprocedureday",
    "stats_statonlineproceduremonth",
)


def derive_from_rollup(apps, schema_editor):
    """Filled the coarse tables from the rollup with the release's own derivation. A no-op since
    0006 (the service class) changed these tables again: 0006 derives them, with today's code."""


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0001_initial"),
        ("catalog", "0001_initial"),
        ("stats", "0002_coarse_tables"),
    ]

    operations = [
        migrations.RunSQL([f"DELETE FROM {t}" for t in COARSE_TABLES], migrations.RunSQL.noop),
        migrations.CreateModel(
            name="StatProcedureBalance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("n", models.IntegerField()),
                ("month_start", models.DateField()),
                ("kind", models.PositiveSmallIntegerField()),
                ("level", models.PositiveSmallIntegerField()),
                ("due_day", models.DateField(default=datetime.date(1900, 1, 1))),
            ],
        ),
        migrations.CreateModel(
            name="StatProcedureMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("n", models.IntegerField()),
                ("month", models.DateField()),
                ("metric", models.PositiveSmallIntegerField()),
                ("online", models.BooleanField()),
                ("level", models.PositiveSmallIntegerField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="statagencyday",
            name="statagencyday_key",
        ),
        migrations.RemoveConstraint(
            model_name="statagencydaydue",
            name="statagencydaydue_key",
        ),
        migrations.RemoveConstraint(
            model_name="statagencymonth",
            name="statagencymonth_key",
        ),
        migrations.RemoveConstraint(
            model_name="statbalance",
            name="statbalance_key",
        ),
        migrations.RemoveConstraint(
            model_name="statonlineprocedureday",
            name="statonlineprocday_key",
        ),
        migrations.RemoveConstraint(
            model_name="statonlineproceduremonth",
            name="statonlineprocmonth_key",
        ),
        migrations.RemoveField(
            model_name="statagencyday",
            name="offered_online",
        ),
        migrations.RemoveField(
            model_name="statagencymonth",
            name="offered_online",
        ),
        migrations.AddField(
            model_name="statagencyday",
            name="level",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statagencydaydue",
            name="level",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statagencymonth",
            name="level",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statbalance",
            name="level",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statonlineprocedureday",
            name="level",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statonlineproceduremonth",
            name="level",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="statrollup",
            index=models.Index(fields=["procedure", "day", "agency"], name="statrollup_procedure_idx"),
        ),
        migrations.AddConstraint(
            model_name="statagencyday",
            constraint=models.UniqueConstraint(
                fields=("agency", "day", "metric", "online", "level"), name="statagencyday_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statagencydaydue",
            constraint=models.UniqueConstraint(
                fields=("agency", "day", "level", "due_day"), name="statagencydaydue_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statagencymonth",
            constraint=models.UniqueConstraint(
                fields=("agency", "month", "metric", "online", "level"), name="statagencymonth_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statbalance",
            constraint=models.UniqueConstraint(
                fields=("agency", "month_start", "kind", "level", "due_day"), name="statbalance_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statonlineprocedureday",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "day", "level"), name="statonlineprocday_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="statonlineproceduremonth",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "month", "level"), name="statonlineprocmonth_key"
            ),
        ),
        migrations.AddField(
            model_name="statprocedurebalance",
            name="agency",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agencies.agency",
            ),
        ),
        migrations.AddField(
            model_name="statprocedurebalance",
            name="procedure",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.procedure"
            ),
        ),
        migrations.AddField(
            model_name="statproceduremonth",
            name="agency",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agencies.agency",
            ),
        ),
        migrations.AddField(
            model_name="statproceduremonth",
            name="procedure",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.procedure"
            ),
        ),
        migrations.AddIndex(
            model_name="statprocedurebalance",
            index=models.Index(fields=["month_start", "agency"], name="statprocedurebalance_month_idx"),
        ),
        migrations.AddConstraint(
            model_name="statprocedurebalance",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "month_start", "kind", "level", "due_day"),
                name="statprocedurebalance_key",
            ),
        ),
        migrations.AddIndex(
            model_name="statproceduremonth",
            index=models.Index(fields=["agency", "month"], name="statproceduremonth_month_idx"),
        ),
        migrations.AddConstraint(
            model_name="statproceduremonth",
            constraint=models.UniqueConstraint(
                fields=("agency", "procedure", "month", "metric", "online", "level"), name="statproceduremonth_key"
            ),
        ),
        migrations.RunPython(derive_from_rollup, migrations.RunPython.noop),
    ]

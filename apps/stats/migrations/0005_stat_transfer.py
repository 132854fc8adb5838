"""Transfers between agencies (issue 13): which transfers stay inside a scope of several agencies.

StatTransfer is derived data (one row per transfer event): the migration fills it from the
dossiers' transfer events, so figures of past periods lose nothing (`rebuild_stats` checks it).
"""

import django.db.models.deletion
from django.db import migrations, models


def refill_from_events(apps, schema_editor):
    from zoneinfo import ZoneInfo

    from django.conf import settings

    Agency = apps.get_model("agencies", "Agency")
    DossierEvent = apps.get_model("dossiers", "DossierEvent")
    StatTransfer = apps.get_model("stats", "StatTransfer")
    zone = ZoneInfo(settings.TIME_ZONE)
    by_code = dict(Agency.objects.values_list("code", "pk"))
    StatTransfer.objects.all().delete()
    rows = []
    events = (
        DossierEvent.objects.filter(action="transfer")
        .values_list("agency_id", "at", "payload", "dossier__procedure_id", "dossier__channel", "dossier__online_level")
        .iterator(chunk_size=5000)
    )
    for agency_id, at, payload, procedure_id, channel, level in events:
        from_id = by_code.get((payload or {}).get("from_agency"))
        if from_id is None:
            continue
        rows.append(
            StatTransfer(
                from_agency_id=from_id,
                to_agency_id=agency_id,
                procedure_id=procedure_id,
                day=at.astimezone(zone).date(),
                channel=channel,
                level=level,
                n=1,
            )
        )
        if len(rows) >= 5000:
            StatTransfer.objects.bulk_create(rows)
            rows = []
    StatTransfer.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0001_initial"),
        ("catalog", "0001_initial"),
        ("dossiers", "0004_overdue_index"),
        ("stats", "0004_statdelta_created_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatTransfer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(help_text="Local (Asia/Ho_Chi_Minh) day of the transfer")),
                ("channel", models.CharField(max_length=8)),
                ("level", models.PositiveSmallIntegerField(help_text="Online level the dossier was offered at")),
                ("n", models.IntegerField(default=1)),
                (
                    "from_agency",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.agency",
                    ),
                ),
                (
                    "procedure",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.procedure",
                    ),
                ),
                (
                    "to_agency",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.agency",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["from_agency", "day"], name="stattransfer_from_day_idx"),
                    models.Index(fields=["day"], name="stattransfer_day_idx"),
                ],
            },
        ),
        migrations.RunPython(refill_from_events, migrations.RunPython.noop),
    ]

"""Each dossier records its offering's Decree 42/2022 class at intake, like its online level (issue 21).

Existing dossiers take the class of the offering they were received under (receiving agency and
procedure) as it stands now, or the procedure's class where that offering no longer exists: the
catalogue kept no history of classes before this release. Only dossiers of a class other than
`none` are written (the column starts as `none`).
"""

from django.db import migrations, models

# The receiving agency's offering of the procedure, else the procedure's catalogue class.
CLASS_OF_DOSSIER = """COALESCE(
    (SELECT o.service_class FROM catalog_offering o
     WHERE o.agency_id = dossiers_dossier.receiving_agency_id AND o.procedure_id = dossiers_dossier.procedure_id),
    (SELECT p.service_class FROM catalog_procedure p WHERE p.id = dossiers_dossier.procedure_id))"""

FILL = f"UPDATE dossiers_dossier SET service_class = {CLASS_OF_DOSSIER} WHERE {CLASS_OF_DOSSIER} <> 'none'"


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_vietnamese_name_order"),
        ("dossiers", "0006_applicant_name_folded"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="service_class",
            field=models.CharField(
                choices=[("full", "Toàn trình"), ("partial", "Một phần"), ("none", "Không (thông tin, biểu mẫu)")],
                default="none",
                max_length=8,
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="dossier",
            constraint=models.CheckConstraint(
                condition=models.Q(("service_class__in", ["full", "partial", "none"])), name="dossier_class_valid"
            ),
        ),
    ]

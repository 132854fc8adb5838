"""Names in Vietnamese dictionary order on PostgreSQL (ICU "vi-VN-x-icu"); SQLite keeps its default.

The collation comes from settings.NAME_COLLATION, so the same migration suits both databases."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agency",
            name="name",
            field=models.CharField(db_collation=settings.NAME_COLLATION, max_length=255),
        ),
    ]

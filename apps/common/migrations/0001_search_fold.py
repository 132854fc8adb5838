"""`onestop_fold(text)`: search without diacritics or case (apps/common/search.py).

PostgreSQL: `unaccent` behind an IMMUTABLE wrapper (the dictionary named explicitly, so indexes and
generated columns may use it), lower case, single spaces — the same as `onestop.text.fold` for
Vietnamese. `unaccent` and `pg_trgm` are trusted extensions: the database owner may create them.
SQLite registers the Python rule on each connection instead (apps/common/search.py).
"""

from django.db import migrations

CREATE = r"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION onestop_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, value)),
                                      '\s+', ' ', 'g')) $$;
"""
DROP = "DROP FUNCTION IF EXISTS onestop_fold(text);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [migrations.RunPython(forwards, backwards)]

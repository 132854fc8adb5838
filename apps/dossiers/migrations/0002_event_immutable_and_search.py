"""PostgreSQL-only guarantees: history rows cannot be updated or deleted; name search uses trigrams.

(TRUNCATE stays possible for test-database flushes; only a superuser-level operator can run it.)

SQLite (the embedded `make run` mode) skips these; the rules still hold in the services.
"""

from django.db import migrations

IMMUTABLE_EVENTS = """
CREATE OR REPLACE FUNCTION dossiers_event_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dossier history is append-only: no UPDATE or DELETE on dossiers_dossierevent'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dossiers_event_no_update BEFORE UPDATE OR DELETE ON dossiers_dossierevent
    FOR EACH ROW EXECUTE FUNCTION dossiers_event_immutable();
"""
DROP_IMMUTABLE_EVENTS = """
DROP TRIGGER IF EXISTS dossiers_event_no_update ON dossiers_dossierevent;
DROP FUNCTION IF EXISTS dossiers_event_immutable();
"""
TRIGRAM = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS dossier_applicant_name_trgm
    ON dossiers_dossier USING gin (upper(applicant_name) gin_trgm_ops);
"""
DROP_TRIGRAM = "DROP INDEX IF EXISTS dossier_applicant_name_trgm;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(IMMUTABLE_EVENTS)
        schema_editor.execute(TRIGRAM)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_IMMUTABLE_EVENTS)
        schema_editor.execute(DROP_TRIGRAM)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

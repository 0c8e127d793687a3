"""The database itself refuses to change or delete a published report version: only its PDF
(once, when drawn) and the time it was e-mailed may be filled in."""

from django.db import migrations

FROZEN = ("report_id", "number", "title", "funder_name", "period_start", "period_end", "data",
          "html", "published_at")  # fmt: skip
MESSAGE = "A published report cannot change; publish a new version instead."


def _create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
        pdf = "(OLD.pdf_sha256 != '' AND NEW.pdf_sha256 IS NOT OLD.pdf_sha256)"
        schema_editor.execute(
            f"""CREATE TRIGGER impact_version_frozen BEFORE UPDATE ON impact_reportversion
            WHEN {changed} OR {pdf} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
        )
        schema_editor.execute(
            f"""CREATE TRIGGER impact_version_kept BEFORE DELETE ON impact_reportversion
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
        )
    elif vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in FROZEN)
        pdf = "(OLD.pdf_sha256 <> '' AND NEW.pdf_sha256 IS DISTINCT FROM OLD.pdf_sha256)"
        schema_editor.execute(
            f"""CREATE FUNCTION impact_version_frozen() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' OR {changed} OR {pdf} THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql"""
        )
        schema_editor.execute(
            """CREATE TRIGGER impact_version_frozen BEFORE UPDATE OR DELETE
            ON impact_reportversion FOR EACH ROW EXECUTE FUNCTION impact_version_frozen()"""
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS impact_version_frozen")
        schema_editor.execute("DROP TRIGGER IF EXISTS impact_version_kept")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS impact_version_frozen ON impact_reportversion")
        schema_editor.execute("DROP FUNCTION IF EXISTS impact_version_frozen()")


class Migration(migrations.Migration):
    dependencies = [("impact", "0001_initial")]
    operations = [migrations.RunPython(_create, _drop)]

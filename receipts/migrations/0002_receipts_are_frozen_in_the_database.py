"""The database itself refuses to change an issued receipt or its lines, or to delete them,
whatever code path tries (a queryset update, raw SQL, the shell). Only the delivery state,
the PDF once, the void once and a line's `in_force` going false may move."""

from django.db import migrations

FROZEN = [
    "series_id", "number", "kind", "donor_id", "donor_name", "donor_address", "donor_email",
    "language", "currency", "total_amount", "advantage_amount", "eligible_amount",
    "tax_year", "issued_at", "issued_by_id", "replaces_id", "verification_code",
]  # fmt: skip
LINE_FROZEN = ["receipt_id", "gift_id", "amount", "advantage"]

CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
LINE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in LINE_FROZEN)
UNVOIDED = (
    "(OLD.status = 'void' AND (NEW.status <> 'void' OR NEW.void_reason IS NOT OLD.void_reason"
    " OR NEW.voided_at IS NOT OLD.voided_at))"
)
PDF_REWRITTEN = "(OLD.pdf_sha256 <> '' AND NEW.pdf_sha256 IS NOT OLD.pdf_sha256)"
MESSAGE = "receipt is issued: it cannot change; void it and issue a replacement"

SQLITE = [
    f"""CREATE TRIGGER receipt_frozen BEFORE UPDATE ON receipts_receipt
        WHEN {CHANGED} OR {UNVOIDED} OR {PDF_REWRITTEN}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    """CREATE TRIGGER receipt_never_deleted BEFORE DELETE ON receipts_receipt
        BEGIN SELECT RAISE(ABORT, 'receipts are never deleted; void it instead'); END""",
    f"""CREATE TRIGGER receipt_line_frozen BEFORE UPDATE ON receipts_receiptline
        WHEN {LINE_CHANGED} OR (NEW.in_force AND NOT OLD.in_force)
        BEGIN SELECT RAISE(ABORT, 'a receipt line cannot change'); END""",
    """CREATE TRIGGER receipt_line_never_deleted BEFORE DELETE ON receipts_receiptline
        BEGIN SELECT RAISE(ABORT, 'receipt lines are never deleted'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER receipt_frozen", "DROP TRIGGER receipt_never_deleted",
    "DROP TRIGGER receipt_line_frozen", "DROP TRIGGER receipt_line_never_deleted",
]  # fmt: skip

PG_CHANGED = CHANGED.replace(" IS NOT ", " IS DISTINCT FROM ")
PG_LINE_CHANGED = LINE_CHANGED.replace(" IS NOT ", " IS DISTINCT FROM ")
PG_UNVOIDED = UNVOIDED.replace(" IS NOT ", " IS DISTINCT FROM ")
PG_PDF = PDF_REWRITTEN.replace(" IS NOT ", " IS DISTINCT FROM ")
POSTGRES = [
    f"""CREATE FUNCTION receipt_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'receipts are never deleted; void it instead';
          END IF;
          IF {PG_CHANGED} OR {PG_UNVOIDED} OR {PG_PDF} THEN
            RAISE EXCEPTION '{MESSAGE}';
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER receipt_frozen BEFORE UPDATE OR DELETE ON receipts_receipt
        FOR EACH ROW EXECUTE FUNCTION receipt_frozen()""",
    f"""CREATE FUNCTION receipt_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'receipt lines are never deleted';
          END IF;
          IF {PG_LINE_CHANGED} OR (NEW.in_force AND NOT OLD.in_force) THEN
            RAISE EXCEPTION 'a receipt line cannot change';
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER receipt_line_frozen BEFORE UPDATE OR DELETE ON receipts_receiptline
        FOR EACH ROW EXECUTE FUNCTION receipt_line_frozen()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER receipt_frozen ON receipts_receipt", "DROP FUNCTION receipt_frozen()",
    "DROP TRIGGER receipt_line_frozen ON receipts_receiptline",
    "DROP FUNCTION receipt_line_frozen()",
]  # fmt: skip


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("receipts", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]

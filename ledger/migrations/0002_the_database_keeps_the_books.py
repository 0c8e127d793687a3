"""What the database itself refuses, whatever path writes (a service, a queryset update, the
admin, raw SQL, the shell):

- an entry whose lines are fewer than two, or do not sum to zero in each currency;
- a line added to an entry already posted; any change or delete of an entry or a line;
- an entry, a gift's money, a fund split, a sponsor payment, a disbursement, or a bank
  line's match, in a closed month.

An entry's lines are written first and the entry last (their foreign key is checked at
commit), so that inserting the entry is the moment to check its lines: that works the
same on SQLite, which has no deferred triggers. On PostgreSQL a deferred constraint
trigger also checks each line's entry at commit, as django-hordak does.

`manage.py flush` (the tests' way of emptying a database) steps around these on SQLite:
see backoffice/management/commands/flush.py.
"""

from django.db import migrations

UNBALANCED = "ledger: an entry needs two or more lines that sum to zero in each currency"
LINE_ADDED = "ledger: a posted entry cannot take more lines; post a new entry"
FROZEN = "ledger: posted entries and lines never change; post a reversing entry"
CLOSED = "closed period: {what} in a closed month cannot be written; finance can reopen it"

GIFT_MONEY = ("amount", "currency", "received_on", "method", "status", "fair_market_value")


def sqlite_closed(day: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM reconciliation_period p "
        f"WHERE p.closed AND p.month = date({day}, 'start of month'))"
    )


def pg_closed(day: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM reconciliation_period p "
        f"WHERE p.closed AND p.month = date_trunc('month', {day})::date)"
    )


def _changed(columns, distinct: str) -> str:
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


# Guarded tables: (table, date column as NEW.x/OLD.x, what it is, columns whose change is a
# write of money; None: every change).
GUARDED = [
    ("donors_gift", "received_on", "a gift", GIFT_MONEY),
    # Applying a payment's credit later is not a change of the payment's money.
    ("sponsorships_sponsorpayment", "received_on", "a sponsor payment",
     ("sponsor_id", "amount", "currency", "received_on", "method")),
    ("sponsorships_disbursement", "paid_on", "a disbursement", None),
    ("reconciliation_bankline", "booked_on", "a bank line or its match", None),
]
ALLOCATION_DAY = "(SELECT g.received_on FROM donors_gift g WHERE g.id = {row}.gift_id)"

SQLITE = [
    f"""CREATE TRIGGER ledger_line_only_into_new_entries BEFORE INSERT ON ledger_line
        WHEN EXISTS (SELECT 1 FROM ledger_entry WHERE id = NEW.entry_id)
        BEGIN SELECT RAISE(ABORT, '{LINE_ADDED}'); END""",
    f"""CREATE TRIGGER ledger_line_frozen BEFORE UPDATE ON ledger_line
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER ledger_line_kept BEFORE DELETE ON ledger_line
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER ledger_entry_balanced BEFORE INSERT ON ledger_entry
        WHEN (SELECT COUNT(*) FROM ledger_line WHERE entry_id = NEW.id) < 2
          OR EXISTS (SELECT 1 FROM ledger_line WHERE entry_id = NEW.id
                     GROUP BY currency HAVING SUM(amount) <> 0)
        BEGIN SELECT RAISE(ABORT, '{UNBALANCED}'); END""",
    f"""CREATE TRIGGER ledger_entry_open_month BEFORE INSERT ON ledger_entry
        WHEN {sqlite_closed("NEW.posted_on")}
        BEGIN SELECT RAISE(ABORT, '{CLOSED.format(what="an entry")}'); END""",
    f"""CREATE TRIGGER ledger_entry_frozen BEFORE UPDATE ON ledger_entry
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
    f"""CREATE TRIGGER ledger_entry_kept BEFORE DELETE ON ledger_entry
        BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END""",
]
for table, day, what, money in GUARDED:
    message = CLOSED.format(what=what)
    changed = _changed(money, "IS NOT") if money else "1"
    SQLITE += [
        f"""CREATE TRIGGER {table}_closed_insert BEFORE INSERT ON {table}
            WHEN {sqlite_closed("NEW." + day)}
            BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        f"""CREATE TRIGGER {table}_closed_update BEFORE UPDATE ON {table}
            WHEN ({changed}) AND ({sqlite_closed("OLD." + day)} OR {sqlite_closed("NEW." + day)})
            BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        f"""CREATE TRIGGER {table}_closed_delete BEFORE DELETE ON {table}
            WHEN {sqlite_closed("OLD." + day)}
            BEGIN SELECT RAISE(ABORT, '{message}'); END""",
    ]
_split_message = CLOSED.format(what="a fund split")
SQLITE += [
    f"""CREATE TRIGGER donors_giftallocation_closed_{op.lower()} BEFORE {op}
        ON donors_giftallocation
        WHEN {sqlite_closed(ALLOCATION_DAY.format(row=row))}
        BEGIN SELECT RAISE(ABORT, '{_split_message}'); END"""
    for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
]

POSTGRES = [
    f"""CREATE FUNCTION ledger_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN RAISE EXCEPTION '{FROZEN}'; END IF;
          IF {pg_closed("NEW.posted_on")} THEN
            RAISE EXCEPTION '{CLOSED.format(what="an entry")}';
          END IF;
          IF (SELECT COUNT(*) FROM ledger_line WHERE entry_id = NEW.id) < 2
             OR EXISTS (SELECT 1 FROM ledger_line WHERE entry_id = NEW.id
                        GROUP BY currency HAVING SUM(amount) <> 0) THEN
            RAISE EXCEPTION '{UNBALANCED}';
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER ledger_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_guard()""",
    f"""CREATE FUNCTION ledger_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'INSERT' THEN RAISE EXCEPTION '{FROZEN}'; END IF;
          IF EXISTS (SELECT 1 FROM ledger_entry WHERE id = NEW.entry_id) THEN
            RAISE EXCEPTION '{LINE_ADDED}';
          END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER ledger_line_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_line
        FOR EACH ROW EXECUTE FUNCTION ledger_line_guard()""",
    # At commit: the line's entry exists and balances (hordak's check_leg, in spirit).
    f"""CREATE FUNCTION ledger_line_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM ledger_line WHERE entry_id = NEW.entry_id
                     GROUP BY currency HAVING SUM(amount) <> 0) THEN
            RAISE EXCEPTION '{UNBALANCED}';
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_line
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_line_balanced()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER ledger_entry_guard ON ledger_entry", "DROP FUNCTION ledger_entry_guard()",
    "DROP TRIGGER ledger_line_guard ON ledger_line", "DROP FUNCTION ledger_line_guard()",
    "DROP TRIGGER ledger_line_balanced ON ledger_line", "DROP FUNCTION ledger_line_balanced()",
]  # fmt: skip
for table, day, what, money in GUARDED:
    message = CLOSED.format(what=what)
    changed = _changed(money, "IS DISTINCT FROM") if money else "TRUE"
    POSTGRES += [
        f"""CREATE FUNCTION {table}_closed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'INSERT' AND {pg_closed("NEW." + day)}
                 OR TG_OP = 'UPDATE' AND ({changed})
                    AND ({pg_closed("OLD." + day)} OR {pg_closed("NEW." + day)})
                 OR TG_OP = 'DELETE' AND {pg_closed("OLD." + day)} THEN
                RAISE EXCEPTION '{message}';
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$""",
        f"""CREATE TRIGGER {table}_closed BEFORE INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_closed()""",
    ]
    POSTGRES_DROP += [f"DROP TRIGGER {table}_closed ON {table}", f"DROP FUNCTION {table}_closed()"]
POSTGRES += [
    f"""CREATE FUNCTION donors_giftallocation_closed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP <> 'DELETE' AND {pg_closed(ALLOCATION_DAY.format(row="NEW"))}
             OR TG_OP <> 'INSERT' AND {pg_closed(ALLOCATION_DAY.format(row="OLD"))} THEN
            RAISE EXCEPTION '{_split_message}';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END $$""",
    """CREATE TRIGGER donors_giftallocation_closed
        BEFORE INSERT OR UPDATE OR DELETE ON donors_giftallocation
        FOR EACH ROW EXECUTE FUNCTION donors_giftallocation_closed()""",
]
POSTGRES_DROP += [
    "DROP TRIGGER donors_giftallocation_closed ON donors_giftallocation",
    "DROP FUNCTION donors_giftallocation_closed()",
]


def _sqlite_names() -> list[str]:
    return [sql.split()[2] for sql in SQLITE]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements() if callable(statements) else statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_books"),
        ("reconciliation", "0008_bank_files_keep_what_banks_say"),
        ("sponsorships", "0005_payment_reference_message"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({
                "sqlite": lambda: [f"DROP TRIGGER {name}" for name in _sqlite_names()],
                "postgresql": POSTGRES_DROP,
            }),
        ),
    ]

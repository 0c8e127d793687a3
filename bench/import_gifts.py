"""Import 100,000 gift rows through the same code as `manage.py import_gifts` and print
the rate. Usage: python bench/import_gifts.py [ROWS]"""

import csv
import io
import random
import sys
import time

from _setup import django_on_fresh_sqlite

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def make_csv(rows: int) -> bytes:
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "amount", "currency", "fund", "method", "campaign", "reference",
                     "email", "first_name", "last_name", "postcode", "country"])  # fmt: skip
    for n in range(rows):
        donor = rng.randrange(rows // 5)  # ~5 gifts per donor: most rows match a donor
        amount = rng.choice(["10.00", "25.00", "50.00", "100.00", "250.00"])
        fund = "GEN" if n % 10 else f"GEN=5.00;AWARD={int(float(amount)) - 5}.00"
        writer.writerow([f"202{3 + n % 3}-{1 + n % 12:02d}-{1 + n % 28:02d}", amount,
                         rng.choice(["USD", "USD", "EUR", "GBP"]), fund,
                         rng.choice(["cheque", "bank_transfer", "cash"]),
                         "hfma" if n % 3 == 0 else "", f"BENCH-{n}",
                         f"fan{donor}@example.net", "Fan", f"Number{donor}", "37201",
                         "US"])  # fmt: skip
    return out.getvalue().encode()


def main() -> None:
    django_on_fresh_sqlite("import")
    from accounts.models import User
    from donors.importing import gift_import_check, gift_import_commit, gift_import_create
    from donors.models import Campaign, Fund, Gift

    Fund.objects.create(code="GEN", name="General", gl_account="4000")
    Fund.objects.create(
        code="AWARD", name="Award prize pool", gl_account="4200", is_restricted=True
    )
    Campaign.objects.create(code="hfma", name="Music award", starts_on="2020-01-01")
    user = User.objects.create_user("bench@example.org", is_staff=True)
    data = make_csv(ROWS)

    # The dry run a person reads on the import page...
    started = time.perf_counter()
    check = gift_import_check(run=gift_import_create(data=data, name="check.csv", by=user))
    checked = time.perf_counter()
    assert check.ok, check.errors[:3]
    # ...and the import itself, as `manage.py import_gifts FILE` runs it: every row checked,
    # then everything written in one transaction.
    run = gift_import_create(data=data, name="bench.csv", by=user)
    report = gift_import_commit(run=run)
    done = time.perf_counter()
    assert report.committed, report.errors[:3]
    assert Gift.objects.count() == ROWS
    print(
        f"rows: {ROWS}  new donors: {report.new_donors}  "
        f"matched by e-mail: {report.matched_by_email}"
    )
    print(f"dry run: {ROWS / (checked - started):.0f} rows/s ({checked - started:.2f} s)")
    print(f"import: {ROWS / (done - checked):.0f} rows/s ({done - checked:.2f} s)")


if __name__ == "__main__":
    main()

"""The ledger at scale: entries for 1,000,000 gifts posted through the gift import's bulk
path (ten imports of 100,000, each in its own transaction, as `manage.py import_gifts`
writes them), then the trial balance for a year read from the month balances.
Usage: python bench/ledger.py [GIFTS]"""

import datetime as dt
import sys
import time
from types import SimpleNamespace

from _setup import django_on_fresh_sqlite
from tqdm import tqdm

GIFTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CHUNK = 100_000
GIFT_COLUMNS = ("id", "donor", "amount", "currency", "received_on", "method", "status",
                "fair_market_value", "advantage_description", "property_description",
                "tribute_type", "external_reference", "tribute_name", "notes", "void_reason",
                "refunded_amount", "created_at", "appraiser", "referral_code")  # fmt: skip


def main() -> None:
    django_on_fresh_sqlite("ledger")
    from django.db import transaction
    from django.utils import timezone

    from backoffice.bulk import db_date, db_datetime, insert_rows, row_triggers_set_aside
    from donors.importing import _BULK_TABLES, _post_to_ledger
    from donors.models import Donor, Fund, Gift, GiftAllocation
    from ledger import services as ledger
    from ledger.reports import trial_balance, unbalanced_currencies

    general = Fund.objects.create(code="GEN", name="General", gl_account="4000")
    award = Fund.objects.create(code="AWARD", name="Prize pool", gl_account="4200",
                                is_restricted=True)  # fmt: skip
    donor = Donor.objects.create(first_name="Bench", last_name="Donor")
    methods = ["cheque", "bank_transfer", "cash", "card"]
    now = db_datetime(timezone.now())
    posting_time = 0.0
    with tqdm(total=GIFTS, unit="gift", desc="Posting") as bar:
        for start in range(1, GIFTS + 1, CHUNK):
            rows, gifts, splits = [], [], []
            for n in range(start, min(start + CHUNK, GIFTS + 1)):
                amount = 2_500 + (n % 7) * 1_000
                split = ([(general.pk, amount)] if n % 10 else
                         [(general.pk, 500), (award.pk, amount - 500)])  # fmt: skip
                gift = {"currency": "USD" if n % 4 else "EUR", "amount": amount,
                        "method": methods[n % 4], "external_reference": f"B-{n}",
                        "received_on": dt.date(2025, 1 + n % 12, 1 + n % 28)}  # fmt: skip
                rows.append(SimpleNamespace(split=split, gift=gift))
                gifts.append((n, donor.pk, amount, gift["currency"], db_date(gift["received_on"]),
                              gift["method"], "posted", 0, "", "", "", gift["external_reference"],
                              "", "", "", 0, now, "", ""))  # fmt: skip
                splits += [(n, fund, share) for fund, share in split]
            ids = [g[0] for g in gifts]
            with transaction.atomic(), row_triggers_set_aside(_BULK_TABLES):
                # The gifts as the import writes them (not timed: bench/import_gifts.py
                # measures the whole import)...
                insert_rows(Gift, GIFT_COLUMNS, gifts)
                insert_rows(GiftAllocation, ("gift", "fund", "amount"), splits)
                # ...then their entries, through the import's own bulk path.
                began = time.perf_counter()
                entry_ids = _post_to_ledger(ids, rows, by=None)
                ledger.check_posted(entry_ids)
                posting_time += time.perf_counter() - began
            bar.update(len(rows))
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        rows = trial_balance(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
        timings.append(time.perf_counter() - began)
    assert rows and not unbalanced_currencies(rows)
    print(f"gifts: {GIFTS}  accounts in the trial balance: {len(rows)}")
    print(f"ledger: {GIFTS / posting_time:.0f} entries/s ({posting_time:.1f} s)")
    print(f"trial balance: {min(timings) * 1000:.0f} ms (a year, best of 5; "
          f"worst {max(timings) * 1000:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()

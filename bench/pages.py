"""Time the admin gift list and the staff home with 1,000,000 gifts in the database.
Usage: python bench/pages.py [GIFTS]"""

import datetime as dt
import random
import statistics
import sys
import time

from _setup import django_on_fresh_sqlite

GIFTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
DONORS = 50_000


def populate() -> None:
    from django.db import transaction
    from django.utils import timezone
    from tqdm import tqdm

    from backoffice.bulk import db_date, db_datetime, insert_rows, reserve_ids
    from donors.models import Campaign, Donor, Fund, Gift, GiftAllocation
    from donors.totals import rebuild_all

    rng = random.Random(1)
    funds = [Fund.objects.create(code=c, name=c, gl_account="4000") for c in ("GEN", "MAT", "AW")]
    campaigns = [
        Campaign.objects.create(code=f"c{i}", name=f"Campaign {i}", starts_on="2023-01-01")
        for i in range(12)
    ]
    with transaction.atomic():
        Donor.objects.bulk_create(
            [Donor(first_name="Fan", last_name=f"N{i}", email=f"fan{i}@example.net",
                   postcode="37201", country="US") for i in range(DONORS)],
            batch_size=2000,
        )  # fmt: skip
    donor_ids = list(Donor.objects.values_list("id", flat=True))
    today, now = timezone.localdate(), db_datetime(timezone.now())
    columns = ("id", "donor", "amount", "currency", "received_on", "method", "status",
               "campaign", "fair_market_value", "posted_at", "created_at", "void_reason",
               "advantage_description", "property_description", "tribute_type", "tribute_name",
               "external_reference", "notes", "appraiser")  # fmt: skip
    chunk = 50_000
    for start in tqdm(range(0, GIFTS, chunk), desc="gifts", unit_scale=chunk):
        with transaction.atomic():
            n = min(chunk, GIFTS - start)
            ids = reserve_ids(Gift, n)
            rows, splits = [], []
            for gift_id in ids:
                amount = rng.choice([1000, 2500, 5000, 10000, 25000])
                day = today - dt.timedelta(days=rng.randrange(3 * 365))
                rows.append((gift_id, rng.choice(donor_ids), amount,
                             rng.choice(["USD", "USD", "EUR", "GBP"]), db_date(day), "card",
                             "posted", rng.choice(campaigns).pk, 0, now, now, "", "", "", "",
                             "", "", "", ""))  # fmt: skip
                splits.append((gift_id, rng.choice(funds).pk, amount))
            insert_rows(Gift, columns, rows)
            insert_rows(GiftAllocation, ("gift", "fund", "amount"), splits)
    started = time.perf_counter()
    rebuild_all()
    print(f"totals rebuilt from {GIFTS} gifts in {time.perf_counter() - started:.1f} s")


def signed_in_client():
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    from accounts.models import User

    user = User.objects.create_superuser("bench@example.org", "x" * 16)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": time.time()}]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def timed(client, path: str, repeat: int = 7) -> tuple[float, int]:
    from django.db import connection, reset_queries
    from django.test.utils import override_settings

    assert client.get(path).status_code == 200  # warm up (templates, caches)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with override_settings(DEBUG=True):
        reset_queries()
        client.get(path)
        queries = len(connection.queries)
    return statistics.median(times), queries


def main() -> None:
    django_on_fresh_sqlite("pages")
    populate()
    from receipts.models import Organisation

    # US receipts from $250: the gifts of $250 this year and last wait for one (imported
    # gifts are not receipted by themselves), tens of thousands of them.
    Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Bench", "jurisdiction": "US", "address": "1 Main St", "ein": "12-3",
        "signatory_name": "A", "signatory_title": "B", "auto_receipt_threshold": 25_000,
    })  # fmt: skip
    client = signed_in_client()
    for label, path in (
        ("gift list", "/admin/donors/gift/"),
        ("gift list, page 100", "/admin/donors/gift/?p=100"),
        ("gift list, one year", "/admin/donors/gift/?received=2025"),
        ("gift list, one month", "/admin/donors/gift/?received=2025-03"),
        ("gift list, search by donor name", "/admin/donors/gift/?q=N4242"),
        ("staff home", "/"),
        ("gifts waiting for a receipt", "/receipts/waiting/"),
        ("gifts waiting for a receipt, page 500", "/receipts/waiting/?page=500"),
        ("gifts waiting for a receipt, one donor", "/receipts/waiting/?q=fan4242@example.net"),
    ):
        ms, queries = timed(client, path)
        print(f"{label}: {ms:.0f} ms ({queries} queries)")
    # The question before a bulk issue: which gifts are ready, how many, how much.
    started = time.perf_counter()
    answer = client.post("/receipts/waiting/", {"all": "1"})
    asked = answer.content.decode().split('<p class="big">')[1].split("</p>")[0]
    print(f"bulk issue question ({asked}): {(time.perf_counter() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

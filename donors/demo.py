"""Demo data: a believable anti-trafficking non-profit, built the same way every time.

Its gifts go through the real CSV import (the code finance uses), its batches through the
batch services, so the demo shows the product as it behaves.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from accounts.models import User
from accounts.roles import FINANCE, FUNDRAISING, READ_ONLY
from backoffice.exports import csv_writer
from backoffice.money import to_major
from donors.importing import gifts_import
from donors.models import Campaign, Donor, Fund, Gift, RecurringPlan
from donors.services import batch_close, batch_open, gift_record


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    how: str


FUNDS = [
    ("GEN", "General operating fund", False, "4000"),
    ("MAT", "Models Against Trafficking programme", False, "4100"),
    ("HFMA-PRIZE", "Human Freedom Music Awards prize pool", True, "4200"),
    ("AI-RESEARCH", "AI detection of at-risk teens", True, "4300"),
    ("SURVIVORS", "Survivor advocacy partnerships", True, "4400"),
]

# (code, name, kind, parent code, starts, ends, goal in USD)
CAMPAIGNS = [
    ("mat", "Models Against Trafficking", "campaign", None, "2020-01-10", None, 50_000_000),
    ("mat-launch", "MAT launch weekend", "appeal", "mat", "2020-01-10", "2020-01-13", None),
    ("mat-peer-reach", "Teach your followers", "appeal", "mat", "2024-01-15", None, 5_000_000),
    ("back-to-school-2025", "Back to school 2025", "appeal", "mat", "2025-08-01",
     "2025-09-30", 2_500_000),
    ("hfma", "Human Freedom Music Awards", "campaign", None, "2024-03-01", None, 100_000_000),
    ("hfma-fan-drive-2025", "HFMA fan drive 2025", "appeal", "hfma", "2025-02-01",
     "2025-06-30", 10_000_000),
    ("hfma-fan-drive-2026", "HFMA fan drive 2026", "appeal", "hfma", "2026-02-01", None,
     12_000_000),
    ("freedom-gala-2025", "Freedom Gala 2025", "event", None, "2025-10-18", "2025-10-18",
     7_500_000),
    ("year-end-2024", "Year-end appeal 2024", "appeal", None, "2024-11-15", "2024-12-31",
     20_000_000),
    ("year-end-2025", "Year-end appeal 2025", "appeal", None, "2025-11-15", "2025-12-31",
     25_000_000),
    ("year-end-2026", "Year-end appeal 2026", "appeal", None, "2026-11-15", "2026-12-31",
     30_000_000),
]  # fmt: skip

FIRST = [
    "Amara",
    "Ana",
    "Ben",
    "Carla",
    "Chen",
    "Daniel",
    "Elena",
    "Fatima",
    "Gabriel",
    "Hana",
    "Isaac",
    "Jade",
    "Kofi",
    "Lena",
    "Liam",
    "Maya",
    "Mateo",
    "Nia",
    "Noah",
    "Olivia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Sofia",
    "Tariq",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Zoe",
    "Aisha",
    "Bruno",
    "Chloe",
    "Diego",
    "Emma",
    "Farah",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Leo",
    "Mila",
    "Nora",
    "Oscar",
    "Paula",
    "Ravi",
    "Sara",
    "Theo",
]
LAST = [
    "Adams",
    "Alvarez",
    "Bakker",
    "Brown",
    "Chen",
    "Clarke",
    "Dubois",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Green",
    "Haddad",
    "Hughes",
    "Ito",
    "Jackson",
    "Johansson",
    "Kaur",
    "Khan",
    "Kim",
    "Lambert",
    "Lopez",
    "Martin",
    "Moreau",
    "Müller",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Perez",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Smith",
    "Taylor",
    "Thompson",
    "Turner",
    "Walker",
    "Weber",
    "Williams",
    "Wilson",
    "Wright",
    "Young",
    "Zhang",
    "Becker",
    "Costa",
    "Laurent",
]
ORGS = [
    "Harmony Records",
    "Northlight Studios",
    "Beacon Foundation",
    "Atlas Bank",
    "Crescendo Management",
    "Blue River Trust",
    "Open Stage Collective",
    "Meridian Media",
    "Lumen Partners",
    "Safe Harbour Alliance",
    "Soundwave Labs",
    "Keystone Insurance",
]
# (country, currency, [(city, region, postcode pattern)])
PLACES = [
    ("US", "USD", [("Los Angeles", "CA", "900##"), ("New York", "NY", "100##"),
                   ("Nashville", "TN", "372##"), ("Austin", "TX", "787##"),
                   ("Seattle", "WA", "981##")]),
    ("GB", "GBP", [("London", "", "SW1A #AA"), ("Manchester", "", "M1 #AE"),
                   ("Bristol", "", "BS1 #QA")]),
    ("FR", "EUR", [("Paris", "", "750##"), ("Lyon", "", "6900#")]),
    ("DE", "EUR", [("Berlin", "", "101##"), ("Hamburg", "", "200##")]),
    ("NL", "EUR", [("Amsterdam", "", "10## AB")]),
]  # fmt: skip
STREETS = {  # by country, so that a Nashville donor lives on an American street
    "US": ["Main Street", "Oak Avenue", "Elm Road", "Sunset Boulevard", "Music Row"],
    "GB": ["High Street", "Station Road", "Church Lane"],
    "FR": ["Rue de la Paix", "Avenue Victor Hugo"],
    "DE": ["Hauptstraße", "Lindenallee"],
    "NL": ["Keizersgracht", "Prinsengracht"],
}


def _postcode(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in pattern)


def _donor_rows(rng: random.Random, count: int) -> list[dict]:
    donors, used = [], set()
    for i in range(count):
        country, currency, cities = rng.choices(PLACES, weights=[60, 15, 10, 10, 5])[0]
        city, region, pattern = rng.choice(cities)
        if i % 40 == 0:
            organisation = f"{rng.choice(ORGS)}" + ("" if i < 480 else f" {i // 40}")
            first = last = ""
            email = f"giving{i}@{organisation.split()[0].lower()}.example.org"
        else:
            organisation, first, last = "", rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{i}@example.net".lower().replace("ü", "u")
        if rng.random() < 0.08:
            email = ""  # offline givers we know only by name and address
        if email in used:
            email = ""
        used.add(email)
        donors.append(
            {
                "email": email,
                "first_name": first,
                "last_name": last,
                "organisation": organisation,
                "address_line1": f"{rng.randint(1, 250)} {rng.choice(STREETS[country])}",
                "city": city,
                "region": region,
                "postcode": _postcode(rng, pattern),
                "country": country,
                "currency": currency,
            }
        )
    # A few people who gave twice with different addresses: import lists them for review.
    for twin in donors[5:11]:
        if twin["first_name"] and twin["email"]:
            donors.append({**twin, "email": f"{twin['first_name'].lower()}.new@example.com"})
    return donors


def _amount(rng: random.Random) -> int:
    """Major units: most gifts small, a long tail of major gifts."""
    roll = rng.random()
    if roll < 0.55:
        return rng.choice([10, 15, 20, 25, 25, 30, 50])
    if roll < 0.85:
        return rng.choice([50, 75, 100, 100, 150, 200])
    if roll < 0.97:
        return rng.choice([250, 300, 500, 500, 750, 1000])
    return rng.choice([2500, 5000, 10000, 25000])


def _campaign_for(rng: random.Random, day: dt.date) -> str:
    active = [
        c[0]
        for c in CAMPAIGNS
        if dt.date.fromisoformat(c[4]) <= day
        and (c[5] is None or day <= dt.date.fromisoformat(c[5]))
        and c[2] != "event"
    ]
    return rng.choice(active) if active and rng.random() < 0.8 else ""


def gifts_csv(*, today: dt.date, donors: list[dict], gifts: int, seed: int) -> bytes:
    """The demo's gift history as the CSV a finance officer would import."""
    rng = random.Random(seed)
    start = today - dt.timedelta(days=3 * 365)
    span = (today - start).days
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["date", "amount", "currency", "fund", "method", "campaign", "reference",
                     "fair_market_value", "advantage_description", "tribute_type",
                     "tribute_name", "email", "first_name", "last_name", "organisation",
                     "address_line1", "city", "region", "postcode", "country"])  # fmt: skip
    gala = dt.date(2025, 10, 18)
    for n in range(gifts):
        donor = donors[min(int(rng.paretovariate(1.2)) * 7 + rng.randrange(7), len(donors) - 1)
                       if rng.random() < 0.3 else rng.randrange(len(donors))]  # fmt: skip
        # Giving rises towards the year end and around the award.
        day = start + dt.timedelta(days=int(span * (rng.random() ** 0.8)))
        if rng.random() < 0.15:
            day = day.replace(month=12, day=rng.randint(1, 31)) if day.year < today.year else day
        amount = _amount(rng)
        currency = donor["currency"]
        campaign = _campaign_for(rng, day)
        fund = "GEN"
        if campaign.startswith("hfma"):
            fund = "HFMA-PRIZE"
        elif campaign.startswith(("mat", "back-to-school")):
            fund = rng.choice(["MAT", "MAT", "AI-RESEARCH"])
        elif rng.random() < 0.1:
            fund = "SURVIVORS"
        if amount >= 100 and rng.random() < 0.08:  # split between two funds
            share = amount // 2
            fund = f"GEN={share}.00;{'SURVIVORS' if fund == 'GEN' else fund}={amount - share}.00"
        fmv, advantage, tribute_type, tribute_name = "", "", "", ""
        if n % 97 == 0 and day < today:
            campaign, day, amount = "freedom-gala-2025", gala, rng.choice([250, 500, 1000])
            fund = "GEN"
            fmv, advantage = "95.00", "Gala dinner ticket"
        if rng.random() < 0.02:
            tribute_type = rng.choice(["honour", "memory"])
            tribute_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        method = rng.choices(["card", "bank_transfer", "cheque", "cash"], weights=[70, 15, 12, 3])[
            0
        ]
        writer.writerow([
            day.isoformat(), f"{amount}.00", currency, fund, method, campaign,
            f"DEMO-{seed}-{n:06d}", fmv, advantage, tribute_type, tribute_name,
            donor["email"], donor["first_name"], donor["last_name"], donor["organisation"],
            donor["address_line1"], donor["city"], donor["region"], donor["postcode"],
            donor["country"],
        ])  # fmt: skip
    return out.getvalue().encode()


def _user(email: str, *, staff: bool, group: str | None, first: str, last: str) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"is_staff": staff, "first_name": first, "last_name": last}
    )
    if created:
        if staff:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()  # donors sign in with an e-mailed code
        user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    if staff:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


@transaction.atomic
def seed_demo(*, today: dt.date, donors: int = 2000, gifts: int = 10000, seed: int = 2020,
              progress=None) -> list[DemoLogin]:  # fmt: skip
    """Build the demo organisation. Refuses to run twice on the same database."""
    if Fund.objects.filter(code="GEN").exists():
        raise ValueError("Demo data is already loaded (fund GEN exists); use a fresh database.")
    rng = random.Random(seed)
    finance = _user("finance@example.org", staff=True, group=FINANCE, first="Farah", last="Finance")
    _user("fundraising@example.org", staff=True, group=FUNDRAISING, first="Felix", last="Raiser")
    _user("board@example.org", staff=True, group=READ_ONLY, first="Bea", last="Board")
    admin = _user("admin@example.org", staff=True, group=None, first="Ada", last="Admin")
    admin.is_superuser = True
    admin.save()

    for code, name, restricted, account in FUNDS:
        Fund.objects.create(code=code, name=name, is_restricted=restricted, gl_account=account)
    by_code = {}
    for code, name, kind, parent, starts, ends, goal in CAMPAIGNS:
        by_code[code] = Campaign.objects.create(
            code=code, name=name, kind=kind, parent=by_code.get(parent),
            starts_on=starts, ends_on=ends, goal_amount=goal, goal_currency="USD" if goal else "",
        )  # fmt: skip

    people = _donor_rows(rng, donors)
    data = gifts_csv(today=today, donors=people, gifts=gifts, seed=seed)
    report = gifts_import(data=data, by=finance, commit=True, progress=progress)
    if not report.committed:
        raise RuntimeError(f"demo import failed: {report.errors[:5]}")

    consented = Donor.objects.exclude(email=None).order_by("id")[: donors // 2]
    Donor.objects.filter(pk__in=[d.pk for d in consented]).update(
        email_consent=True,
        consent_given_at=timezone.now() - dt.timedelta(days=400),
        consent_method=Donor.ConsentMethod.WEB_FORM,
    )
    donor_user = _user("donor@example.org", staff=False, group=None, first="Dana", last="Donor")
    dana = Donor.objects.filter(email__isnull=False, kind=Donor.Kind.PERSON).order_by("id").first()
    dana.email, dana.user = "donor@example.org", donor_user
    dana.save()
    # The account carries the donor record's name, so the page greets the person it names.
    donor_user.first_name, donor_user.last_name = dana.first_name, dana.last_name
    donor_user.save(update_fields=["first_name", "last_name"])

    funds = {f.code: f for f in Fund.objects.all()}
    plan_donors = list(Donor.objects.exclude(email=None).order_by("id")[100:260])
    RecurringPlan.objects.bulk_create(
        [
            RecurringPlan(
                donor=d, amount=rng.choice([1000, 1500, 2500, 5000]),
                currency=rng.choice(["USD", "USD", "EUR", "GBP"]),
                interval=rng.choice(["month"] * 8 + ["year"]),
                status=rng.choices(["active", "paused", "failing", "cancelled"], [80, 5, 5, 10])[0],
                fund=funds[rng.choice(["GEN", "MAT", "HFMA-PRIZE"])],
                started_on=today - dt.timedelta(days=rng.randint(30, 900)),
                next_due_on=today + dt.timedelta(days=rng.randint(1, 30)),
            )
            for d in plan_donors
        ]
    )  # fmt: skip

    # One closed deposit batch and one still being typed in (2 of 3 cheques entered).
    cheque_donors = list(Donor.objects.filter(country="US").order_by("id")[:5])
    for reference, count, entered, close in (
        (f"DEP-{today:%Y%m}-01", 2, 2, True),
        (f"DEP-{today:%Y%m}-02", 3, 2, False),
    ):
        batch = batch_open(
            reference=reference,
            deposited_on=today,
            currency="USD",
            expected_count=count,
            expected_total=count * 10_000,
            by=finance,
        )
        for donor in cheque_donors[:entered]:
            gift = Gift(donor=donor, amount=10_000, currency="USD", received_on=today,
                        method=Gift.Method.CHEQUE, batch=batch,
                        external_reference=f"{reference}-CHQ-{donor.pk}")  # fmt: skip
            gift_record(gift=gift, split=[(funds["GEN"], 10_000)], by=finance)
        if close:
            batch_close(batch=batch, by=finance)
    return [
        DemoLogin("finance", "finance@example.org", f"password {DEMO_PASSWORD} + TOTP"),
        DemoLogin("fundraising", "fundraising@example.org", f"password {DEMO_PASSWORD} + TOTP"),
        DemoLogin("read-only", "board@example.org", f"password {DEMO_PASSWORD} + TOTP"),
        DemoLogin("superuser", "admin@example.org", f"password {DEMO_PASSWORD} + TOTP"),
        DemoLogin(
            "donor", "donor@example.org", "“Sign in with a code”: the code is in the server log"
        ),
    ]


def demo_totals() -> dict[str, str]:
    """One line per currency, for the command's closing summary."""
    from django.db.models import Sum

    rows = (
        Gift.objects.filter(status=Gift.Status.POSTED).values("currency").annotate(t=Sum("amount"))
    )
    return {r["currency"]: str(to_major(r["t"], r["currency"])) for r in rows}

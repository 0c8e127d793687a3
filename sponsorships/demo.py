"""Demo sponsorships (after donors' seed_demo): sponsors of every type, the music-award
prize-pool sponsor with a three-year agreement, instalments in every state, a payout from
the prize pool, and a sponsor portal login."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from donors.models import Campaign, Fund
from sponsorships.models import Agreement, Benefit, Sponsor, SponsorContact, Tier
from sponsorships.services import (
    agreement_schedule,
    disbursement_record,
    instalment_write_off,
    payment_record,
)

SPONSOR_LOGIN = "sponsor@example.org"

# name, kind, billing e-mail
SPONSORS = [
    ("Soundwave Music Group", "company", "accounts@soundwave.example"),
    ("Beacon Family Foundation", "foundation", "grants@beacon.example"),
    ("Harbor Trust Bank", "financial", "sponsorship@harbortrust.example"),
    ("Safe Passage Coalition", "partner", "finance@safepassage.example"),
    ("City of Nashville Youth Office", "public", "grants@youth.nashville.example"),
]


@transaction.atomic
def seed_sponsorships(*, today: dt.date) -> str:
    """Returns the sponsor portal login. Refuses to run twice."""
    from donors.demo import _user

    if Sponsor.objects.exists():
        raise ValueError("Demo sponsorships are already loaded.")
    fundraising = _user("fundraising@example.org", staff=True, group="fundraising",
                        first="Felix", last="Raiser")  # fmt: skip
    finance = _user("finance@example.org", staff=True, group="finance", first="Farah",
                    last="Finance")  # fmt: skip
    sponsors = {kind: Sponsor.objects.create(name=name, kind=kind, billing_email=email)
                for name, kind, email in SPONSORS}  # fmt: skip
    gold = Tier.objects.create(
        name="Gold partner",
        amount=10_000_000,
        currency="USD",
        standard_benefits="Logo on the awards stage\nTwo gala tables",
    )
    Tier.objects.create(name="Silver partner", amount=2_500_000, currency="USD",
                        standard_benefits="Logo on the website")  # fmt: skip
    prize = Fund.objects.get(code="HFMA-PRIZE")
    hfma = Campaign.objects.filter(code="hfma").first()
    year = today.year

    # The prize pool: $1M over three years, quarterly, from last year.
    pool = Agreement.objects.create(
        sponsor=sponsors["company"], title="Human Freedom Music Awards prize pool",
        amount=100_000_000, currency="USD", starts_on=dt.date(year - 1, 1, 15),
        ends_on=dt.date(year + 1, 12, 31), fund=prize, campaign=hfma,
        status=Agreement.Status.ACTIVE, signed_on=dt.date(year - 1, 1, 5),
    )  # fmt: skip
    agreement_schedule(agreement=pool, frequency="quarterly", by=fundraising)
    # The benefits are agreed when the agreement is signed: the letters state them.
    for description, value, on in [
        ("Presenting partner on the awards night", 2_000_000, dt.date(year - 1, 11, 20)),
        ("Logo on every nominee video", 500_000, dt.date(year, 3, 1)),
        ("Ten VIP seats at the ceremony", 250_000, None),
    ]:
        Benefit.objects.create(agreement=pool, description=description, fair_market_value=value,
                               due_on=on, delivered_on=on if on and on <= today else None,
                               proof_url="https://example.org/hfma/recap" if on and on <= today
                               else "")  # fmt: skip
    due = [i for i in pool.instalments.order_by("number") if i.due_on <= today]
    paid_through = max(len(due) - 2, 0)  # all but the last two due: one part paid, one overdue
    for instalment in due[:paid_through]:
        payment_record(sponsor=pool.sponsor, amount=instalment.amount, currency="USD",
                       received_on=instalment.due_on + dt.timedelta(days=12), method="wire",
                       reference=f"SW-{instalment.due_on:%Y%m}", by=finance)  # fmt: skip
    if len(due) >= 2:
        payment_record(sponsor=pool.sponsor, amount=3_000_000, currency="USD",
                       received_on=due[-2].due_on + dt.timedelta(days=20), method="wire",
                       reference=f"SW-{due[-2].due_on:%Y%m}-PART", by=finance)  # fmt: skip
    disbursement_record(fund=prize, amount=2_500_000, currency="USD",
                        paid_on=dt.date(year - 1, 12, 10), payee="Aria Stone (best song)",
                        purpose="Human Freedom Music Award", by=finance)  # fmt: skip

    # A foundation grant paid in two halves, settled; a bank at gold tier, yearly, the
    # second year ending soon (a renewal); a partner's pledge partly written off.
    grant = Agreement.objects.create(
        sponsor=sponsors["foundation"], title="AI detection research grant",
        amount=25_000_000, currency="USD", starts_on=dt.date(year, 1, 10),
        ends_on=dt.date(year, 12, 31), fund=Fund.objects.get(code="AI-RESEARCH"),
        status=Agreement.Status.ACTIVE,
    )  # fmt: skip
    agreement_schedule(agreement=grant, dates=[dt.date(year, 1, 10), dt.date(year, 7, 10)],
                       by=fundraising)  # fmt: skip
    for instalment in grant.instalments.filter(due_on__lte=today):
        payment_record(sponsor=grant.sponsor, amount=instalment.amount, currency="USD",
                       received_on=instalment.due_on, method="wire", by=finance)  # fmt: skip
    bank = Agreement.objects.create(
        sponsor=sponsors["financial"], title="Gold partner", tier=gold, amount=20_000_000,
        currency="USD", starts_on=today - dt.timedelta(days=640),
        ends_on=today + dt.timedelta(days=60), status=Agreement.Status.ACTIVE,
    )  # fmt: skip
    agreement_schedule(agreement=bank, frequency="yearly", by=fundraising)
    partner = Agreement.objects.create(
        sponsor=sponsors["partner"], title="Survivor advocacy partnership", amount=1_200_000,
        currency="USD", starts_on=dt.date(year, 1, 1), ends_on=dt.date(year, 12, 31),
        fund=Fund.objects.get(code="SURVIVORS"), status=Agreement.Status.ACTIVE,
    )  # fmt: skip
    agreement_schedule(agreement=partner, frequency="quarterly", unit=100, by=fundraising)
    first = partner.instalments.order_by("number").first()
    payment_record(sponsor=partner.sponsor, amount=200_000, currency="USD",
                   received_on=first.due_on, method="cheque", reference="CHQ-4411",
                   by=finance)  # fmt: skip
    instalment_write_off(instalment=first, amount=100_000, reason="Partner's budget was cut",
                         by=finance)  # fmt: skip
    Agreement.objects.create(
        sponsor=sponsors["public"], title="Youth outreach (in negotiation)", amount=5_000_000,
        currency="USD", starts_on=dt.date(year + 1, 1, 1), ends_on=dt.date(year + 1, 12, 31),
    )  # fmt: skip

    user = _user(SPONSOR_LOGIN, staff=False, group=None, first="Sam", last="Sponsor")
    SponsorContact.objects.create(sponsor=pool.sponsor, name="Sam Sponsor", email=SPONSOR_LOGIN,
                                  role=SponsorContact.Role.BILLING, user=user)  # fmt: skip
    return SPONSOR_LOGIN

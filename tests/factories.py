import datetime as dt

import factory
from django.utils import timezone

from accounts.models import User
from donors.models import Campaign, Donor, Fund, Gift


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password("correct horse battery staple")


class DonorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Donor

    first_name = factory.Sequence(lambda n: f"Ana{n}")
    last_name = "Silva"
    email = factory.Sequence(lambda n: f"donor{n}@example.net")
    address_line1 = "1 Main Street"
    city = "Nashville"
    postcode = "37201"
    country = "US"


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        django_get_or_create = ("code",)

    code = "GEN"
    name = "General fund"
    gl_account = "4000"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    code = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.Sequence(lambda n: f"Campaign {n}")
    starts_on = dt.date(2024, 1, 1)


def posted_gift(*, donor=None, amount=2500, currency="USD", fund=None, on=None, by=None, **extra):
    """A gift entered and posted through the service, as staff would."""
    from donors.services import gift_record

    gift = Gift(
        donor=donor or DonorFactory(),
        amount=amount,
        currency=currency,
        received_on=on or timezone.localdate(),
        method=extra.pop("method", Gift.Method.CARD),
        **extra,
    )
    return gift_record(gift=gift, split=[(fund or FundFactory(), amount)], by=by)


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sponsorships.Sponsor"

    name = factory.Sequence(lambda n: f"Sponsor {n} Ltd")
    kind = "company"
    billing_email = factory.Sequence(lambda n: f"billing{n}@sponsor.example")


def agreement(*, sponsor=None, amount=1_200_000, currency="USD", fund=None, status="active",
              starts_on=None, ends_on=None, frequency="quarterly", **extra):  # fmt: skip
    """An agreement with its schedule, as staff would set it up."""
    import datetime as dt

    from sponsorships.models import Agreement
    from sponsorships.services import agreement_schedule

    starts_on = starts_on or dt.date(2026, 1, 15)
    made = Agreement.objects.create(
        sponsor=sponsor or SponsorFactory(), title=extra.pop("title", "Award partner"),
        amount=amount, currency=currency, fund=fund, status=status, starts_on=starts_on,
        ends_on=ends_on or dt.date(starts_on.year, 12, 31), **extra,
    )  # fmt: skip
    agreement_schedule(agreement=made, frequency=frequency, by=None)
    return made

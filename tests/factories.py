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

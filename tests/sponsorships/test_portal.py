"""The sponsor portal shows a sponsor's contacts their own side and nothing of another
sponsor's: every page is checked with a user of another sponsor (404)."""

import datetime as dt

import pytest
from django.urls import reverse

from sponsorships.models import Benefit, SponsorContact
from sponsorships.services import payment_record
from tests.factories import SponsorFactory, UserFactory, agreement

pytestmark = pytest.mark.django_db


def _contact(sponsor, role="billing"):
    user = UserFactory()
    SponsorContact.objects.create(sponsor=sponsor, name=user.email, email=user.email,
                                  role=role, user=user)  # fmt: skip
    return user


@pytest.fixture
def two_sponsors():
    ours, theirs = SponsorFactory(name="Soundwave Records"), SponsorFactory(name="Other Bank")
    mine = agreement(sponsor=ours, title="Human Freedom Awards prize pool", amount=100_000_000)
    other = agreement(sponsor=theirs, title="Their secret deal", amount=5_000_000)
    Benefit.objects.create(agreement=mine, description="Logo on the awards stage",
                           fair_market_value=150_000)  # fmt: skip
    for sponsor in (ours, theirs):
        payment_record(sponsor=sponsor, amount=1_000_000, currency="USD",
                       received_on=dt.date(2026, 2, 1), method="wire", by=None)  # fmt: skip
    return {"ours": ours, "theirs": theirs, "mine": mine, "other": other,
            "mine_instalment": mine.instalments.first(),
            "other_instalment": other.instalments.first(),
            "me": _contact(ours), "them": _contact(theirs)}  # fmt: skip


def test_a_contact_sees_their_agreement_schedule_and_benefits(client, two_sponsors):
    client.force_login(two_sponsors["me"])
    home = client.get(reverse("sponsor_portal")).content.decode()
    assert "Human Freedom Awards prize pool" in home and "Their secret deal" not in home
    page = client.get(reverse("sponsor_agreement", args=[two_sponsors["mine"].pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "Logo on the awards stage" in text and "Settled" not in text
    assert "Part paid" in text  # $10,000 of the first $250,000 instalment
    payments = client.get(reverse("sponsor_payments")).content.decode()
    assert "Human Freedom Awards prize pool #1" in payments and "Other Bank" not in payments


# Every portal page that names a record, with a record of the other sponsor: 404.
OTHER_SPONSORS_PAGES = [
    ("sponsor_agreement", "other"),
    ("sponsor_invoice_pdf", "other_instalment"),
]


@pytest.mark.parametrize(("name", "record"), OTHER_SPONSORS_PAGES)
def test_every_portal_page_is_404_for_another_sponsors_records(client, two_sponsors, name, record):
    client.force_login(two_sponsors["me"])
    assert client.get(reverse(name, args=[two_sponsors[record].pk])).status_code == 404
    client.force_login(two_sponsors["them"])  # and the other way round
    mine = "mine_instalment" if record.endswith("instalment") else "mine"
    assert client.get(reverse(name, args=[two_sponsors[mine].pk])).status_code == 404
    assert client.get(reverse(name, args=[two_sponsors[record].pk])).status_code == 200


@pytest.mark.parametrize("name", ["sponsor_portal", "sponsor_payments"])
def test_the_portal_is_404_for_someone_who_is_no_sponsors_contact(client, two_sponsors, name):
    client.force_login(UserFactory())
    assert client.get(reverse(name)).status_code == 404


def test_a_contact_downloads_an_instalments_invoice(client, two_sponsors):
    import io

    from pypdf import PdfReader

    client.force_login(two_sponsors["me"])
    first = two_sponsors["mine_instalment"]
    answer = client.get(reverse("sponsor_invoice_pdf", args=[first.pk]))
    text = " ".join(PdfReader(io.BytesIO(answer.content)).pages[0].extract_text().split())
    assert f"Invoice AGR-{first.agreement_id}-1" in text and "Soundwave Records" in text
    assert "Balance due: $240,000.00" in text  # $250,000 less the $10,000 paid


def test_payments_are_for_billing_contacts_only(client, two_sponsors):
    client.force_login(_contact(two_sponsors["ours"], role="viewer"))
    assert client.get(reverse("sponsor_payments")).status_code == 404
    assert client.get(reverse("sponsor_portal")).status_code == 200


def test_drafts_are_not_shown_to_the_sponsor(client, two_sponsors):
    draft = agreement(sponsor=two_sponsors["ours"], title="Next year (draft)", status="draft")
    client.force_login(two_sponsors["me"])
    assert "Next year (draft)" not in client.get(reverse("sponsor_portal")).content.decode()
    assert client.get(reverse("sponsor_agreement", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize("name", ["sponsor_portal", "sponsor_payments", "sponsor_agreement"])
def test_portal_pages_run_a_constant_number_of_queries(client, two_sponsors, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ours = two_sponsors["ours"]
    client.force_login(two_sponsors["me"])
    args = [two_sponsors["mine"].pk] if name == "sponsor_agreement" else []

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name, args=args)).status_code == 200
        return len(queries)

    before = count()
    for n in range(5):  # more agreements, instalments, benefits and payments
        deal = agreement(sponsor=ours, title=f"Campaign {n}", amount=400_000, frequency="monthly")
        Benefit.objects.create(agreement=deal, description=f"Post {n}", fair_market_value=100)
        payment_record(sponsor=ours, amount=50_000, currency="USD",
                       received_on=dt.date(2026, 3, 1), method="wire", by=None)  # fmt: skip
    assert count() == before

"""A gift whose automatic receipt a rule refused is not lost: finance sees it, with the
reason, on the page of gifts waiting for a receipt, fixes it and issues it there."""

import pytest
from django.urls import reverse
from django.utils import timezone

from receipts.models import Organisation, Receipt
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def canada(db):
    Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Human Freedom Alliance", "jurisdiction": "CA",
        "auto_receipt_threshold": 2_000, "on_refund": "queue"})  # fmt: skip


def test_a_refused_receipt_waits_with_its_reason_and_finance_issues_it_once_fixed(
    canada, finance_client
):
    today = timezone.localdate()
    nowhere = DonorFactory(first_name="Ana", last_name="Lima", address_line1="", city="")
    refused = posted_gift(donor=nowhere, amount=5_000, currency="CAD", on=today)
    posted_gift(
        amount=1_999, currency="CAD", on=today
    )  # under the threshold: waits for the year end
    covered = posted_gift(amount=9_000, currency="CAD", on=today)
    assert not Receipt.objects.filter(lines__gift=refused).exists()
    assert Receipt.objects.filter(lines__gift=covered).exists()

    page = finance_client.get(reverse("waiting_for_receipt")).content.decode()
    assert f"#{refused.pk}" in page and "Ana Lima has no address" in page
    assert page.count("Issue receipt") == 0  # nothing can be issued until it is fixed

    nowhere.address_line1, nowhere.city, nowhere.postcode = (
        "4 Rue Principale",
        "Montréal",
        "H2X 1Y4",
    )
    nowhere.save()
    assert "Issue receipt" in finance_client.get(reverse("waiting_for_receipt")).content.decode()
    finance_client.post(reverse("waiting_for_receipt"), {"gift": refused.pk})
    receipt = Receipt.objects.get(lines__gift=refused)
    assert "4 Rue Principale" in receipt.donor_address
    page = finance_client.get(reverse("waiting_for_receipt")).content.decode()
    assert "None: every gift that should have its receipt has one" in page


def test_a_receipt_voided_by_a_refund_and_left_to_finance_waits_for_its_replacement(
    canada, finance_client
):
    from donors.services import gift_set_refunded

    gift = posted_gift(amount=8_000, currency="CAD", on=timezone.localdate())
    gift_set_refunded(gift=gift, refunded_amount=3_000, by=None)
    assert Receipt.objects.get().status == "void"  # voided; the replacement is finance's
    page = finance_client.get(reverse("waiting_for_receipt")).content.decode()
    assert f"#{gift.pk}" in page and "$50.00" in page  # what was kept
    finance_client.post(reverse("waiting_for_receipt"), {"gift": gift.pk})
    assert Receipt.objects.get(status="issued").total_amount == 5_000


def test_fundraising_staff_see_the_list_but_cannot_issue(canada, fundraising_client):
    gift = posted_gift(amount=5_000, currency="CAD", on=timezone.localdate())
    Receipt.objects.get().lines.update(in_force=False)  # as if voided: waiting again
    page = fundraising_client.get(reverse("waiting_for_receipt")).content.decode()
    assert f"#{gift.pk}" in page and "ready to issue" in page and "Issue receipt" not in page
    answer = fundraising_client.post(reverse("waiting_for_receipt"), {"gift": gift.pk})
    assert answer.status_code == 403 and Receipt.objects.count() == 1


def test_imported_gifts_wait_and_finance_issues_every_ready_one_at_once(canada, finance_client):
    from donors.importing import gifts_import
    from tests.factories import FundFactory

    FundFactory(code="GEN")
    DonorFactory(email="ana@example.net", address_line1="", city="")
    d = timezone.localdate().isoformat()
    csv = (
        "email,first_name,last_name,amount,currency,date,method,fund,address_line1,city\n"
        f"ana@example.net,Ana,Lima,50.00,CAD,{d},cheque,GEN,,\n"
        f"leo@example.net,Leo,Roy,60.00,CAD,{d},cheque,GEN,1 Rue A,Québec\n"
        f"mia@example.net,Mia,Roy,70.00,CAD,{d},cheque,GEN,2 Rue B,Laval\n"
    )
    report = gifts_import(data=csv.encode(), by=None, commit=True)
    assert report.committed and not Receipt.objects.exists()  # imports issue nothing
    finance_client.post(reverse("waiting_for_receipt"), {"all": "1"})
    receipted = sorted(Receipt.objects.values_list("donor_email", flat=True))
    assert receipted == ["leo@example.net", "mia@example.net"]
    page = finance_client.get(reverse("waiting_for_receipt")).content.decode()
    assert "has no address" in page  # Ana's gift stays, with its reason


def test_a_gift_in_another_currency_is_outside_receipting_and_does_not_wait(
    canada, finance_client, admin_client_mfa, caplog
):
    """A Canadian organisation's receipts are in CAD: a US-dollar gift gets none when
    posted, is not listed as waiting for one, and its page says why."""
    today = timezone.localdate()
    dollars = posted_gift(amount=50_000, currency="USD", on=today)
    assert not Receipt.objects.exists() and "was not receipted" not in caplog.text
    beside = posted_gift(donor=DonorFactory(address_line1=""), amount=50_000, currency="CAD",
                         on=today)  # fmt: skip  # refused: no address, so it waits
    page = finance_client.get(reverse("waiting_for_receipt")).content.decode()
    assert f">#{beside.pk}</a>" in page and f">#{dollars.pk}</a>" not in page
    gift_page = admin_client_mfa.get(reverse("admin:donors_gift_change", args=[dollars.pk]))
    assert "no receipt: receipts are in CAD, not USD" in gift_page.content.decode()

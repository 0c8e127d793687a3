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
    asked = finance_client.post(reverse("waiting_for_receipt"), {"all": "1"})
    assert "Issue 2 receipts totalling CA$130.00?" in asked.content.decode()
    assert not Receipt.objects.exists()  # nothing until confirmed
    done = finance_client.post(reverse("waiting_for_receipt"), {"all": "1", "confirm": "2:13000"},
                               follow=True)  # fmt: skip
    assert "2 receipts issued: CA" in done.content.decode()
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


def test_the_list_pages_searches_and_issues_many_only_once_confirmed(canada, finance_client):
    """609 gifts wait (imports): the list shows them 50 a page, finds one by its donor, and
    the bulk issue asks "Issue 609 receipts totalling …?" first; a stale answer (the list
    changed since) asks again rather than issuing something else."""
    from donors.importing import gifts_import
    from tests.factories import FundFactory

    FundFactory(code="GEN")
    day = timezone.localdate().isoformat()
    rows = [f"d{i}@example.net,Dana,Nr{i},{20 + i}.00,CAD,{day},GEN,{i} Rue A,Laval"
            for i in range(609)]  # fmt: skip
    csv = "email,first_name,last_name,amount,currency,date,fund,address_line1,city\n"
    assert gifts_import(data=(csv + "\n".join(rows)).encode(), by=None, commit=True).committed
    url = reverse("waiting_for_receipt")
    first = finance_client.get(url).content.decode()
    assert "Page 1 of 13 · gifts 1–50 of 609" in first and first.count("Issue receipt<") == 50
    last = finance_client.get(url, {"page": 13}).content.decode()
    assert "gifts 601–609 of 609" in last
    found = finance_client.get(url, {"q": "Nr7"}).content.decode()
    assert "Dana Nr7<" in found and "Dana Nr8<" not in found
    total_cents = sum((20 + i) * 100 for i in range(609))
    asked = finance_client.post(url, {"all": "1"}).content.decode()
    assert f"Issue 609 receipts totalling CA${total_cents / 100:,.2f}?" in asked
    assert not Receipt.objects.exists()
    stale = finance_client.post(url, {"all": "1", "confirm": f"608:{total_cents}"})
    assert "The list changed since you asked" in stale.content.decode()
    assert not Receipt.objects.exists()
    done = finance_client.post(url, {"all": "1", "confirm": f"609:{total_cents}"}, follow=True)
    assert "609 receipts issued: CA" in done.content.decode()
    assert Receipt.objects.count() == 609
    one = posted_gift(donor=DonorFactory(address_line1=""), amount=5_000, currency="CAD",
                      on=timezone.localdate())  # fmt: skip  # waits: no address
    one.donor.address_line1 = "3 Rue C"
    one.donor.save()
    said = finance_client.post(url, {"gift": one.pk}, follow=True).content.decode()
    assert "1 receipt issued: CA" in said and "1 receipts" not in said

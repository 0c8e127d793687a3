"""Every gift is thanked, online and offline, in any currency, in the donor's language: with
a word on its receipt, or one sentence on why there is none."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from receipts.models import Organisation, ThankYou, ThankYouText
from tests.factories import CampaignFactory, DonorFactory, posted_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def us_org(db):
    Organisation.objects.filter(pk=1).update(jurisdiction="US", auto_receipt_threshold=2_000,
                                             display_name="HAT")  # fmt: skip


def _thanks(to: str):
    (message,) = [m for m in mail.outbox if m.to == [to] and m.subject.startswith("Thank you")]
    return message


def _give(capture, **gift):
    with capture(execute=True):
        return posted_gift(on=timezone.localdate(), **gift)


def test_a_euro_gift_and_a_five_dollar_gift_each_say_why_no_receipt_comes(
    us_org, django_capture_on_commit_callbacks
):
    _give(django_capture_on_commit_callbacks, amount=5_000, currency="EUR",
          donor=DonorFactory(first_name="Lea", email="lea@example.net"))  # fmt: skip
    _give(django_capture_on_commit_callbacks, amount=500, currency="USD",
          donor=DonorFactory(first_name="Sam", email="sam@example.net"))  # fmt: skip
    euros = _thanks("lea@example.net")
    assert euros.subject == "Thank you, Lea" and "€50.00" in euros.body
    assert "Gifts in euros are not tax-receipted in the United States" in euros.body
    five = _thanks("sam@example.net")
    assert "$5.00" in five.body
    assert "Gifts under $20.00 are acknowledged together in your year-end statement" in five.body
    assert five.from_email.startswith("HAT <") and five.body.rstrip().endswith("HAT")
    assert "/me/" in five.body


def test_a_receipted_gift_is_thanked_once_and_names_its_receipt(
    us_org, django_capture_on_commit_callbacks
):
    from receipts.tasks import deliver_thank_you

    gift = _give(django_capture_on_commit_callbacks, amount=30_000, currency="USD",
                 donor=DonorFactory(email="mo@example.net"))  # fmt: skip
    message = _thanks("mo@example.net")
    number = gift.receipt_lines.get().receipt.receipt_number
    assert f"Your tax receipt {number} comes in its own e-mail" in message.body
    thank_you = ThankYou.objects.get(gift=gift)
    assert thank_you.status == "sent" and thank_you.body == message.body
    deliver_thank_you.enqueue(thank_you.pk)  # a retried task sends nothing twice
    from receipts.thanks import thank_you_write

    assert thank_you_write(gift=gift) == thank_you
    assert len([m for m in mail.outbox if m.subject.startswith("Thank you")]) == 1


def test_offline_gifts_are_thanked_when_their_batch_closes_and_imports_are_not(
    us_org, finance_user, django_capture_on_commit_callbacks
):
    from donors.importing import gifts_import
    from donors.models import Gift
    from donors.services import batch_close, batch_open, gift_record
    from tests.factories import FundFactory

    fund = FundFactory(code="GEN")
    batch = batch_open(reference="DEP-9", deposited_on=timezone.localdate(), currency="USD",
                       expected_count=1, expected_total=4_000, by=finance_user)  # fmt: skip
    cheque = Gift(donor=DonorFactory(email="chq@example.net"), amount=4_000, currency="USD",
                  batch=batch, received_on=batch.deposited_on,
                  method=Gift.Method.CHEQUE)  # fmt: skip
    gift_record(gift=cheque, split=[(fund, 4_000)], by=finance_user)
    assert not ThankYou.objects.exists()  # pending in its batch: not yet
    with django_capture_on_commit_callbacks(execute=True):
        batch_close(batch=batch, by=finance_user)
    assert _thanks("chq@example.net")
    day = timezone.localdate().isoformat()
    csv = ("email,first_name,last_name,amount,currency,date,fund\n"
           f"old@example.net,O,Ld,40.00,USD,{day},GEN\n")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert gifts_import(data=csv.encode(), by=None, commit=True).committed
    assert not [m for m in mail.outbox if m.to == ["old@example.net"]]


def test_a_campaigns_own_words_in_the_donors_language_with_placeholders_only(
    us_org, django_capture_on_commit_callbacks, fundraising_client
):
    award = CampaignFactory(name="Human Freedom Music Awards")
    ThankYouText.objects.create(campaign=award, language="fr", subject="Merci, {first_name} !",
                                body="Votre don de {amount} à {campaign}. {receipt}")  # fmt: skip
    _give(django_capture_on_commit_callbacks, amount=2_500, currency="USD", campaign=award,
          donor=DonorFactory(first_name="Zoé", email="zoe@example.net",
                             preferred_language="fr"))  # fmt: skip
    (message,) = [m for m in mail.outbox if m.to == ["zoe@example.net"]
                  and m.subject.startswith("Merci")]  # fmt: skip
    assert message.subject == "Merci, Zoé !"
    assert message.body.startswith("Votre don de $25.00 à Human Freedom Music Awards.")
    # Typed by fundraising: only the known placeholders, and a preview on a real gift.
    add = reverse("admin:receipts_thankyoutext_add")
    refused = fundraising_client.post(add, {"language": "en", "subject": "Hi {donor.user.password}",
                                            "body": "{amount}"})  # fmt: skip
    assert "Unknown placeholder(s): {donor.user.password}" in refused.content.decode()
    text = ThankYouText.objects.get(campaign=award)
    page = fundraising_client.get(reverse("admin:receipts_thankyoutext_change", args=[text.pk]))
    assert "Merci, Zoé !" in page.content.decode()


def test_the_thanks_page_says_what_will_really_come(us_org, client):
    from payments.models import Donation

    campaign = CampaignFactory(code="hfma")
    from tests.factories import FundFactory

    fund = FundFactory()
    for amount, currency, said in [
        (5_000, "EUR", "Gifts in euros are not tax-receipted in the United States"),
        (30_000, "USD", "Your tax receipt follows by e-mail"),
    ]:
        donation = Donation.objects.create(campaign=campaign, fund=fund, amount=amount,
                                           currency=currency, frequency="once",
                                           checkout_session_id=f"cs_{currency}",
                                           status="paid")  # fmt: skip
        page = client.get(reverse("give_thanks", args=["hfma"]), {"session_id": f"cs_{currency}"})
        assert said in page.content.decode(), donation

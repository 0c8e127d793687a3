"""A sponsorship payment gets an acknowledgement letter (not a donation receipt) stating the
value of the benefits received for it; over 2 % of the payment is said plainly."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from sponsorships.models import AcknowledgementLetter, Benefit, SponsorContact
from sponsorships.services import payment_apply, payment_record
from tests.factories import SponsorFactory, UserFactory, agreement

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def deal():
    sponsor = SponsorFactory(name="Harbor Trust Bank", billing_email="ap@harbor.example",
                             billing_address="1 Harbor Way\nBoston MA")  # fmt: skip
    made = agreement(sponsor=sponsor, title="Gala partner", amount=1_000_000, frequency="yearly")
    Benefit.objects.create(agreement=made, description="Gala table for ten",
                           fair_market_value=150_000)  # fmt: skip
    return made


def _pay(deal, amount, capture):
    with capture(execute=True):
        return payment_record(sponsor=deal.sponsor, amount=amount, currency="USD",
                              received_on=dt.date(2026, 3, 2), method="wire", by=None)  # fmt: skip


def test_a_payment_gets_a_letter_with_the_value_of_its_benefits(
    deal, django_capture_on_commit_callbacks
):
    payment = _pay(deal, 400_000, django_capture_on_commit_callbacks)
    letter = AcknowledgementLetter.objects.get(payment=payment)
    assert letter.benefits_value == 60_000  # 40 % of the agreement: 40 % of the $1,500 table
    assert letter.substantial and letter.contribution == 340_000
    [message] = mail.outbox
    assert message.to == ["ap@harbor.example"] and letter.letter_number in message.subject
    text = _text(message.attachments[0][1])
    for said in ["Acknowledgement of sponsorship payment", letter.letter_number,
                 "Harbor Trust Bank", "$4,000.00", "Gala table for ten ($1,500.00)",
                 "Value of benefits received for this payment: $600.00",
                 "exceeds the value of the benefits: $3,400.00", "more than 2 %",
                 "not a receipt for a donation"]:  # fmt: skip
        assert said in text, said


def test_credit_applied_later_replaces_the_letter(deal, django_capture_on_commit_callbacks):
    payment = _pay(deal, 1_200_000, django_capture_on_commit_callbacks)  # $2,000 over: credit
    renewal = agreement(sponsor=deal.sponsor, title="Renewal", amount=200_000,
                        frequency="yearly", starts_on=dt.date(2027, 1, 15))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        payment_apply(payment=payment, instalment=renewal.instalments.get(), amount=200_000,
                      by=None)  # fmt: skip
    letters = AcknowledgementLetter.objects.filter(payment=payment).order_by("number")
    assert [x.status for x in letters] == ["void", "issued"]
    assert [line["title"] for line in letters[1].lines] == ["Gala partner", "Renewal"]
    assert letters[1].number == letters[0].number + 1


def test_a_letter_never_changes_and_is_never_deleted(deal, django_capture_on_commit_callbacks):
    letter = AcknowledgementLetter.objects.get(
        payment=_pay(deal, 100_000, django_capture_on_commit_callbacks)
    )
    letter.amount = 1
    with pytest.raises(ValidationError, match="cannot change"):
        letter.save()
    with pytest.raises(ValidationError, match="never deleted"):
        letter.delete()


def test_the_sponsor_downloads_its_letters_and_no_one_elses(
    client, deal, django_capture_on_commit_callbacks
):
    letter = AcknowledgementLetter.objects.get(
        payment=_pay(deal, 100_000, django_capture_on_commit_callbacks)
    )
    user = UserFactory()
    SponsorContact.objects.create(sponsor=deal.sponsor, name="Ann", email=user.email, user=user)
    client.force_login(user)
    assert letter.letter_number in client.get(reverse("sponsor_portal")).content.decode()
    assert client.get(reverse("sponsor_letter_pdf", args=[letter.pk])).status_code == 200
    stranger = UserFactory()
    SponsorContact.objects.create(sponsor=SponsorFactory(), name="Bo", email=stranger.email,
                                  user=stranger)  # fmt: skip
    client.force_login(stranger)
    assert client.get(reverse("sponsor_letter_pdf", args=[letter.pk])).status_code == 404


def test_letter_invoice_and_agreement_page_agree_after_a_benefits_value_changes(
    fundraising_client, django_capture_on_commit_callbacks
):
    """The prize-pool case: benefits valued after the letters were issued. The letters in
    force are voided and issued again, and all three documents state the same value and
    the same 2 % verdict."""
    from sponsorships.rendering import instalment_invoice_pdf

    sponsor = SponsorFactory(name="Soundwave Music Group", billing_email="ap@soundwave.example")
    deal = agreement(sponsor=sponsor, title="Prize pool", amount=1_000_000, frequency="yearly")
    stage = Benefit.objects.create(agreement=deal, description="Logo on the award stage",
                                   fair_market_value=0)  # fmt: skip
    payment = _pay(deal, 500_000, django_capture_on_commit_callbacks)
    first = AcknowledgementLetter.objects.get(payment=payment)
    assert first.benefits_value == 0 and not first.substantial

    url = reverse("admin:sponsorships_agreement_change", args=[deal.pk])
    page = fundraising_client.get(url).content.decode()
    form = {name: value for name, value in re.findall(
        r'name="([^"]+)"[^>]*value="([^"]*)"', page)}  # fmt: skip
    form |= {"sponsor": sponsor.pk, "title": "Prize pool", "currency": "USD",
             "amount_text": "10000.00", "status": "active", "starts_on": "2026-01-15",
             "benefits-0-description": "Logo on the award stage",
             "benefits-0-fair_market_value_text": "280.00"}  # fmt: skip
    form = {k: v for k, v in form.items() if not k.startswith(("_", "csrf"))} | {"_save": "Save"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = fundraising_client.post(url, form, follow=True)
    assert "voided and issued again" in answer.content.decode(), answer.content.decode()[:3000]
    stage.refresh_from_db()
    assert stage.fair_market_value == 28_000  # 2.8 % of the agreement

    first.refresh_from_db()
    now = AcknowledgementLetter.objects.get(payment=payment, status="issued")
    assert first.status == "void" and "benefits' value changed" in first.void_reason
    assert now.benefits_value == 14_000 and now.substantial  # half the agreement paid
    letter = _text(now.pdf.open("rb").read())
    invoice = _text(instalment_invoice_pdf(deal.instalments.order_by("number").first()))
    agreement_page = " ".join(fundraising_client.get(
        reverse("agreement_page", args=[deal.pk])).content.decode().split())  # fmt: skip
    assert "Logo on the award stage ($280.00)" in letter and "more than 2 %" in letter
    for text in (invoice, agreement_page):
        assert "Worth $280.00 in all, 2.8 % of the agreement: more than 2 %, a substantial " \
               "return benefit" in text, text[:2000]  # fmt: skip

"""Overdue instalments are chased by e-mail (not more than weekly); a sponsor's contact is
invited to the portal and signs in with a code, no password."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from receipts.models import Organisation
from sponsorships.models import SponsorContact
from tests.factories import SponsorFactory, agreement

pytestmark = pytest.mark.django_db


def test_overdue_instalments_are_reminded_once_a_week_with_how_to_pay():
    Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Humans Against Trafficking",
        "bank_details": "Harbor Trust Bank · IBAN US00 0000 0000 0000"})  # fmt: skip
    today = timezone.localdate()
    late = agreement(sponsor=SponsorFactory(billing_email="ap@late.example"), amount=400_000,
                     starts_on=today - dt.timedelta(days=100), frequency="monthly",
                     ends_on=today + dt.timedelta(days=200))  # fmt: skip
    call_command("send_instalment_reminders", stdout=io.StringIO())
    overdue = [i for i in late.instalments.all() if i.due_on < today]
    assert len(mail.outbox) == len(overdue) == 4
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["ap@late.example"] and "IBAN US00" in body
    assert f"AGR-{late.pk}-1" in body and "was due on" in body
    call_command("send_instalment_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 4  # not again within a week


def test_a_contact_is_invited_and_signs_in_with_a_code(client):
    from sponsorships.notices import contact_invite

    deal = agreement(title="Prize pool partner")
    contact = SponsorContact.objects.create(
        sponsor=deal.sponsor, name="Sam Lee", email="sam@soundwave.example", role="billing"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        contact_invite(contact=contact, by=None)
    contact.refresh_from_db()
    assert contact.user.email == "sam@soundwave.example" and not contact.user.has_usable_password()
    assert "Sign in with a code" in mail.outbox[0].body
    client.post(reverse("account_request_login_code"), {"email": "sam@soundwave.example"})
    code = mail.outbox[-1].body.split("browser window.")[1].strip().splitlines()[0].strip()
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert "Prize pool partner" in client.get(reverse("sponsor_portal")).content.decode()

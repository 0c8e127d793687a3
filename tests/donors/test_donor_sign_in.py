"""Every donor on record can sign in: asking for a code makes their sign-in on the spot.
Sign-up stays closed, and the answer never tells whether an address is known."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from donors.models import Donor
from tests.factories import DonorFactory, UserFactory, posted_gift

pytestmark = pytest.mark.django_db


def _ask(client, email: str):
    return client.post(reverse("account_request_login_code"), {"email": email})


def _code(message) -> str:
    return message.body.split("browser window.")[1].strip().splitlines()[0].strip()


def test_a_donor_without_a_sign_in_asks_for_a_code_and_reaches_their_receipts(client):
    from receipts.services import receipt_issue

    donor = DonorFactory(email="lena@example.net", first_name="Lena", last_name="Park")
    gift = posted_gift(donor=donor, amount=30_000)
    receipt = receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=None)
    mail.outbox.clear()
    assert donor.user is None
    answer = _ask(client, "Lena@Example.net ")
    assert answer.status_code == 302 and answer["Location"] == reverse("account_confirm_login_code")
    (message,) = mail.outbox
    assert message.to == ["lena@example.net"] and "sign-in code" in message.body
    client.post(reverse("account_confirm_login_code"), {"code": _code(message)})
    page = client.get(reverse("my_gifts"))
    assert page.status_code == 200 and "Thank you, Lena Park" in page.content.decode()
    assert receipt.receipt_number in page.content.decode()
    donor.refresh_from_db()
    assert donor.user.email == "lena@example.net" and not donor.user.has_usable_password()
    assert EmailAddress.objects.get(user=donor.user).verified  # the code proved the mailbox


def test_an_unknown_address_gets_the_same_answer_and_no_account(client):
    DonorFactory(email="known@example.net")
    known = _ask(client, "known@example.net")
    client.cookies.clear()
    unknown = _ask(client, "stranger@example.net")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert not User.objects.filter(email="stranger@example.net").exists()
    told = mail.outbox[-1]
    assert told.to == ["stranger@example.net"] and "No gift or account of ours" in told.body
    assert "sign up" not in told.body.lower()


def test_staff_and_merged_records_are_never_turned_into_donor_sign_ins(client):
    from donors.services import donor_login_for

    UserFactory(email="farah@example.org", is_staff=True)
    colleague = DonorFactory(email="farah@example.org")  # a colleague who also gives
    assert donor_login_for("farah@example.org") is None
    colleague.refresh_from_db()
    assert User.objects.filter(email="farah@example.org").count() == 1 and colleague.user is None
    kept = DonorFactory(email="kept@example.net")
    gone = DonorFactory(email="gone@example.net")
    Donor.objects.filter(pk=gone.pk).update(merged_into=kept)
    assert donor_login_for("gone@example.net") is None
    assert donor_login_for("kept@example.net").donor == kept
    assert donor_login_for("kept@example.net") is None  # once: the second ask finds the login


def test_the_receipt_email_says_where_the_donors_page_is(
    settings, django_capture_on_commit_callbacks
):
    from receipts.services import receipt_issue

    settings.SITE_URL = "https://give.example.org"
    donor = DonorFactory(email="mo@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        receipt_issue(gifts=[posted_gift(donor=donor, amount=30_000)], kind="gift",
                      jurisdiction="US", by=None)  # fmt: skip
    body = next(m.body for m in mail.outbox if m.to == ["mo@example.net"]
                and "receipt" in m.subject.lower())  # fmt: skip
    assert re.search(r"https://give\.example\.org/me/: sign in with a code", body)

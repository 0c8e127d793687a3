"""A donor cannot take over a sponsor contact's portal access: no account adds an address to
itself, and an invitation never attaches a portal through an address an account added."""

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_added, email_changed
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from sponsorships.models import SponsorContact
from sponsorships.notices import contact_invite
from tests.factories import DonorFactory, UserFactory, agreement

pytestmark = pytest.mark.django_db

CONTACT = "sam@soundwave.example"


def _donor_signed_in(client):
    user = UserFactory(email="dana@example.net")
    DonorFactory(email="dana@example.net", user=user)
    client.force_login(user)
    return user


def test_a_donor_cannot_put_a_sponsor_contacts_address_on_their_account(client):
    user = _donor_signed_in(client)
    page = client.get("/accounts/email/")
    response = client.post("/accounts/email/", {"email": CONTACT, "action_add": ""})
    assert (page.status_code, response.status_code) == (404, 404)
    assert not EmailAddress.objects.filter(email__iexact=CONTACT).exists()
    user.refresh_from_db()
    assert user.email == "dana@example.net"


def test_an_invitation_never_attaches_through_an_address_the_account_added_itself(client):
    """As the attack went before addresses were closed: the donor added the contact's
    address, somebody confirmed it, the donor made it primary; then staff invited."""
    user = _donor_signed_in(client)
    request = RequestFactory().post("/accounts/email/")
    added = EmailAddress.objects.create(user=user, email=CONTACT, verified=True, primary=False)
    email_added.send(sender=EmailAddress, request=request, user=user, email_address=added)
    old = EmailAddress.objects.create(user=user, email="dana@example.net", verified=True)
    added.set_as_primary()
    email_changed.send(sender=EmailAddress, request=request, user=user,
                       from_email_address=old, to_email_address=added)  # fmt: skip
    user.refresh_from_db()
    assert user.email == CONTACT

    deal = agreement(title="Prize pool partner")
    contact = SponsorContact.objects.create(
        sponsor=deal.sponsor, name="Sam Lee", email=CONTACT, role="billing"
    )
    with pytest.raises(ValidationError, match="added that address itself"):
        contact_invite(contact=contact, by=None)
    contact.refresh_from_db()
    assert contact.user is None
    assert client.get(reverse("sponsor_portal")).status_code in (403, 404)
    assert "Prize pool partner" not in client.get(reverse("sponsor_portal")).content.decode()


def test_an_invitation_still_finds_the_account_the_organisation_gave_that_address():
    user = UserFactory(email=CONTACT)
    user.set_unusable_password()
    user.save()
    contact = SponsorContact.objects.create(
        sponsor=agreement().sponsor, name="Sam Lee", email=CONTACT, role="viewer"
    )
    contact_invite(contact=contact, by=None)
    contact.refresh_from_db()
    assert contact.user == user

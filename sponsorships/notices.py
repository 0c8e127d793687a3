"""E-mails to sponsors: payment reminders for overdue instalments, and portal invitations
(the contact signs in with an e-mailed code through allauth; no password is set)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.addresses import account_given_address
from backoffice.branding import sender
from backoffice.permissions import require_permission
from sponsorships.models import Instalment, SponsorContact

REMIND_AGAIN_AFTER = dt.timedelta(days=7)


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _org_name() -> str:
    from backoffice.branding import current_brand

    return current_brand().name


def _bank_details() -> str:
    from receipts.models import Organisation

    return Organisation.current().bank_details


def instalment_send_reminder(*, instalment: Instalment, by, force: bool = False) -> bool:
    """E-mail the sponsor's billing address about an overdue instalment; not again within a
    week unless forced. Returns whether a reminder went out."""
    require_permission(by, "sponsorships.change_instalment", to="send payment reminders")
    instalment = Instalment.objects.select_related("agreement__sponsor").get(pk=instalment.pk)
    agreement, sponsor = instalment.agreement, instalment.agreement.sponsor
    if instalment.open_amount <= 0 or instalment.due_on >= timezone.localdate():
        return False
    if (
        not force
        and instalment.reminded_at
        and (timezone.now() - instalment.reminded_at < REMIND_AGAIN_AFTER)
    ):
        return False
    to = [sponsor.billing_email] if sponsor.billing_email else []
    to += [c.email for c in sponsor.contacts.filter(role=SponsorContact.Role.BILLING)]
    if not to:
        raise ValidationError(f"{sponsor} has no billing e-mail and no billing contact.")
    context = {
        "instalment": instalment, "agreement": agreement, "sponsor": sponsor,
        "org_name": _org_name(), "bank_details": _bank_details(),
        "reference": f"AGR-{agreement.pk}-{instalment.number}",
        "portal_url": _site(reverse("sponsor_portal")),
    }  # fmt: skip
    subject = render_to_string("sponsorships/email/reminder_subject.txt", context).strip()
    body = render_to_string("sponsorships/email/reminder_body.txt", context)
    EmailMessage(subject=subject, body=body, to=sorted(set(to)), from_email=sender()).send()
    Instalment.objects.filter(pk=instalment.pk).update(reminded_at=timezone.now())
    return True


@transaction.atomic
def contact_invite(*, contact: SponsorContact, by) -> SponsorContact:
    """Give a sponsor's contact a portal sign-in (a user without a password: they sign in
    with an e-mailed code) and e-mail them the invitation. Inviting again re-sends it."""
    require_permission(by, "sponsorships.change_sponsorcontact", to="invite sponsor contacts")
    User = get_user_model()
    contact = SponsorContact.objects.select_related("sponsor").get(pk=contact.pk)
    user = contact.user or account_given_address(contact.email)
    if user is None:
        user = User(email=contact.email.lower(), first_name=contact.name[:150])
        user.set_unusable_password()
        user.save()
    if user.is_staff:
        raise ValidationError(f"{contact.email} is a staff account: staff do not use the portal.")
    contact.user, contact.invited_at = user, timezone.now()
    contact.save(update_fields=["user", "invited_at"])
    context = {"contact": contact, "sponsor": contact.sponsor, "org_name": _org_name(),
               "login_url": _site(reverse("account_request_login_code"))}  # fmt: skip
    subject = render_to_string("sponsorships/email/invite_subject.txt", context).strip()
    body = render_to_string("sponsorships/email/invite_body.txt", context)
    transaction.on_commit(
        lambda: EmailMessage(
            subject=subject, body=body, to=[contact.email], from_email=sender()
        ).send()
    )
    return contact

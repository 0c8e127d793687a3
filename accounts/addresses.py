"""Which account an e-mail address stands for. An address counts only when the organisation
gave it to the account (staff made the account, or it came from a donor or contact record):
one that an account added to itself stands for nothing, whoever confirmed it."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts.models import SelfAddedAddress, User


def record_self_added(sender, *, user, email_address=None, to_email_address=None, **kwargs):
    """allauth's email_added and email_changed signals: the account did this itself."""
    address = email_address or to_email_address
    if address is not None:
        SelfAddedAddress.objects.get_or_create(user=user, email=address.email.lower())


def account_given_address(email: str) -> User | None:
    """The account whose sign-in address is `email`, unless the account added it itself
    (then ValidationError: staff must check with the person and choose the account)."""
    user = User.objects.filter(email__iexact=email).first()
    if (
        user is not None
        and SelfAddedAddress.objects.filter(user=user, email__iexact=email).exists()
    ):
        raise ValidationError(
            f"The account that signs in as {email} added that address itself, so it proves "
            "nothing about who owns it: nothing is attached to it. Check with the person, then "
            "choose the account on their record."
        )
    return user

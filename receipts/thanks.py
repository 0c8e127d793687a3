"""A thank-you for every gift, online and offline, in any currency, in the donor's language:
with a word on its receipt (which comes in its own e-mail) or one sentence on why there is
none. Fundraising writes the texts (ThankYouText), with placeholders only."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from backoffice.branding import current_brand, sender
from backoffice.errors import mail_failure_sentence
from backoffice.money import format_money
from receipts import rules

PLACEHOLDERS = ("first_name", "amount", "campaign", "organisation", "donor_page", "receipt")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

DEFAULT_SUBJECT = "Thank you, {first_name}"
DEFAULT_BODY = """Dear {first_name},

Thank you for your gift of {amount} to {campaign}. It goes to work at once.

{receipt}

Your gifts and receipts are on {donor_page} (sign in with a code sent to this address).

With our thanks,
{organisation}"""


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def fill(text: str, values: dict[str, str]) -> str:
    """Placeholders replaced by their values; nothing else in the text is interpreted."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def receipt_sentence(gift, *, organisation) -> str:
    from receipts.models import ReceiptLine

    line = (ReceiptLine.objects.filter(gift=gift, in_force=True)
            .select_related("receipt__series").first())  # fmt: skip
    if line is not None:
        return (f"Your tax receipt {line.receipt.receipt_number} comes in its own e-mail; "
                "keep it for your tax return.")  # fmt: skip
    why = rules.why_no_receipt_now(amount=gift.kept_amount, currency=gift.currency,
                                   organisation=organisation)  # fmt: skip
    return why or "Your tax receipt follows in its own e-mail as soon as it is ready."


def thanks_values(gift, *, organisation) -> dict[str, str]:
    donor = gift.donor
    name = organisation.display_name or organisation.legal_name or current_brand().name
    return {
        "first_name": donor.first_name or donor.display_name or "friend",
        "amount": format_money(gift.amount, gift.currency),
        "campaign": gift.campaign.name if gift.campaign_id else "our work",
        "organisation": name,
        "donor_page": settings.SITE_URL.rstrip("/") + reverse("my_gifts"),
        "receipt": receipt_sentence(gift, organisation=organisation),
    }


def text_for(gift):
    """The campaign's own text in the donor's language, else the general one, else ours:
    the candidates in one query, chosen here."""
    from receipts.models import ThankYouText

    language = gift.donor.preferred_language or "en"
    found = {
        (t.campaign_id, t.language): (t.subject, t.body)
        for t in ThankYouText.objects.filter(
            campaign_id__in=[c for c in (gift.campaign_id,) if c], language__in=[language, "en"]
        ).union(ThankYouText.objects.filter(campaign=None, language__in=[language, "en"]))
    }
    for key in [(gift.campaign_id, language), (gift.campaign_id, "en"), (None, language),
                (None, "en")]:  # fmt: skip
        if key in found:
            return found[key]
    return DEFAULT_SUBJECT, DEFAULT_BODY


@transaction.atomic
def thank_you_write(*, gift):
    """The gift's thank-you, written once (a second call returns the first), and queued."""
    from receipts.models import Organisation, ThankYou

    existing = ThankYou.objects.filter(gift=gift).first()
    if existing is not None:
        return existing
    subject, body = text_for(gift)
    values = thanks_values(gift, organisation=Organisation.current())
    # A donor who asked for no e-mail about their gifts (receipts by post) is thanked by
    # post or phone: the thank-you waits, written, on their record.
    to = gift.donor.email if gift.donor.email and gift.donor.receipts_by_email else ""
    thank_you = ThankYou.objects.create(
        gift=gift, to=to, subject=fill(subject, values)[:300], body=fill(body, values),
        status=ThankYou.Status.WAITING if to else ThankYou.Status.NO_EMAIL,
    )  # fmt: skip
    if to:
        from receipts.tasks import deliver_thank_you

        transaction.on_commit(lambda: deliver_thank_you.enqueue(thank_you.pk))
    return thank_you


def thank_you_send(*, thank_you_id: int):
    """E-mail a thank-you that is waiting or failed; one already sent is left alone."""
    from receipts.models import ThankYou

    with transaction.atomic():
        thank_you = ThankYou.objects.select_for_update().get(pk=thank_you_id)
        if thank_you.status not in (ThankYou.Status.WAITING, ThankYou.Status.FAILED):
            return thank_you
        try:
            EmailMessage(subject=thank_you.subject, body=thank_you.body, to=[thank_you.to],
                         from_email=sender()).send()  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - any mail failure is kept for a retry
            thank_you.status = ThankYou.Status.FAILED
            thank_you.error = mail_failure_sentence(exc, doing="sending a thank-you")[:300]
        else:
            thank_you.status, thank_you.sent_at, thank_you.error = (
                ThankYou.Status.SENT,
                timezone.now(),
                "",
            )
        thank_you.save(update_fields=["status", "sent_at", "error"])
    return thank_you


def preview(text_subject: str, text_body: str, gift) -> tuple[str, str]:
    """What a text would say for `gift` (the admin's preview)."""
    from receipts.models import Organisation

    values = thanks_values(gift, organisation=Organisation.current())
    return fill(text_subject, values), fill(text_body, values)

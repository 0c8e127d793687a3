"""Acknowledgement letters for sponsorship payments: issued when a payment is applied to an
agreement, they state what was received and the fair market value of the benefits the
sponsor received for it (the benefits of each agreement, in proportion to the part of the
agreement this payment covers). Drawn and e-mailed to the billing contacts in a task."""

from __future__ import annotations

from fractions import Fraction

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from backoffice.branding import sender
from backoffice.documents import store_pdf_once
from sponsorships.models import (
    AcknowledgementLetter,
    LetterSeries,
    PaymentApplication,
    SponsorContact,
    SponsorPayment,
)
from sponsorships.selectors import SUBSTANTIAL_BENEFIT_PERCENT


def _next_number(year: int) -> tuple[LetterSeries, int]:
    series, _ = LetterSeries.objects.get_or_create(year=year)
    series = LetterSeries.objects.select_for_update().get(pk=series.pk)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series, series.last_number


def _lines(payment: SponsorPayment) -> list[dict]:
    by_agreement: dict[int, dict] = {}
    # In the order they were applied: the letter reads the same on every database.
    applications = (
        PaymentApplication.objects.filter(payment=payment)
        .select_related("instalment__agreement").order_by("id")
    )  # fmt: skip
    for application in applications:
        agreement = application.instalment.agreement
        line = by_agreement.setdefault(agreement.pk, {
            "agreement": agreement.pk, "title": agreement.title, "applied": 0,
            "agreement_amount": agreement.amount,
            "benefits": [{"description": b.description, "fair_market_value": b.fair_market_value}
                         for b in agreement.benefits.order_by("id")],
        })  # fmt: skip
        line["applied"] += application.amount
    for line in by_agreement.values():
        total = sum(b["fair_market_value"] for b in line["benefits"])
        line["share"] = total * line["applied"] // line["agreement_amount"]
    return list(by_agreement.values())


@transaction.atomic
def letter_issue(*, payment: SponsorPayment, by=None) -> AcknowledgementLetter:
    """The payment's letter (one in force per payment). Refused when nothing of the payment
    is applied to an agreement yet: it is credit, and acknowledged once applied."""
    payment = (
        SponsorPayment.objects.select_for_update().select_related("sponsor").get(pk=payment.pk)
    )
    existing = payment.letters.filter(status=AcknowledgementLetter.Status.ISSUED).first()
    if existing:
        return existing
    lines = _lines(payment)
    if not lines:
        raise ValidationError("Nothing of this payment is applied to an agreement yet.")
    value = sum(line["share"] for line in lines)
    # The agreements' own verdict, weighted by what was applied to each (not the share,
    # rounded down, against the payment with its credit): for one agreement it is exactly
    # what its page and its invoice say.
    exact = sum(Fraction(line["applied"] * sum(b["fair_market_value"] for b in line["benefits"]),
                         line["agreement_amount"]) for line in lines)  # fmt: skip
    applied = sum(line["applied"] for line in lines)
    now = timezone.now()
    series, number = _next_number(now.year)
    letter = AcknowledgementLetter.objects.create(
        payment=payment, series=series, number=number, issued_at=now,
        sponsor_name=payment.sponsor.name, sponsor_address=payment.sponsor.billing_address,
        amount=payment.amount, currency=payment.currency, received_on=payment.received_on,
        lines=lines, benefits_value=value,
        substantial=exact * 100 > applied * SUBSTANTIAL_BENEFIT_PERCENT,
    )  # fmt: skip
    from sponsorships.tasks import deliver_letter

    transaction.on_commit(lambda: deliver_letter.enqueue(letter.pk))
    return letter


@transaction.atomic
def letter_follow_payment(*, payment: SponsorPayment) -> AcknowledgementLetter:
    """After (more of) a payment is applied: its letter, issued now, or voided and issued
    again when it no longer says what the payment paid for."""
    for letter in payment.letters.filter(status=AcknowledgementLetter.Status.ISSUED):
        letter_void(letter=letter, reason="More of the payment was applied: letter replaced")
    return letter_issue(payment=payment)


@transaction.atomic
def letters_follow_benefits(*, agreement) -> list[AcknowledgementLetter]:
    """After an agreement's benefits changed (a value, one added or removed): each letter in
    force that states other benefits than the agreement now has is voided and issued again,
    so that letter, invoice and agreement page say the same. Returns the new letters."""
    issued = AcknowledgementLetter.objects.filter(
        status=AcknowledgementLetter.Status.ISSUED,
        payment__applications__instalment__agreement=agreement,
    ).select_related("payment").distinct()  # fmt: skip
    renewed = []
    for letter in issued:
        if letter.lines == _lines(letter.payment):
            continue  # it still says what the agreements say
        letter_void(letter=letter, reason="The benefits' value changed: letter replaced")
        renewed.append(letter_issue(payment=letter.payment))
    return renewed


@transaction.atomic
def letter_void(*, letter: AcknowledgementLetter, reason: str) -> AcknowledgementLetter:
    if not reason.strip():
        raise ValidationError({"void_reason": "Say why the letter is void."})
    letter = AcknowledgementLetter.objects.select_for_update().get(pk=letter.pk)
    letter.status, letter.void_reason = AcknowledgementLetter.Status.VOID, reason.strip()[:300]
    letter.save(update_fields=["status", "void_reason"])
    return letter


def letter_pdf(letter: AcknowledgementLetter) -> bytes:
    from receipts.models import Organisation
    from receipts.rendering import html_to_pdf

    org = Organisation.current()
    return html_to_pdf(render_to_string("sponsorships/pdf/letter.html",
                                        {"letter": letter, "org": org}))  # fmt: skip


def letter_deliver(*, letter: AcknowledgementLetter) -> AcknowledgementLetter:
    """Draw the letter once and e-mail it to the sponsor's billing address and contacts."""
    letter = AcknowledgementLetter.objects.select_related("series", "payment__sponsor").get(
        pk=letter.pk
    )
    if not letter.pdf_sha256:
        store_pdf_once(letter, content=letter_pdf(letter), filename=f"{letter.letter_number}.pdf")
    if letter.sent_at:
        return letter
    sponsor = letter.payment.sponsor
    to = {sponsor.billing_email} if sponsor.billing_email else set()
    to |= set(sponsor.contacts.filter(role=SponsorContact.Role.BILLING)
              .values_list("email", flat=True))  # fmt: skip
    if not to:
        return letter
    message = EmailMessage(
        subject=f"Acknowledgement of your payment ({letter.letter_number})",
        body=render_to_string("sponsorships/email/letter_body.txt", {"letter": letter}),
        to=sorted(to),
        from_email=sender(),
    )
    letter.pdf.open("rb")
    try:
        message.attach(f"{letter.letter_number}.pdf", letter.pdf.read(), "application/pdf")
    finally:
        letter.pdf.close()
    message.send()
    AcknowledgementLetter.objects.filter(pk=letter.pk).update(sent_at=timezone.now())
    return letter

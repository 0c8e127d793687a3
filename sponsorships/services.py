"""What staff do with sponsorships, one transaction each: schedule an agreement's
instalments, record a sponsor's payment and apply it, write off what will not be paid,
record a benefit delivered, and pay money out of a restricted fund (never more than it
received)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from backoffice.audit import changed_by
from backoffice.money import money_label, validate_currency
from backoffice.permissions import require_permission
from donors.models import Fund
from ledger import services as ledger
from sponsorships.models import (
    Agreement,
    Benefit,
    Disbursement,
    Instalment,
    PaymentApplication,
    Sponsor,
    SponsorPayment,
)
from sponsorships.schedule import Frequency, Remainder, schedule_dates, split_amount


@transaction.atomic
def agreement_schedule(
    *,
    agreement: Agreement,
    by,
    frequency: Frequency | None = None,
    dates: Sequence[dt.date] | None = None,
    remainder: Remainder = Remainder.FIRST,
    unit: int = 1,
) -> list[Instalment]:
    """(Re)build the agreement's instalments: one per period from its start (`frequency`)
    or on the given `dates`, adding up to its amount exactly. Refused once money has been
    applied to or written off any of them: change those one by one instead."""
    require_permission(by, "sponsorships.change_agreement", to="build instalment schedules")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    touched = agreement.instalments.filter(paid_amount__gt=0) | agreement.instalments.filter(
        written_off_amount__gt=0
    )
    if touched.exists():
        raise ValidationError("Payments or write-offs are recorded on this schedule: it stays.")
    if dates is None:
        if frequency is None:
            raise ValidationError({"frequency": "Choose a frequency or give the dates."})
        dates = schedule_dates(
            starts_on=agreement.starts_on, ends_on=agreement.ends_on, frequency=frequency
        )
    dates = sorted(dates)
    if not dates:
        raise ValidationError({"dates": "A schedule has at least one due date."})
    if len(set(dates)) != len(dates):
        raise ValidationError({"dates": "Two instalments fall on the same day."})
    amounts = split_amount(total=agreement.amount, count=len(dates), remainder=remainder,
                           unit=unit)  # fmt: skip
    agreement.instalments.all().delete()
    return Instalment.objects.bulk_create(
        [Instalment(agreement=agreement, number=n, due_on=due, amount=amount)
         for n, (due, amount) in enumerate(zip(dates, amounts, strict=True), 1)]
    )  # fmt: skip


def _open_instalments(sponsor: Sponsor, currency: str):
    return (
        Instalment.objects.select_for_update()
        .filter(agreement__sponsor=sponsor, agreement__currency=currency,
                agreement__status__in=Agreement.PLEDGED)
        .filter(paid_amount__lt=F("amount") - F("written_off_amount"))
        .order_by("due_on", "agreement_id", "number")
    )  # fmt: skip


@transaction.atomic
def payment_record(
    *,
    sponsor: Sponsor,
    amount: int,
    currency: str,
    received_on: dt.date,
    method: str,
    by,
    reference: str = "",
    apply_to: Sequence[tuple[Instalment, int]] | None = None,
    pay_in_order: Sequence[Instalment] | None = None,
    stripe_charge_id: str = "",
) -> SponsorPayment:
    """Record money received from a sponsor and apply it: to the given instalments and
    amounts (`apply_to`), or to the given instalments in that order, each up to what it
    still owes (`pay_in_order`), or else to the sponsor's open instalments in that currency,
    oldest first. Whatever is left is the sponsor's credit (an overpayment), to apply later."""
    validate_currency(currency)
    if amount <= 0:
        raise ValidationError({"amount": "A payment is more than zero."})
    payment = changed_by(
        SponsorPayment(sponsor=sponsor, amount=amount, currency=currency, received_on=received_on,
                       method=method, reference=reference.strip(), recorded_by=by,
                       stripe_charge_id=stripe_charge_id),
        by,
    )  # fmt: skip
    _refuse_if_recorded(payment)
    payment.full_clean()
    ledger.refuse_closed(received_on, field="received_on", what="A sponsor payment")
    try:
        with transaction.atomic():  # a savepoint: the same payment recorded a moment earlier
            payment.save()
    except IntegrityError:
        _refuse_if_recorded(payment)
        raise
    if apply_to is not None:
        plan = list(apply_to)
    else:
        order = pay_in_order if pay_in_order else _open_instalments(sponsor, currency)
        plan = _fill_in_order(amount, order)
    _apply(payment, plan, by=by)
    ledger.post_sponsor_payment(payment, by=by)
    return payment


def _refuse_if_recorded(payment: SponsorPayment) -> None:
    if (
        payment.reference
        and SponsorPayment.objects.filter(
            method=payment.method, reference=payment.reference
        ).exists()
    ):
        raise ValidationError({"reference": (
            f"A {payment.get_method_display().lower()} payment with the reference "
            f"{payment.reference} is already recorded."
        )})  # fmt: skip


def _fill_in_order(amount: int, instalments) -> list[tuple[Instalment, int]]:
    """`amount` shared over the instalments in order, each up to what it still owes."""
    left, plan = amount, []
    for instalment in instalments:
        if left == 0:
            break
        if share := min(left, instalment.open_amount):
            plan.append((instalment, share))
            left -= share
    return plan


@transaction.atomic
def payment_apply(
    *, payment: SponsorPayment, instalment: Instalment, amount: int, by
) -> SponsorPayment:
    """Apply (part of) a payment's credit to an instalment."""
    payment = SponsorPayment.objects.select_for_update().get(pk=payment.pk)
    _apply(payment, [(instalment, amount)], by=by)
    ledger.post_sponsor_payment(payment, by=by)  # the credit becomes income
    return payment


def _apply(payment: SponsorPayment, plan: Sequence[tuple[Instalment, int]], *, by) -> None:
    """Inside the caller's transaction: each instalment locked, checked, then credited."""
    total = sum(share for _, share in plan)
    if total > payment.credit:
        raise ValidationError(
            {"amount": f"{money_label(total, payment.currency)} is more than the payment's "
                       f"unapplied {money_label(payment.credit, payment.currency)}."}
        )  # fmt: skip
    for given, share in plan:
        instalment = (
            Instalment.objects.select_for_update().select_related("agreement").get(pk=given.pk)
        )
        where = f"Instalment {instalment.number} of {instalment.agreement.title}"
        if instalment.agreement.sponsor_id != payment.sponsor_id:
            raise ValidationError(f"{where} belongs to another sponsor.")
        if instalment.agreement.currency != payment.currency:
            raise ValidationError(
                f"{where} is in {instalment.agreement.currency}, the payment in {payment.currency}."
            )
        if share <= 0:
            raise ValidationError(f"{where}: apply more than zero.")
        if share > instalment.open_amount:
            raise ValidationError(
                f"{where} has {money_label(instalment.open_amount, payment.currency)} open; "
                f"{money_label(share, payment.currency)} cannot be applied to it."
            )
        PaymentApplication.objects.create(payment=payment, instalment=instalment, amount=share)
        instalment.paid_amount += share
        changed_by(instalment, by).save(update_fields=["paid_amount"])
    if plan:
        payment.applied_amount += total
        changed_by(payment, by).save(update_fields=["applied_amount"])
        from sponsorships.letters import letter_follow_payment

        letter_follow_payment(payment=payment)


@transaction.atomic
def instalment_write_off(*, instalment: Instalment, amount: int, reason: str, by) -> Instalment:
    """Give up (part of) what an instalment still owes, saying why."""
    instalment = Instalment.objects.select_for_update().get(pk=instalment.pk)
    if not reason.strip():
        raise ValidationError({"write_off_reason": "Say why it is written off."})
    if not 0 < amount <= instalment.open_amount:
        raise ValidationError(
            {
                "amount": "More than nothing, and at most the "
                f"{money_label(instalment.open_amount, instalment.agreement.currency)} "
                "still open."
            }  # fmt: skip
        )
    instalment.written_off_amount += amount
    instalment.write_off_reason = reason.strip()[:300]
    changed_by(instalment, by).save(update_fields=["written_off_amount", "write_off_reason"])
    return instalment


@transaction.atomic
def benefit_deliver(
    *, benefit: Benefit, delivered_on: dt.date, by, proof_url: str = "", proof_file=None
) -> Benefit:
    """Record that a promised benefit was delivered, with a link or a file as proof."""
    if not (proof_url or proof_file):
        raise ValidationError({"proof_url": "Give a link or a file that shows the delivery."})
    benefit.delivered_on, benefit.proof_url, benefit.delivered_by = delivered_on, proof_url, by
    if proof_file is not None:
        benefit.proof_file = proof_file
    benefit.full_clean()
    benefit.save()
    return benefit


@transaction.atomic
def disbursement_record(
    *, fund: Fund, amount: int, currency: str, paid_on: dt.date, payee: str, purpose: str, by
) -> Disbursement:
    """Pay money out of a restricted fund. The fund's row is locked first, so two payouts
    at once cannot both spend the same balance; neither may take it below zero."""
    from sponsorships.selectors import fund_position

    Fund.objects.select_for_update().get(pk=fund.pk)
    if amount <= 0:
        raise ValidationError({"amount": "A disbursement is more than zero."})
    available = fund_position(fund=fund).get(currency, {}).get("available", 0)
    if amount > available:
        raise ValidationError(
            {"amount": f"{fund.code} has {money_label(available, currency)} available; "
                       f"{money_label(amount, currency)} cannot be paid out of it."}
        )  # fmt: skip
    disbursement = Disbursement(fund=fund, amount=amount, currency=currency, paid_on=paid_on,
                                payee=payee, purpose=purpose, recorded_by=by)  # fmt: skip
    disbursement.full_clean()
    ledger.refuse_closed(paid_on, field="paid_on", what="A disbursement")
    changed_by(disbursement, by).save()
    ledger.post_disbursement(disbursement, by=by)
    return disbursement

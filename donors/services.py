"""Use cases for donors and gifts. One keyword-only function per thing a person does, each
in one transaction; views, admin, commands, tasks and tests all call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import ngettext

from backoffice.audit import changed_by
from backoffice.money import format_money
from backoffice.permissions import require_permission
from donors import signals
from donors.models import (
    Donor,
    DonorMerge,
    Fund,
    Gift,
    GiftAllocation,
    GiftBatch,
    PossibleDuplicate,
    RecurringPlan,
)
from donors.models.people import AddressSource
from donors.totals import add_posted_gift, refresh_months
from ledger import services as ledger
from ledger.derive import gift_postings
from ledger.rules import gift_posting

Split = Sequence[tuple[Fund, int]]


# --- gifts ------------------------------------------------------------------------------


@transaction.atomic
def gift_record(*, gift: Gift, split: Split, by, post: bool = True) -> Gift:
    """Enter one new gift (an unsaved Gift) with its fund split: [(fund, amount), ...].
    Posted at once unless `post` is False; gifts in a batch wait for the batch to close."""
    if gift.pk is not None:
        raise ValidationError(f"Gift #{gift.pk} is already recorded.")
    if gift.donor.is_merged:
        raise ValidationError(
            {"donor": f"{gift.donor} was merged into donor #{gift.donor.merged_into_id}."}
        )
    if gift.batch_id is not None:
        # Read the batch afresh and lock it: it may have closed since the page was drawn.
        gift.batch = GiftBatch.objects.select_for_update().get(pk=gift.batch_id)
        _check_batch_accepts(batch=gift.batch, currency=gift.currency)
        post = False
    gift.created_by = gift.created_by or by
    signals.gift_changing.send(sender=Gift, gift=gift, by=by)
    _check_split(gift=gift, split=split)
    if post:
        # Inserted posted, with its split in this same transaction: one write and one
        # history row rather than a pending insert and a posting update. Gift.save lets
        # only this path create a posted gift.
        gift.status, gift.posted_at = Gift.Status.POSTED, timezone.now()
        gift._written_by_gift_record = True
    else:
        gift.status = Gift.Status.PENDING
    changed_by(gift, by).save()
    _write_split(gift=gift, split=split, by=by)
    if post:
        add_posted_gift(gift, split=[(fund.pk, amount) for fund, amount in split])
        # A gift just inserted holds nothing in the ledger yet, and its split is at hand:
        # posted without asking the database what it holds (a webhook's hot path).
        online = getattr(gift, "paid_through_stripe", False)
        ledger.post_new([gift_posting(gift, online=online, splits=[
            (fund.pk, fund.gl_account, amount) for fund, amount in split])], by=by)  # fmt: skip
        signals.gift_posted.send(sender=Gift, gift=gift, by=by)
    return gift


def _check_split(*, gift: Gift, split: Split) -> None:
    from donors.models import split_errors

    errors = split_errors(gift.amount, gift.currency, [(f.code, a) for f, a in split])
    if errors:
        raise ValidationError({"allocations": errors})


def _write_split(*, gift: Gift, split: Split, by) -> None:
    _check_split(gift=gift, split=split)
    # The gift is pending (new, or checked by gift_update) and the split was just checked,
    # so the rows and their history go in with one statement each rather than through
    # GiftAllocation.save, which reads the gift back to guard other callers.
    parts = GiftAllocation.objects.bulk_create(
        [GiftAllocation(gift=gift, fund=fund, amount=amount) for fund, amount in split]
    )
    GiftAllocation.history.bulk_history_create(parts, default_user=by)


@transaction.atomic
def gift_post(*, gift: Gift, by) -> Gift:
    """Put a pending gift in the books. Its split must add up; its money is then frozen."""
    if gift.status != Gift.Status.PENDING:
        raise ValidationError(f"Gift #{gift.pk} is {gift.status}, not pending.")
    signals.gift_changing.send(sender=Gift, gift=gift, by=by)
    gift.status = Gift.Status.POSTED
    gift.posted_at = timezone.now()
    changed_by(gift, by).save()
    add_posted_gift(gift)
    ledger.post_gift(gift, by=by)
    signals.gift_posted.send(sender=Gift, gift=gift, by=by)
    return gift


@transaction.atomic
def gift_void(*, gift: Gift, reason: str, by) -> Gift:
    """Take a gift out of the books (entered in error, cheque bounced). It stays on file."""
    require_permission(by, "donors.change_gift", to="void a gift")
    if gift.status == Gift.Status.VOID:
        return gift  # already void: voiding twice changes nothing
    if not reason.strip():
        raise ValidationError({"void_reason": "Say why the gift is void."})
    signals.gift_changing.send(sender=Gift, gift=gift, by=by)
    gift.status = Gift.Status.VOID
    gift.void_reason = reason.strip()
    gift.voided_at = timezone.now()
    changed_by(gift, by).save()
    refresh_months([gift.received_on])
    ledger.post_gift(gift, by=by)  # the reversing entry
    if gift.batch_id:  # a bounced cheque: the deposit of its batch is smaller
        ledger.post_deposit(gift.batch, by=by)
    signals.gift_money_returned.send(sender=Gift, gift=gift, by=by)
    return gift


@transaction.atomic
def gift_set_refunded(*, gift: Gift, refunded_amount: int, by) -> Gift:
    """Record how much of a gift has gone back to the donor in all (a running total, as
    payment processors report it). The gift keeps its amount and stays on file; setting the
    same total twice changes nothing."""
    gift = Gift.objects.select_for_update().get(pk=gift.pk)
    if refunded_amount < 0 or refunded_amount > gift.amount:
        raise ValidationError(
            {
                "refunded_amount": f"Gift #{gift.pk} is {gift.amount_display}: "
                f"{format_money(refunded_amount, gift.currency)} cannot be refunded."
            }
        )
    if gift.refunded_amount != refunded_amount:
        gift.refunded_amount = refunded_amount
        changed_by(gift, by).save(update_fields=["refunded_amount"])
        signals.gift_money_returned.send(sender=Gift, gift=gift, by=by)
    return gift


@transaction.atomic
def gift_update(*, gift: Gift, by, split: Split | None = None, **changes) -> Gift:
    """Change a gift. Money fields and the split only while it is pending (the model refuses
    otherwise); descriptive fields (campaign, tribute, notes...) at any time."""
    old_campaign = gift.campaign_id
    stored = Gift.objects.filter(pk=gift.pk).values_list("received_on", flat=True).first()
    if stored and stored != gift.received_on:  # moved: the month it leaves must be open too
        signals.gift_changing.send(sender=Gift, gift=Gift(pk=gift.pk, received_on=stored), by=by)
    for field, value in changes.items():
        setattr(gift, field, value)
    signals.gift_changing.send(sender=Gift, gift=gift, by=by)
    changed_by(gift, by).save()
    if split is not None:
        current = sorted((a.fund_id, a.amount) for a in gift.allocations.all())
        if current != sorted((f.pk, a) for f, a in split):
            if gift.status != Gift.Status.PENDING:
                raise ValidationError(
                    f"Gift #{gift.pk} is {gift.status}: its fund split cannot change."
                )
            gift.allocations.all().delete()
            _write_split(gift=gift, split=split, by=by)
    if gift.status == Gift.Status.POSTED and gift.campaign_id != old_campaign:
        refresh_months([gift.received_on])
    if gift.status != Gift.Status.PENDING:
        ledger.post_gift(gift, by=by)  # nothing when only descriptive fields changed
    return gift


# --- batches ----------------------------------------------------------------------------


def _check_batch_accepts(*, batch: GiftBatch, currency: str) -> None:
    if batch.status != GiftBatch.Status.OPEN:
        raise ValidationError(f"{batch} is closed; open a new batch.")
    if currency != batch.currency:
        raise ValidationError(
            {"currency": f"{batch} is in {batch.currency}; this gift is in {currency}."}
        )


@transaction.atomic
def batch_open(
    *,
    reference: str,
    deposited_on: dt.date,
    currency: str,
    expected_count: int,
    expected_total: int,
    by,
    method: str = GiftBatch.Method.CHEQUE,
    note: str = "",
) -> GiftBatch:
    batch = GiftBatch(
        reference=reference,
        deposited_on=deposited_on,
        currency=currency,
        expected_count=expected_count,
        expected_total=expected_total,
        method=method,
        note=note,
        created_by=by,
    )
    batch.full_clean()
    batch.save()
    return batch


def batch_entered(batch: GiftBatch) -> tuple[int, int]:
    """(count, total) of the gifts entered in the batch so far, void ones left out."""
    row = batch.gifts.exclude(status=Gift.Status.VOID).aggregate(n=Count("id"), total=Sum("amount"))
    return row["n"], row["total"] or 0


@transaction.atomic
def batch_close(*, batch: GiftBatch, by) -> GiftBatch:
    """Close the batch and post its gifts, only when they match the deposit slip."""
    batch = GiftBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == GiftBatch.Status.CLOSED:
        raise ValidationError(f"{batch} is already closed.")
    count, total = batch_entered(batch)
    problems = []
    if count != batch.expected_count:
        entered = ngettext("%(n)d gift entered", "%(n)d gifts entered", count) % {"n": count}
        problems.append(f"{entered}, the slip says {batch.expected_count}")
    if total != batch.expected_total:
        difference = format_money(abs(batch.expected_total - total), batch.currency)
        problems.append(
            f"entered total {format_money(total, batch.currency)} differs from the slip's "
            f"{format_money(batch.expected_total, batch.currency)} by {difference}"
        )
    if problems:
        raise ValidationError(f"{batch} cannot close: " + "; ".join(problems) + ".")
    now = timezone.now()
    days, posted = set(), []
    for gift in batch.gifts.filter(status=Gift.Status.PENDING):
        signals.gift_changing.send(sender=Gift, gift=gift, by=by)
        gift.status, gift.posted_at = Gift.Status.POSTED, now
        changed_by(gift, by).save()
        days.add(gift.received_on)
        posted.append(gift)
    refresh_months(days)
    ledger.post(gift_postings(posted), by=by)
    for gift in posted:
        signals.gift_posted.send(sender=Gift, gift=gift, by=by)
    batch.status, batch.closed_by, batch.closed_at = GiftBatch.Status.CLOSED, by, now
    batch.save()
    ledger.post_deposit(batch, by=by)
    return batch


# --- donors -----------------------------------------------------------------------------

# Descriptive donor fields that the kept record takes from the merged one where it has none.
_MERGE_FILL_FIELDS = (
    "title",
    "first_name",
    "middle_name",
    "last_name",
    "organisation_name",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postcode",
    "country",
    "external_id",
)


@transaction.atomic
def donor_merge(*, keep: Donor, merge: Donor, by) -> DonorMerge:
    """Make `merge` part of `keep`: gifts, soft credits and plans move over, empty fields of
    the kept record are filled, and the merged record stays (empty, pointing at the kept
    one) so that every history and link to it still resolves."""
    require_permission(by, "donors.merge_donor", to="merge donors")
    keep = Donor.objects.select_for_update().get(pk=keep.pk)
    merge = Donor.objects.select_for_update().get(pk=merge.pk)
    if keep.pk == merge.pk:
        raise ValidationError("Choose two different donors to merge.")
    if keep.is_merged or merge.is_merged:
        raise ValidationError("One of these donors was already merged; merge into the survivor.")
    snapshot = model_to_dict(merge, exclude=["user", "merged_into"])
    snapshot["consent_given_at"] = (
        merge.consent_given_at.isoformat() if merge.consent_given_at else None
    )
    moved = {
        "gifts": Gift.objects.filter(donor=merge).update(donor=keep),
        "soft_credits": Gift.objects.filter(soft_credit_donor=merge).update(soft_credit_donor=keep),
        "recurring_plans": RecurringPlan.objects.filter(donor=merge).update(donor=keep),
    }
    Gift.objects.filter(donor=keep, soft_credit_donor=keep).update(soft_credit_donor=None)
    for field in _MERGE_FILL_FIELDS:
        if not getattr(keep, field) and getattr(merge, field):
            setattr(keep, field, getattr(merge, field))
    merged_email, merged_user = merge.email, merge.user
    if merge.email_consent and not keep.email_consent:
        keep.email_consent = True
        keep.consent_given_at, keep.consent_method = merge.consent_given_at, merge.consent_method
        keep.consent_note = merge.consent_note
    merge.email, merge.user, merge.merged_into = None, None, keep
    merge.email_consent = False
    changed_by(merge, by).save()
    if not keep.email and merged_email:
        keep.email = merged_email
    if keep.user is None and merged_user is not None:
        keep.user = merged_user
    changed_by(keep, by).save()
    record = DonorMerge.objects.create(
        kept=keep, merged=merge, merged_by=by, merged_snapshot=snapshot, moved=moved
    )
    PossibleDuplicate.objects.filter(donor__in=[keep, merge], other__in=[keep, merge]).update(
        status=PossibleDuplicate.Status.MERGED, resolved_by=by, resolved_at=timezone.now()
    )
    signals.donors_merged.send(sender=Donor, merge=merge, keep=keep, by=by)
    return record


@transaction.atomic
def duplicate_dismiss(*, duplicate: PossibleDuplicate, by) -> PossibleDuplicate:
    require_permission(by, "donors.change_possibleduplicate", to="dismiss possible duplicates")
    duplicate.status = PossibleDuplicate.Status.DISMISSED
    duplicate.resolved_by, duplicate.resolved_at = by, timezone.now()
    duplicate.save()
    return duplicate


ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postcode", "country")
DONOR_EDITABLE_FIELDS = (*ADDRESS_FIELDS, "preferred_language", "receipts_by_email",
                         "email_consent")  # fmt: skip


@transaction.atomic
def donor_update_contact(*, donor: Donor, by, **changes) -> Donor:
    """A donor changes their own address or language (for future receipts; issued ones
    keep the address they were issued to)."""
    unknown = set(changes) - set(DONOR_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    if any(getattr(donor, f) != changes[f] for f in ADDRESS_FIELDS if f in changes):
        # Theirs now: a card's billing address at a later checkout does not replace it.
        donor.address_source, donor.address_given_on = AddressSource.DONOR, timezone.localdate()
    if "email_consent" in changes and changes["email_consent"] != donor.email_consent:
        # Given or withdrawn by the donor on their own page: when and how is the record.
        donor.consent_given_at = timezone.now() if changes["email_consent"] else None
        donor.consent_method = Donor.ConsentMethod.WEB_FORM if changes["email_consent"] else ""
        donor.consent_note = "On their donor page" if changes["email_consent"] else (
            f"Withdrawn on their donor page on {timezone.localdate():%Y-%m-%d}")  # fmt: skip
    for field, value in changes.items():
        setattr(donor, field, value)
    changed_by(donor, by).save()
    return donor


@transaction.atomic
def donor_login_for(email: str):
    """The sign-in of the donor on record with this address, made on the spot if the donor
    has none yet (a donor from a Stripe checkout, an import, a deposit slip), so that any
    donor can ask for a code and reach their own page. Returns None when no donor record
    (still in use, not merged away) has this address, or when the address already belongs
    to a sign-in: staff and sponsors' contacts are never turned into donors here."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from donors.models.people import normalise_email

    address = normalise_email(email)
    if not address or User.objects.filter(email__iexact=address).exists():
        return None
    if EmailAddress.objects.filter(email__iexact=address).exists():
        return None
    donor = (
        Donor.objects.select_for_update().filter(email=address, merged_into=None, user=None).first()
    )
    if donor is None:
        return None
    user = User.objects.create_user(email=address, first_name=donor.first_name[:150],
                                    last_name=donor.last_name[:150])  # fmt: skip
    # Not verified yet: the code e-mailed to the address is what proves it.
    EmailAddress.objects.create(user=user, email=address, primary=True, verified=False)
    donor.user = user
    changed_by(donor, None).save(update_fields=["user", "updated_at"])
    return user


def donor_address_from_checkout(*, donor: Donor, address: dict | None) -> bool:
    """Keep the postal address a donor typed at an online checkout (Stripe's address shape:
    line1, line2, city, state, postal_code, country), which their receipt will print. It
    fills an empty address or replaces one an earlier checkout gave; an address staff, an
    import or the donor on their page gave is left as it is. True when it was kept."""
    address = address or {}
    line1, country = (address.get("line1") or "").strip(), (address.get("country") or "")
    if not line1 or len(country) != 2:
        return False
    if donor.address_line1 and donor.address_source not in ("", AddressSource.CHECKOUT):
        return False
    typed = {
        "address_line1": line1[:200], "address_line2": (address.get("line2") or "")[:200],
        "city": (address.get("city") or "")[:100], "region": (address.get("state") or "")[:100],
        "postcode": (address.get("postal_code") or "")[:20], "country": country.upper(),
    }  # fmt: skip
    if all(getattr(donor, field) == value for field, value in typed.items()):
        return True  # already kept (a checkout's charge and session both carry it)
    for field, value in typed.items():
        setattr(donor, field, value)
    donor.address_source, donor.address_given_on = AddressSource.CHECKOUT, timezone.localdate()
    changed_by(donor, None).save()
    return True

"""Issuing and voiding receipts. One transaction each; numbers are taken under a lock on
the series row inside the issuing transaction, so a rolled-back issue leaves no gap and two
issuers never share a number."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.branding import current_brand, sender
from backoffice.documents import store_pdfs_once
from backoffice.errors import mail_failure_sentence
from backoffice.permissions import require_permission
from donors.models import Gift
from receipts import rules
from receipts.models import Organisation, Receipt, ReceiptLine, ReceiptSeries


def next_number(*, jurisdiction: str, year: int) -> tuple[ReceiptSeries, int]:
    """The series and its next number, taken for the calling transaction (which must be
    atomic): the series row stays locked until it commits or rolls back."""
    series, _ = ReceiptSeries.objects.select_for_update().get_or_create(
        jurisdiction=jurisdiction, year=year, defaults={"prefix": jurisdiction}
    )
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series, series.last_number


def donor_address(donor, *, language: str = "en") -> str:
    """The donor's address as the receipt prints it, the country named in the receipt's
    language ("Canada", "États-Unis"), not as a bare ISO code."""
    lines = [
        donor.address_line1,
        donor.address_line2,
        " ".join(p for p in (donor.city, donor.region, donor.postcode) if p),
        country_name(donor.country, language=language),
    ]
    return "\n".join(line for line in lines if line)


def country_name(code: str, *, language: str) -> str:
    if not code:
        return ""
    try:
        return Locale.parse(language).territories.get(code.upper(), code)
    except (ValueError, UnknownLocaleError):
        return Locale("en").territories.get(code.upper(), code)


@transaction.atomic
def receipt_issue(
    *,
    gifts: Sequence[Gift],
    kind: str,
    jurisdiction: str,
    by,
    replaces: Receipt | None = None,
    language: str | None = None,
    deliver: bool = True,
    already_receipted: list[dict] | None = None,
    organisation: Organisation | None = None,
) -> Receipt:
    """Issue one receipt for `gifts` (one donor, one currency, all posted and not on another
    receipt in force). The receipted amount of a gift is what the organisation kept (the gift
    less refunds); the advantage is the fair market value of what the donor received.
    `organisation`: as read by a caller issuing many (else read here)."""
    if not gifts:
        raise ValidationError("A receipt covers at least one gift.")
    locked = list(
        Gift.objects.select_for_update()
        .filter(pk__in=[g.pk for g in gifts])
        .select_related("donor")
    )
    donors = {g.donor_id for g in locked}
    currencies = {g.currency for g in locked}
    if len(donors) != 1:
        raise ValidationError("A receipt is for one donor; these gifts come from several.")
    if len(currencies) != 1:
        raise ValidationError("A receipt is in one currency; these gifts are in several.")
    for gift in locked:
        if gift.status != Gift.Status.POSTED:
            raise ValidationError(
                f"Gift #{gift.pk} is {gift.status}: only posted gifts are receipted."
            )
        if gift.kept_amount <= 0:
            raise ValidationError(f"Gift #{gift.pk} was refunded in full: nothing to receipt.")
    taken = ReceiptLine.objects.filter(gift__in=locked, in_force=True).values_list(
        "gift_id", flat=True
    )
    if replaces is not None:
        taken = taken.exclude(receipt=replaces)
    if taken_ids := sorted(taken):
        raise ValidationError(f"Gift #{taken_ids[0]} is already on a receipt in force.")
    if replaces is not None and replaces.status != Receipt.Status.VOID:
        raise ValidationError(
            f"Receipt {replaces.receipt_number} must be void before it is replaced."
        )

    donor = locked[0].donor
    lines = [rules.counted(g, jurisdiction=jurisdiction) for g in locked]
    rules.check(jurisdiction=jurisdiction, lines=lines, donor=donor,
                organisation=organisation or Organisation.current())  # fmt: skip
    total = sum(line.amount for line in lines)
    advantage = sum(line.advantage for line in lines)
    now = timezone.now()
    tax_year = max(g.received_on for g in locked).year
    series, number = next_number(jurisdiction=jurisdiction, year=tax_year)
    email = (donor.email or "") if donor.receipts_by_email else ""  # opted out: posted
    # An address means an e-mail on its way: queued when this commits, or by the year-end
    # run with its chunk. Without one the receipt is posted or downloaded: not sent.
    delivery = Receipt.Delivery.QUEUED if email else Receipt.Delivery.NOT_SENT
    language = language or donor.preferred_language or "en"
    receipt = Receipt(
        series=series, number=number, kind=kind, donor=donor, donor_name=donor.display_name,
        donor_address=donor_address(donor, language=language), donor_email=email,
        delivery_status=delivery, language=language, currency=locked[0].currency,
        total_amount=total, advantage_amount=advantage, eligible_amount=total - advantage,
        tax_year=tax_year, issued_at=now, issued_by=by, replaces=replaces,
        already_receipted=already_receipted or [],
    )  # fmt: skip
    # The fields' own checks; uniqueness (number, code) is the database's to enforce.
    receipt.clean_fields(exclude=["donor", "series", "issued_by", "replaces"])
    receipt.save()
    ReceiptLine.objects.bulk_create(
        [ReceiptLine(receipt=receipt, gift=x.gift, amount=x.amount, advantage=x.advantage)
         for x in lines]
    )  # fmt: skip
    if deliver:
        receipt_queue_delivery(receipt=receipt)
    return receipt


def receipt_void(*, receipt: Receipt, reason: str, by) -> Receipt:
    """Void a receipt (it stays on file, marked void, with the reason). Its gifts may then
    be receipted again, by a replacement."""
    require_permission(by, "receipts.change_receipt", to="void receipts")
    return receipt_follow_void(receipt=receipt, reason=reason, by=by)


def receipt_replace(*, receipt: Receipt, reason: str, by) -> Receipt:
    """Void a receipt and issue its replacement for the same gifts as they are now (a
    correction, a refund, a new address). The replacement says which receipt it cancels."""
    require_permission(by, "receipts.change_receipt", to="void and replace receipts")
    return receipt_follow_replace(receipt=receipt, reason=reason, by=by)


# The two below are what a receipt does when its gift changes (a refund, a void, a merge):
# the person who changed the gift was allowed to, and the receipt follows whoever they are.


@transaction.atomic
def receipt_follow_void(*, receipt: Receipt, reason: str, by) -> Receipt:
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.status == Receipt.Status.VOID:
        return receipt
    if not reason.strip():
        raise ValidationError({"void_reason": "Say why the receipt is void."})
    receipt.status = Receipt.Status.VOID
    receipt.void_reason = reason.strip()[:300]
    receipt.voided_at = timezone.now()
    receipt.voided_by = by
    receipt.save(update_fields=["status", "void_reason", "voided_at", "voided_by"])
    receipt.lines.update(in_force=False)
    return receipt


@transaction.atomic
def receipt_follow_replace(*, receipt: Receipt, reason: str, by) -> Receipt:
    receipt = receipt_follow_void(receipt=receipt, reason=reason, by=by)
    gifts = [line.gift for line in receipt.lines.select_related("gift")]
    live = [g for g in gifts if g.status == Gift.Status.POSTED and g.kept_amount > 0]
    if not live:
        return receipt  # nothing left to receipt (refunded in full, voided)
    return receipt_issue(
        gifts=live, kind=receipt.kind, jurisdiction=receipt.series.jurisdiction, by=by,
        replaces=receipt, language=receipt.language,
    )  # fmt: skip


def receipts_render(*, receipts: Sequence[Receipt]) -> list[Receipt]:
    """Draw the PDFs of those `receipts` that have none, laid out together, and keep each
    with its SHA-256. A receipt's PDF is stored once: if another worker stored it first,
    theirs stands (the database refuses a second hash) and this one is dropped."""
    from receipts.rendering import receipts_pdfs

    undrawn = [r for r in receipts if not r.pdf_sha256]
    pdfs = receipts_pdfs(undrawn) if undrawn else []
    store_pdfs_once(
        [(r, pdf, f"{r.receipt_number}.pdf") for r, pdf in zip(undrawn, pdfs, strict=True)]
    )
    return list(receipts)


def receipt_render(*, receipt: Receipt) -> Receipt:
    """Draw one receipt's PDF once (see receipts_render)."""
    return receipts_render(receipts=[receipt])[0]


MAX_DELIVERY_ATTEMPTS = 5


def receipts_deliver(*, receipt_ids: Sequence[int], resend: bool = False) -> list[Receipt]:
    """Draw the receipts that need it (together: cheaper by the page) and e-mail each to its
    donor with the PDF attached, in the donor's language. A receipt already sent is sent
    again only on `resend`; either way no new receipt is made. A void receipt is not sent. A
    failure is kept (status failed, attempts) for a later retry, and does not stop the others.

    The batch's delivery statuses are written together, in one transaction, once its
    messages are out: one write on the database rather than one a receipt (on SQLite, the
    year-end run issuing at the same time holds its one writer's lock most of the time). A
    worker killed half-way leaves the batch not sent, and retry_receipt_deliveries sends it
    again: a donor may get the e-mail twice, never not at all."""
    receipts = list(
        Receipt.objects.filter(pk__in=receipt_ids)
        .select_related("series", "replaces")
        # Lines with their gifts in one join: a nested prefetch of the gifts would, on
        # Django 5.2 and SQLite, be an OR per gift, too deep past about a thousand.
        .prefetch_related(Prefetch("lines", queryset=ReceiptLine.objects.select_related("gift")))
        .order_by("pk")
    )
    receipts_render(receipts=receipts)
    sent = Receipt.objects.filter(pk__in=receipt_ids, delivery_status=Receipt.Delivery.SENT)
    skip = set() if resend else set(sent.values_list("pk", flat=True))  # sent meanwhile
    # A receipt voided before it went out is not sent: the donor gets its replacement, if
    # any, rather than a cancelled receipt that looks valid. (A receipt without an address is
    # posted or downloaded from the donor's page.)
    void, queued = Receipt.Status.VOID, Receipt.Delivery.QUEUED
    withdrawn = [r for r in receipts if r.status == void and r.delivery_status == queued]
    for receipt in withdrawn:
        receipt.delivery_status = Receipt.Delivery.NOT_SENT
    # One connection (one SMTP session) for the batch. If it cannot open, each message
    # tries again as it is sent, and fails with the reason kept on its receipt.
    connection = get_connection()
    with contextlib.suppress(Exception):
        connection.open()
    try:
        attempted = [
            _send(receipt, connection=connection)
            for receipt in receipts
            if receipt.pk not in skip and receipt.donor_email
            and receipt.status == Receipt.Status.ISSUED
        ]  # fmt: skip
    finally:
        with contextlib.suppress(Exception):  # the messages are sent: their status stands
            connection.close()
    # Delivery fields only, which the database lets move on an issued receipt.
    Receipt.objects.bulk_update(attempted + withdrawn, DELIVERY_FIELDS)
    return receipts


DELIVERY_FIELDS = ["delivery_status", "delivery_attempts", "delivered_at", "delivery_error"]


def receipt_deliver(*, receipt: Receipt, resend: bool = False) -> Receipt:
    return receipts_deliver(receipt_ids=[receipt.pk], resend=resend)[0]


def _send(receipt: Receipt, *, connection) -> Receipt:
    """E-mail the receipt and set its delivery fields (the caller saves them)."""
    language = receipt.language if receipt.language in ("en", "fr") else "en"
    with translation.override(language):
        context = {"receipt": receipt, "language": language, "brand": current_brand(),
                   "portal_url": settings.SITE_URL.rstrip("/") + reverse("my_gifts")}  # fmt: skip
        subject = render_to_string("receipts/email/subject.txt", context).strip()
        body = render_to_string("receipts/email/body.txt", context)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[receipt.donor_email],
        connection=connection,
        from_email=sender(),
    )
    receipt.pdf.open("rb")
    try:
        message.attach(f"{receipt.receipt_number}.pdf", receipt.pdf.read(), "application/pdf")
    finally:
        receipt.pdf.close()
    receipt.delivery_attempts += 1
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 - any mail failure is kept for a retry
        receipt.delivery_status = Receipt.Delivery.FAILED
        receipt.delivery_error = mail_failure_sentence(exc, doing="sending the receipt")[:300]
    else:
        receipt.delivery_status = Receipt.Delivery.SENT
        receipt.delivered_at = timezone.now()
        receipt.delivery_error = ""
    return receipt


def receipt_queue_delivery(*, receipt: Receipt, resend: bool = False) -> None:
    """After the current transaction commits, draw and send the receipt in a task (again,
    with `resend`: the same receipt and PDF, never a new one)."""
    receipts_queue_delivery(receipt_ids=[receipt.pk], resend=resend)


def receipts_queue_delivery(*, receipt_ids: Sequence[int], resend: bool = False) -> None:
    """After the current transaction commits, draw and send these receipts in one task."""
    from receipts.tasks import deliver_receipts

    ids = list(receipt_ids)
    if ids:
        transaction.on_commit(lambda: deliver_receipts.enqueue(ids, resend=resend))


SWEEP_EVERY = dt.timedelta(minutes=10)


def receipts_sweep_schedule() -> None:
    """After the current transaction commits, have a worker look again in SWEEP_EVERY for
    receipts whose delivery was lost (a worker killed while drawing or sending), and send
    them: no cron needed. The sweep schedules itself again while any is undelivered."""
    from receipts.tasks import sweep_receipt_deliveries

    if not sweep_receipt_deliveries.get_backend().supports_defer:
        return  # the immediate backend (tests, a script): delivery runs in the caller
    later = sweep_receipt_deliveries.using(run_after=timezone.now() + SWEEP_EVERY)
    transaction.on_commit(later.enqueue)


def receipts_sweep(*, stale_minutes: int, batch: int = 25) -> tuple[int, int]:
    """Draw and send what is due (a failed e-mail under its attempts, a receipt whose task was
    lost): (sent now, still undelivered). Sending twice is avoided: one sent meanwhile is
    skipped."""
    from receipts.selectors import deliveries_due

    ids = list(
        deliveries_due(stale_minutes=stale_minutes).order_by("pk").values_list("pk", flat=True)
    )
    sent = 0
    for start in range(0, len(ids), batch):
        done = receipts_deliver(receipt_ids=ids[start : start + batch])
        sent += sum(r.delivery_status == Receipt.Delivery.SENT for r in done)
    return sent, deliveries_due(stale_minutes=0).count()


def receipts_issue_each(
    *, gifts: Sequence[Gift], jurisdiction: str, by, skip_refused: bool
) -> tuple[list[Receipt], list[str]]:
    """A receipt per gift, each in its own transaction: (issued, refusals named by gift).
    With `skip_refused`, gifts a rule would refuse are passed over silently (they stay on
    the waiting list with their reason)."""
    issued, refused = [], []
    org = Organisation.current()
    for gift in gifts:
        if skip_refused and rules.problems_for(gift, jurisdiction=jurisdiction, organisation=org):
            continue
        try:
            issued.append(receipt_issue(gifts=[gift], kind=Receipt.Kind.GIFT,
                                        jurisdiction=jurisdiction, by=by,
                                        organisation=org))  # fmt: skip
        except ValidationError as exc:
            refused.append(f"Gift #{gift.pk}: {'; '.join(exc.messages)}")
    return issued, refused

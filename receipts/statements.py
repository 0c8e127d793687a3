"""The year-end run: one statement per donor (and currency) covering the year's posted gifts
that no receipt in force covers yet.

Each donor's statement is issued in its own transaction, so a run stopped (or killed) half
way keeps what it did; started again, it finds those donors' gifts covered and issues
nothing twice. Every CHUNK donors the progress (done / total) is saved and one task is
queued that draws the chunk's PDFs together (cheaper by the page) and e-mails them; a
restarted run first queues the statements a killed one issued but never queued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from donors.models import Donor, Gift
from receipts import rules
from receipts.models import (
    Organisation,
    Receipt,
    ReceiptLine,
    StatementRun,
    StatementRunNote,
    StatementRunReceipt,
)
from receipts.services import receipt_issue, receipts_queue_delivery, receipts_sweep_schedule

CHUNK = 25


def eligible_gifts(*, year: int, jurisdiction: str):
    """Posted gifts received in `year`, not refunded in full and on no receipt in force."""
    covered = ReceiptLine.objects.filter(gift=OuterRef("pk"), in_force=True)
    gifts = Gift.objects.filter(
        status=Gift.Status.POSTED,
        received_on__gte=dt.date(year, 1, 1),
        received_on__lt=dt.date(year + 1, 1, 1),
        refunded_amount__lt=F("amount"),
    ).exclude(Exists(covered))
    currency = rules.RECEIPT_CURRENCY.get(jurisdiction)
    return gifts.filter(currency=currency) if currency else gifts


def statement_run_create(
    *, year: int, jurisdiction: str, by, dry_run: bool = False
) -> StatementRun:
    if year > timezone.localdate().year:
        raise ValidationError({"year": f"{year} has not begun: no statement can cover it."})
    return StatementRun.objects.create(
        year=year, jurisdiction=jurisdiction, dry_run=dry_run, created_by=by
    )


def statement_run_queue(*, run: StatementRun) -> None:
    """Run it in a task after the commit (again, for a stopped or failed run)."""
    from receipts.tasks import execute_statement_run

    StatementRun.objects.filter(pk=run.pk).update(
        status=StatementRun.Status.QUEUED, stop_requested=False
    )
    transaction.on_commit(lambda: execute_statement_run.enqueue(run.pk))


def statement_run_stop(*, run: StatementRun) -> None:
    """Ask a running run to stop after the donor it is on."""
    StatementRun.objects.filter(pk=run.pk).update(stop_requested=True)


def statement_run_execute(
    *, run: StatementRun, progress: Callable[[int, int], None] | None = None
) -> StatementRun:
    """Issue (or, in a dry run, only check) every statement of the run's year.

    Started again (stopped, failed, or stalled by a lost worker), a run goes on where it
    was: its counts and the notes on statements already issued stay, the donors it skipped
    are looked at again. A run's progress is saved every CHUNK donors, so a worker killed
    half-way loses at most that chunk's counts and notes, never a statement: what is issued
    is issued once and queued for e-mail, and the post list is read from the receipts."""
    run = _begin_attempt(run)
    donor_ids = sorted(
        set(
            eligible_gifts(year=run.year, jurisdiction=run.jurisdiction).values_list(
                "donor_id", flat=True
            )
        )
    )
    # What it issued before, read from the statements (the saved count may lag a killed chunk).
    issued_before = 0 if run.dry_run else run.statements.count()
    if issued_before:  # going on: whom it issued for is no longer eligible
        run.notes.exclude(reason__in=StatementRunNote.ISSUED).delete()
        run.issued = issued_before
    else:
        run.notes.all().delete()
        run.issued = 0
    done_before = run.issued
    run.status, run.total, run.done, run.error, run.finished_at = (
        StatementRun.Status.RUNNING, done_before + len(donor_ids), done_before, "", None,
    )  # fmt: skip
    run.save()
    run.pending_notes = []
    # Read once per run: the organisation's details and its choice of what a statement lists.
    run.organisation = Organisation.current()
    run.lists_all_gifts = run.organisation.statement_lists == Organisation.StatementLists.ALL
    if problems := rules.organisation_problems(run.organisation, jurisdiction=run.jurisdiction):
        # Not one statement without them: said once, on the run's page, not per donor.
        said = "; ".join(problems)
        run.status, run.error = StatementRun.Status.FAILED, said[0].upper() + said[1:] + "."
        run.finished_at = timezone.now()
        _save_progress(run, final=True)
        return run
    if not run.dry_run:
        _queue_undrawn(run)
        receipts_sweep_schedule()  # a worker killed while sending is made good by itself
    issued: list[int] = []
    superseded = False
    try:
        for i, donor_id in enumerate(donor_ids, 1):
            if i % CHUNK == 1:
                if i > 1 and _stop_requested(run):
                    run.status = StatementRun.Status.STOPPED
                    break
                chunk = _donors_with_gifts(run, donor_ids[i - 1 : i - 1 + CHUNK])
            # receipt_issue is one short transaction: a run killed after it keeps this
            # donor's statement, and other writers (workers drawing) get the database between.
            if receipt := _statement_for(run, *chunk[donor_id]):
                issued.append(receipt.pk)
            run.done = done_before + i
            if i % CHUNK == 0 or i == len(donor_ids):
                if not _save_progress(run):
                    superseded = True
                    break
                receipts_queue_delivery(receipt_ids=issued)
                issued = []
            if progress:
                progress(run.done, run.total)
        else:
            run.status = StatementRun.Status.DONE
        receipts_queue_delivery(receipt_ids=issued)  # a stopped run's last, partial chunk
    except Exception as exc:
        run.status, run.error = StatementRun.Status.FAILED, str(exc)[:2000]
        raise
    finally:
        if not superseded:
            run.finished_at = timezone.now()
            _save_progress(run, final=True)
    return run


def _begin_attempt(run: StatementRun) -> StatementRun:
    """Take the run's next attempt (an older execution still going then stops) and read
    the run as it is now."""
    StatementRun.objects.filter(pk=run.pk).update(attempt=F("attempt") + 1)
    run.refresh_from_db()
    return run


def _save_progress(run: StatementRun, *, final: bool = False) -> bool:
    """Save the counts and the notes gathered since the last save, unless a later attempt
    has taken the run over (then False, and nothing is written). Its updated_at is the
    heartbeat by which a stalled run is known."""
    fields = {"done": run.done, "issued": run.issued, "updated_at": timezone.now()}
    if final:
        fields |= {"status": run.status, "error": run.error, "finished_at": run.finished_at}
    with transaction.atomic():
        if not StatementRun.objects.filter(pk=run.pk, attempt=run.attempt).update(**fields):
            return False
        StatementRunNote.objects.bulk_create(run.pending_notes)
    run.pending_notes = []
    return True


def _queue_undrawn(run: StatementRun) -> None:
    """Statements an earlier run issued but was killed before queuing for drawing."""
    undrawn = Receipt.objects.filter(
        kind=Receipt.Kind.STATEMENT, series__jurisdiction=run.jurisdiction,
        tax_year=run.year, pdf_sha256="",  # undrawn: so never sent either
    ).order_by("pk").values_list("pk", flat=True)  # fmt: skip
    ids = list(undrawn)
    for start in range(0, len(ids), CHUNK):
        receipts_queue_delivery(receipt_ids=ids[start : start + CHUNK])


def _already_receipted(run: StatementRun, donor: Donor, gifts: list[Gift]) -> list[dict]:
    """For a summary statement: the donor's other gifts of the year in the statement's
    currency that receipts in force already cover, each with its receipt's number."""
    lines = (
        ReceiptLine.objects.filter(
            in_force=True, gift__donor=donor, gift__currency=gifts[0].currency,
            gift__received_on__year=run.year,
        )
        .exclude(gift__in=gifts)
        .select_related("gift", "receipt__series")
        .order_by("gift__received_on", "gift_id")
    )  # fmt: skip
    return [
        {"gift": line.gift_id, "received_on": line.gift.received_on.isoformat(),
         "amount": line.amount, "receipt": line.receipt.receipt_number}
        for line in lines
    ]  # fmt: skip


def _stop_requested(run: StatementRun) -> bool:
    return StatementRun.objects.filter(pk=run.pk, stop_requested=True).exists()


def _note(run: StatementRun, donor: Donor, reason: str, detail: str = "") -> None:
    run.pending_notes.append(StatementRunNote(
        run=run, donor=donor, donor_name=donor.display_name[:300], reason=reason, detail=detail,
    ))  # fmt: skip


def _donors_with_gifts(run: StatementRun, donor_ids: list[int]) -> dict[int, tuple]:
    """Each donor of a chunk with their eligible gifts, read in two queries (receipt_issue
    checks the gifts again under its lock)."""
    donors = Donor.objects.in_bulk(donor_ids)
    gifts: dict[int, list[Gift]] = {pk: [] for pk in donor_ids}
    eligible = eligible_gifts(year=run.year, jurisdiction=run.jurisdiction)
    for gift in eligible.filter(donor_id__in=donor_ids).order_by("received_on", "pk"):
        gift.donor = donors[gift.donor_id]
        gifts[gift.donor_id].append(gift)
    return {pk: (donors[pk], gifts[pk]) for pk in donor_ids}


def _statement_for(run: StatementRun, donor: Donor, gifts: list[Gift]) -> Receipt | None:
    """The donor's statement, issued (None when skipped or in a dry run)."""
    Reason = StatementRunNote.Reason
    if not gifts:
        _note(run, donor, Reason.NOTHING_ELIGIBLE, "covered since the run began")
        return None
    lines = [rules.counted(g, jurisdiction=run.jurisdiction) for g in gifts]
    try:
        rules.check(jurisdiction=run.jurisdiction, lines=lines, donor=donor,
                    organisation=run.organisation)  # fmt: skip
    except ValidationError as exc:
        _note(run, donor, Reason.REFUSED, "; ".join(exc.messages))
        return None
    receipt = None
    if not run.dry_run:
        summary = run.lists_all_gifts
        try:
            with transaction.atomic():  # the statement and its link to the run, together
                receipt = receipt_issue(
                    gifts=gifts, kind=Receipt.Kind.STATEMENT, jurisdiction=run.jurisdiction,
                    by=run.created_by, deliver=False, organisation=run.organisation,
                    already_receipted=_already_receipted(run, donor, gifts) if summary else None,
                )  # fmt: skip
                StatementRunReceipt.objects.create(run=run, receipt=receipt)
        except ValidationError as exc:  # a gift receipted or refunded since the chunk was read
            _note(run, donor, Reason.CHANGED, "; ".join(exc.messages))
            return None
    run.issued += 1
    if not donor.email:
        _note(run, donor, Reason.NO_EMAIL)
    elif not donor.receipts_by_email:
        _note(run, donor, Reason.OPTED_OUT)
    return receipt

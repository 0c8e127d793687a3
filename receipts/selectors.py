import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from donors.models import Gift
from receipts import rules
from receipts.models import Organisation, Receipt, ReceiptLine, StatementRun, StatementRunNote
from receipts.services import MAX_DELIVERY_ATTEMPTS


def donor_receipts(*, donor_id: int):
    """A donor's receipts, newest first, void ones included (marked)."""
    return Receipt.objects.filter(donor_id=donor_id).select_related("series", "replaces")


def donor_year_gifts(*, donor_id: int, year: int) -> tuple[list, list[tuple[str, int]]]:
    """A donor's gifts of one year, oldest first, each with `receipt_number` (of the receipt
    in force that covers it, or ""), and their totals by currency."""
    from donors.selectors import donor_gifts

    gifts = list(donor_gifts(donor_id=donor_id).filter(received_on__year=year)
                 .order_by("received_on", "pk"))  # fmt: skip
    covering = ReceiptLine.objects.filter(gift__in=gifts, in_force=True)
    numbers = {line.gift_id: line.receipt.receipt_number
               for line in covering.select_related("receipt__series")}  # fmt: skip
    totals: dict[str, int] = {}
    for gift in gifts:
        gift.receipt_number = numbers.get(gift.pk, "")
        totals[gift.currency] = totals.get(gift.currency, 0) + gift.amount
    return gifts, sorted(totals.items())


def gifts_waiting_for_receipt(
    *, org: Organisation, search: str = "", year: int | None = None, method: str = ""
):
    """Posted gifts of this year and last, in the currency of the organisation's receipts,
    that should have had their receipt when posted (at or above the threshold; US gifts
    from $250, and quid pro quo payments over $75) but have none in force: a rule refused
    it (no address, a property to describe...), or a refund voided it and the organisation
    leaves the replacement to finance. Oldest first. `search`: a gift's number (#12), its
    donor's e-mail or last name, or its reference, exactly."""
    covered = ReceiptLine.objects.filter(gift=OuterRef("pk"), in_force=True)
    due = Q(kept__gte=org.auto_receipt_threshold)
    if org.jurisdiction == "US":
        due |= Q(kept__gte=rules.US_ACKNOWLEDGEMENT_THRESHOLD)
        due |= Q(kept__gt=rules.US_QUID_PRO_QUO_THRESHOLD, fair_market_value__gt=0)
    since = dt.date(timezone.localdate().year - 1, 1, 1)
    return (
        Gift.objects.filter(
            status=Gift.Status.POSTED,
            received_on__gte=since,
            currency=rules.RECEIPT_CURRENCY.get(org.jurisdiction, ""),
        )  # fmt: skip
        .annotate(kept=F("amount") - F("refunded_amount"))
        .filter(due)
        .exclude(Exists(covered))
        .filter(_waiting_filters(search=search, year=year, method=method))
        .select_related("donor")
        .order_by("received_on", "pk")
    )


def _waiting_filters(*, search: str, year: int | None, method: str) -> Q:
    match = Q()
    if year:
        match &= Q(received_on__year=year)
    if method:
        match &= Q(method=method)
    if search:
        number = search.lstrip("#")
        found = Q(donor__email=search.lower()) | Q(donor__last_name__iexact=search)
        found |= Q(external_reference=search)
        if number.isascii() and number.isdigit() and int(number) < 2**63:
            found |= Q(pk=int(number))
        match &= found
    return match


def gifts_ready_for_receipt(gifts, *, org: Organisation, limit: int) -> list:
    """Those of `gifts` (waiting ones) that no rule refuses now, at most `limit`, in order."""
    ready = []
    for gift in gifts.iterator(chunk_size=500):
        if not rules.problems_for(gift, jurisdiction=org.jurisdiction, organisation=org):
            ready.append(gift)
            if len(ready) == limit:
                break
    return ready


def statements_to_post(*, year: int, jurisdiction: str):
    """The year's statements in force that go by post (the donor has no e-mail address or
    opted out of e-mail), drawn, in number order: what finance prints after a run."""
    return (
        Receipt.objects.filter(
            kind=Receipt.Kind.STATEMENT, tax_year=year, series__jurisdiction=jurisdiction,
            status=Receipt.Status.ISSUED, donor_email="",
        )
        .exclude(pdf_sha256="")
        .select_related("series")
        .order_by("series__year", "number")
    )  # fmt: skip


def deliveries_due(*, stale_minutes: int):
    """Receipts to draw or e-mail again: a failed e-mail (under the attempts allowed), and
    those issued over `stale_minutes` ago whose task was lost (queued and never sent, drawn
    or not; or, without an address, never drawn: drawn for the donor's page and the post)."""
    failed, queued, not_sent = (Receipt.Delivery.FAILED, Receipt.Delivery.QUEUED,
                                Receipt.Delivery.NOT_SENT)  # fmt: skip
    old = Q(issued_at__lt=timezone.now() - dt.timedelta(minutes=stale_minutes))
    return Receipt.objects.filter(
        Q(delivery_status=failed, delivery_attempts__lt=MAX_DELIVERY_ATTEMPTS)
        | Q(old, delivery_status=queued, status=Receipt.Status.ISSUED)
        | Q(old, delivery_status=not_sent, pdf_sha256="")
    )


@dataclass
class RunDeliveries:
    """How a run's statements went out; the parts add up to what it issued."""

    emailed: int = 0
    waiting: int = 0  # queued for e-mail (or being drawn)
    failed: int = 0
    by_post: int = 0  # no address, or the donor chose the post
    void: int = 0  # voided since (a refund, a correction)

    @property
    def issued(self) -> int:
        return self.emailed + self.waiting + self.failed + self.by_post + self.void


def statement_run_deliveries(*, run: StatementRun) -> RunDeliveries:
    """Every statement the run issued, read from the statements themselves (exact after a
    run was killed and started again), by how its delivery stands."""
    Delivery = Receipt.Delivery
    counts = Receipt.objects.filter(pk__in=run.statements.values("receipt_id")).aggregate(
        void=Count("pk", filter=Q(status=Receipt.Status.VOID)),
        by_post=Count("pk", filter=Q(status=Receipt.Status.ISSUED, donor_email="")),
        emailed=Count("pk", filter=Q(status=Receipt.Status.ISSUED, delivery_status=Delivery.SENT)
                      & ~Q(donor_email="")),
        failed=Count("pk", filter=Q(status=Receipt.Status.ISSUED,
                                    delivery_status=Delivery.FAILED) & ~Q(donor_email="")),
        waiting=Count("pk", filter=Q(status=Receipt.Status.ISSUED) & ~Q(donor_email="")
                      & ~Q(delivery_status__in=[Delivery.SENT, Delivery.FAILED])),
    )  # fmt: skip
    return RunDeliveries(**counts)


def statement_run_notes_summary(*, run: StatementRun) -> list[tuple[StatementRunNote.Reason, int]]:
    """How many of the run's donors were skipped, or issued to be posted, for each reason,
    in the order the reasons are listed."""
    counts = dict(
        run.notes.order_by()
        .values_list("reason")
        .annotate(count=Count("pk"))
        .values_list("reason", "count")
    )
    Reason = StatementRunNote.Reason
    return [(Reason(value), counts[value]) for value in Reason.values if value in counts]


@dataclass
class GiftReceipts:
    """The receipts a gift is on, the one in force first, and why it has none in force
    (empty when it has one, or when it is not posted)."""

    receipts: list[tuple[Receipt, bool]]  # (receipt, in force)
    why_none: str
    waiting: bool  # listed on the page of gifts waiting for a receipt


def gift_receipts(gift: Gift) -> GiftReceipts:
    """What a gift's page says of its receipts: the one in force, the void ones it was on,
    or, for a posted gift without one, why: another currency, below the threshold (left to
    the year-end statement), or what stops it now."""
    lines = list(ReceiptLine.objects.filter(gift=gift).select_related("receipt__series")
                 .order_by("-in_force", "-receipt__issued_at"))  # fmt: skip
    receipts = [(line.receipt, line.in_force) for line in lines]
    if gift.status != Gift.Status.POSTED or any(line.in_force for line in lines):
        return GiftReceipts(receipts, why_none="", waiting=False)
    org = Organisation.current()
    if not org.jurisdiction:
        return GiftReceipts(receipts, "the organisation has no jurisdiction set", False)
    if not rules.receipted_in(gift, jurisdiction=org.jurisdiction):
        why = f"receipts are in {rules.RECEIPT_CURRENCY[org.jurisdiction]}, not {gift.currency}"
        return GiftReceipts(receipts, why, waiting=False)
    if not rules.needs_receipt_automatically(
        gift, jurisdiction=org.jurisdiction, threshold=org.auto_receipt_threshold
    ):
        return GiftReceipts(receipts, "below the threshold, for the year-end statement", False)
    problems = rules.problems_for(gift, jurisdiction=org.jurisdiction, organisation=org)
    why = "; ".join(problems) if problems else "ready to issue"
    recent = gift.received_on.year >= timezone.localdate().year - 1  # as the waiting list
    return GiftReceipts(receipts, why, waiting=recent)

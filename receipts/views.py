"""Public verification of a receipt, the donor's own receipts, and the staff's pages."""

from __future__ import annotations

import itertools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backoffice.exports import csv_writer
from backoffice.money import money_label
from backoffice.params import choice, record_from
from receipts import rules
from receipts.models import Jurisdiction, Organisation, Receipt, StatementRun, StatementRunNote
from receipts.pdfa import concatenate
from receipts.rendering import has_unvalued_property, receipt_copy_pdf, stated_amounts
from receipts.selectors import (
    donor_receipts,
    gifts_waiting_for_receipt,
    statement_run_deliveries,
    statement_run_notes_summary,
    statements_to_post,
)
from receipts.services import receipts_issue_each
from receipts.statements import statement_run_create, statement_run_queue, statement_run_stop


def _initials(name: str) -> str:
    return " ".join(f"{part[0]}." for part in name.split() if part[:1].isalpha())


@login_not_required
def verify(request, code: str):
    """Anyone holding a receipt can check it is genuine: its number, the donor's initials,
    the amount and the document's hash, and whether it was voided."""
    receipt = get_object_or_404(Receipt.objects.select_related("series"), verification_code=code)
    replacement = Receipt.objects.filter(replaces=receipt).first()
    lines = list(receipt.lines.select_related("gift"))
    _, _, eligible = stated_amounts(receipt, lines=lines)
    unvalued = has_unvalued_property(receipt, lines=lines)
    return render(request, "receipts/verify.html", {
        "receipt": receipt, "initials": _initials(receipt.donor_name), "replacement": replacement,
        "eligible": eligible, "unvalued_property": unvalued,
    })  # fmt: skip


def my_receipt_pdf(request, pk: int):
    """A donor's own receipt as PDF; anyone else's is 404."""
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    return _pdf_download(get_object_or_404(donor_receipts(donor_id=donor.pk), pk=pk))


@permission_required("receipts.view_receipt", raise_exception=True)
def receipt_pdf(request, pk: int):
    """Staff download any receipt (to post it, to answer a donor): as issued, or stamped
    void."""
    return _pdf_download(get_object_or_404(Receipt.objects.select_related("series"), pk=pk))


def _pdf_download(receipt: Receipt) -> HttpResponse:
    if not receipt.pdf:
        raise Http404("This receipt is still being prepared.")
    void = "-void" if receipt.status == Receipt.Status.VOID else ""
    return _pdf_attachment(receipt_copy_pdf(receipt), f"{receipt.receipt_number}{void}.pdf")


def _pdf_attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class StatementRunForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    jurisdiction = forms.ChoiceField(choices=Jurisdiction.choices)
    dry_run = forms.BooleanField(required=False, initial=True, label="Dry run (issue nothing)")


@permission_required("receipts.add_statementrun", raise_exception=True)
def statement_runs(request):
    """Start a year-end run (in a task) and see the earlier ones."""
    org = Organisation.current()
    last_year = timezone.localdate().year - 1
    initial = {"year": last_year, "jurisdiction": org.jurisdiction or "US"}
    form = StatementRunForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = statement_run_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("year", exc.messages[0])
        else:
            statement_run_queue(run=run)
            return redirect("statement_run", pk=run.pk)
    runs = StatementRun.objects.select_related("created_by")[:20]
    return render(request, "receipts/statement_runs.html", {"form": form, "runs": runs})


POSTED_PER_PDF = 500  # a PDF to print is made while the page waits: a few seconds at most
NOTES_SHOWN = 200  # on the run's page; the CSV has them all


@permission_required("receipts.view_statementrun", raise_exception=True)
def statement_run(request, pk: int):
    run = get_object_or_404(StatementRun, pk=pk)
    busy = run.status in (StatementRun.Status.QUEUED, StatementRun.Status.RUNNING)
    to_post = (
        0
        if run.dry_run
        else statements_to_post(year=run.year, jurisdiction=run.jurisdiction).count()
    )
    parts = [(n + 1, n * POSTED_PER_PDF + 1, min((n + 1) * POSTED_PER_PDF, to_post))
             for n in range(-(-to_post // POSTED_PER_PDF))]  # fmt: skip
    summary = statement_run_notes_summary(run=run)
    deliveries = None if run.dry_run else statement_run_deliveries(run=run)
    reason = request.GET.get("reason", "")
    if reason not in StatementRunNote.Reason.values:
        reason = ""
    notes = run.notes.filter(reason=reason) if reason else run.notes.all()
    context = {
        "run": run, "busy": busy and not run.stalled, "to_post": to_post, "parts": parts,
        "deliveries": deliveries,
        "summary": summary, "reason": reason, "notes": notes[:NOTES_SHOWN],
        "notes_total": sum(count for _, count in summary),
        "notes_of": sum(count for why, count in summary if why == reason or not reason),
    }  # fmt: skip
    return render(request, "receipts/statement_run.html", context)


@permission_required("receipts.view_statementrun", raise_exception=True)
def statement_run_notes_csv(request, pk: int):
    """Every donor the run skipped or issued to be posted, with why, as CSV."""
    run = get_object_or_404(StatementRun, pk=pk)
    header = [["donor", "name", "reason", "reason_text", "detail"]]
    rows = (
        [
            note.donor_id or "",
            note.donor_name,
            note.reason,
            note.get_reason_display(),
            note.detail,
        ]
        for note in run.notes.order_by("pk").iterator(chunk_size=2000)
    )
    writer = csv_writer(_Echo())
    name = f"statements-{run.year}-{run.jurisdiction}-run-{run.pk}-notes.csv"
    return StreamingHttpResponse(
        (writer.writerow(row) for row in itertools.chain(header, rows)),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class _Echo:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


@permission_required("receipts.view_receipt", raise_exception=True)
def statement_run_to_post(request, pk: int, part: int):
    """Part `part` (500 a part) of the year's statements that go by post, as one PDF."""
    run = get_object_or_404(StatementRun, pk=pk, dry_run=False)
    start = (part - 1) * POSTED_PER_PDF
    receipts = list(statements_to_post(year=run.year, jurisdiction=run.jurisdiction)
                    [start : start + POSTED_PER_PDF]) if part >= 1 else []  # fmt: skip
    if not receipts:
        raise Http404("No statements to post in this part.")
    name = f"statements-{run.year}-{run.jurisdiction}-to-post-{part}.pdf"
    return _pdf_attachment(concatenate(receipt_copy_pdf(r) for r in receipts), name)


@require_POST
@permission_required("receipts.add_statementrun", raise_exception=True)
def statement_run_control(request, pk: int):
    """Stop a running run, or start a stopped one again (it issues nothing twice)."""
    run = get_object_or_404(StatementRun, pk=pk)
    if request.POST.get("do") == "stop" and run.status == StatementRun.Status.RUNNING:
        statement_run_stop(run=run)
    elif request.POST.get("do") == "restart" and run.can_restart:
        statement_run_queue(run=run)
    return redirect("statement_run", pk=run.pk)


WAITING_SHOWN = 100


@permission_required("receipts.view_receipt", raise_exception=True)
def waiting_for_receipt(request):
    """Gifts that should have their receipt and have none in force, each with what stops it
    now; finance fixes the donor or the gift, then issues it here (POST gift=ID)."""
    org = Organisation.current()
    if request.method == "POST":
        if not request.user.has_perm("receipts.add_receipt"):
            raise PermissionDenied
        waiting = gifts_waiting_for_receipt(org=org)
        if request.POST.get("gift"):
            gifts = [record_from(waiting, request.POST, "gift")]
        else:  # "issue every one that is ready", among those shown
            gifts = list(waiting[:WAITING_SHOWN])
        issued, refused = receipts_issue_each(
            gifts=gifts, jurisdiction=org.jurisdiction, by=request.user,
            skip_refused=not request.POST.get("gift"),
        )  # fmt: skip
        for refusal in refused:
            messages.error(request, refusal)
        if issued:
            numbers = ", ".join(r.receipt_number for r in issued)
            messages.success(request, f"{len(issued)} receipts issued: {numbers}.")
        return redirect("waiting_for_receipt")
    waiting = gifts_waiting_for_receipt(org=org)
    shown = list(waiting[:WAITING_SHOWN])
    for gift in shown:
        gift.problems = rules.problems_for(gift, jurisdiction=org.jurisdiction, organisation=org)
        gift.kept_text = money_label(gift.kept_amount, gift.currency)
    org_problems = rules.organisation_problems(org, jurisdiction=org.jurisdiction)
    context = {"gifts": shown, "total": waiting.count(), "org": org, "org_problems": org_problems}
    return render(request, "receipts/waiting.html", context)


@permission_required("receipts.view_receipt", raise_exception=True)
def receipt_preview(request):
    """The receipt a gift would get, as HTML, before it is issued (?gift=ID&jurisdiction=CA)."""
    from donors.models import Gift
    from receipts.rendering import receipt_preview_html

    gift = record_from(Gift.objects.select_related("donor"), request.GET, "gift")
    jurisdiction = choice(request.GET, "jurisdiction", Jurisdiction.values,
                          default=Organisation.current().jurisdiction or "US")  # fmt: skip
    try:
        html = receipt_preview_html(gifts=[gift], jurisdiction=jurisdiction)
    except ValidationError as exc:
        return render(
            request,
            "receipts/preview_refused.html",
            {"gift": gift, "problems": exc.messages},
            status=400,
        )
    return HttpResponse(html)

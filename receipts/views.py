"""Public verification of a receipt, the donor's own receipts, and the staff's pages."""

from __future__ import annotations

import itertools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from backoffice.exports import csv_writer
from backoffice.money import money_label
from backoffice.paging import page_of
from backoffice.params import choice, record_from
from receipts import rules
from receipts.models import (
    Jurisdiction,
    Organisation,
    Receipt,
    StatementRun,
    StatementRunNote,
)
from receipts.pdfa import concatenate
from receipts.rendering import has_unvalued_property, receipt_copy_pdf, stated_amounts
from receipts.selectors import (
    donor_receipts,
    donor_year_gifts,
    gifts_ready_for_receipt,
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
        "eligible": eligible, "unvalued_property": unvalued, "issuer": Organisation.current(),
    })  # fmt: skip


def _own_donor(request):
    """The donor record of this sign-in; anyone else signed in gets 404 on donors' pages."""
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    return donor


def my_receipt_pdf(request, pk: int):
    """A donor's own receipt as PDF; anyone else's is 404."""
    donor = _own_donor(request)
    return _pdf_download(get_object_or_404(donor_receipts(donor_id=donor.pk), pk=pk))


def my_year_summary_pdf(request, year: int):
    """A donor's gifts of one year with the receipt covering each, as a PDF on demand (a
    summary for their records, not a receipt). Anyone else signed in gets 404."""
    from django.template.loader import render_to_string

    from receipts.rendering import html_to_pdf

    donor = _own_donor(request)
    gifts, totals = donor_year_gifts(donor_id=donor.pk, year=year)
    html = render_to_string("receipts/pdf/year_summary.html", {
        "donor": donor, "year": year, "gifts": gifts, "totals": totals,
        "org": Organisation.current(), "today": timezone.localdate(),
    })  # fmt: skip
    return _pdf_attachment(html_to_pdf(html), f"gifts-{year}.pdf")


def my_receipts_zip(request, year: int):
    """All of a donor's receipts for one tax year, as one ZIP (for their tax return): the
    ones in force as issued, void ones stamped void. Anyone else signed in gets 404."""
    import io
    import zipfile

    donor = _own_donor(request)
    receipts = [r for r in donor_receipts(donor_id=donor.pk).filter(tax_year=year) if r.pdf]
    if not receipts:
        raise Http404(f"No receipt for {year} is ready.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed
        for receipt in receipts:
            void = "-void" if receipt.status == Receipt.Status.VOID else ""
            archive.writestr(f"{receipt.receipt_number}{void}.pdf", receipt_copy_pdf(receipt))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="receipts-{year}.zip"'
    return response


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


@permission_required("receipts.view_statementrun", raise_exception=True)
def statement_runs(request):
    """See the year-end runs; finance also starts one here (in a task)."""
    if request.method == "POST" and not request.user.has_perm("receipts.add_statementrun"):
        raise PermissionDenied
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
    runs, paging = page_of(request, StatementRun.objects.select_related("created_by"), per_page=20)
    return render(request, "receipts/statement_runs.html",
                  {"form": form, "runs": runs, "page": runs, "paging": paging})  # fmt: skip


POSTED_PER_PDF = 500  # a PDF to print is made while the page waits: a few seconds at most
NOTES_PER_PAGE = 50  # on the run's page; the CSV has them all


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
    if term := (request.GET.get("q") or "").strip()[:100]:
        notes = notes.filter(donor_name__icontains=term)  # one run's notes: a few thousand
    page, paging = page_of(request, notes.order_by("donor_name", "pk"), per_page=NOTES_PER_PAGE)
    context = {
        "run": run, "busy": busy and not run.stalled, "to_post": to_post, "parts": parts,
        "deliveries": deliveries,
        "summary": summary, "reason": reason, "notes": page.object_list, "page": page,
        "paging": paging, "q": term,
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


WAITING_PER_PAGE = 50
BULK_ISSUE_LIMIT = 2000  # one go of "issue every ready one"; the rest stay for the next


def _waiting_filters(data, org: Organisation) -> tuple[dict, object]:
    """The list's filters from the query (search, year, method) and the gifts they leave."""
    from donors.models import Gift

    this_year = timezone.localdate().year
    years = [str(this_year), str(this_year - 1)]
    said = {"q": (data.get("q") or "").strip()[:100],
            "year": choice(data, "year", ["", *years]),
            "method": choice(data, "method", ["", *Gift.Method.values])}  # fmt: skip
    gifts = gifts_waiting_for_receipt(
        org=org, search=said["q"], year=int(said["year"] or 0) or None, method=said["method"]
    )
    return said | {"years": years, "methods": Gift.Method.choices}, gifts


def _issued_message(issued: list) -> str:
    numbers = [r.receipt_number for r in issued]
    which = numbers[0] if len(numbers) == 1 else f"{numbers[0]} to {numbers[-1]}"
    return ngettext("%(n)d receipt issued: %(which)s.", "%(n)d receipts issued: %(which)s.",
                    len(numbers)) % {"n": len(numbers), "which": which}  # fmt: skip


@permission_required("receipts.view_receipt", raise_exception=True)
def waiting_for_receipt(request):
    """Gifts that should have their receipt and have none in force, each with what stops it
    now; finance fixes the donor or the gift, then issues it here: one (POST gift=ID), or
    every ready one the filters leave, after a page that says how many and how much."""
    org = Organisation.current()
    filters, waiting = _waiting_filters(request.GET, org)
    if request.method == "POST":
        if not request.user.has_perm("receipts.add_receipt"):
            raise PermissionDenied
        if request.POST.get("gift"):
            gifts = [record_from(waiting, request.POST, "gift")]
        else:
            gifts = gifts_ready_for_receipt(waiting, org=org, limit=BULK_ISSUE_LIMIT)
            count, total = len(gifts), sum(g.kept for g in gifts)
            confirmed = request.POST.get("confirm") == f"{count}:{total}"
            if not confirmed:  # first ask, or the list changed since the question
                return render(request, "receipts/waiting_confirm.html", {
                    "count": count, "total": money_label(total, waiting_currency(org)),
                    "left": waiting.count() - count, "token": f"{count}:{total}",
                    "filters": filters, "query": request.GET.urlencode(),
                    "changed": "confirm" in request.POST, "limit": BULK_ISSUE_LIMIT,
                })  # fmt: skip
        issued, refused = receipts_issue_each(
            gifts=gifts, jurisdiction=org.jurisdiction, by=request.user,
            skip_refused=not request.POST.get("gift"),
        )  # fmt: skip
        for refusal in refused:
            messages.error(request, refusal)
        if issued:
            messages.success(request, _issued_message(issued))
        return redirect(f"{reverse('waiting_for_receipt')}?{request.GET.urlencode()}")
    page, paging = page_of(request, waiting, per_page=WAITING_PER_PAGE)
    for gift in page:
        gift.problems = rules.problems_for(gift, jurisdiction=org.jurisdiction, organisation=org)
        gift.kept_text = money_label(gift.kept, gift.currency)
    org_problems = rules.organisation_problems(org, jurisdiction=org.jurisdiction)
    return render(request, "receipts/waiting.html", {
        "page": page, "gifts": page.object_list, "total": page.paginator.count, "org": org,
        "org_problems": org_problems, "filters": filters, "paging": paging,
        "query": request.GET.urlencode(),
    })  # fmt: skip


def waiting_currency(org: Organisation) -> str:
    return rules.RECEIPT_CURRENCY.get(org.jurisdiction, org.currency)


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
    # The receipt's CSS names its fonts relative to its own folder (as WeasyPrint reads
    # them); in a browser that folder is the static one.
    from django.templatetags.static import static

    return HttpResponse(html.replace("<head>", f'<head><base href="{static("receipts/")}">', 1))

"""The reconciliation workbench: payouts by status, and a payout's lines and exceptions."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render

from backoffice.params import choice, record_from
from payments.models import Payout


@permission_required("payments.view_payout", raise_exception=True)
def workbench(request):
    status = request.GET.get("status", "")
    payouts = Payout.objects.select_related("reconciliation").order_by("-arrival_date", "-id")
    if status == "unchecked":
        payouts = payouts.filter(reconciliation__isnull=True)
    elif status:
        payouts = payouts.filter(reconciliation__status=status)
    counts = Payout.objects.aggregate(
        reconciled=Count("id", filter=Q(reconciliation__status="reconciled")),
        exceptions=Count("id", filter=Q(reconciliation__status="exceptions")),
        unchecked=Count("id", filter=Q(reconciliation__isnull=True)),
    )
    return render(request, "reconciliation/workbench.html",
                  {"payouts": payouts[:200], "counts": counts, "status": status})  # fmt: skip


@permission_required("payments.view_payout", raise_exception=True)
def payout_page(request, pk: int):
    payout = get_object_or_404(Payout.objects.select_related("reconciliation"), pk=pk)
    if request.method == "POST" and request.user.has_perm("reconciliation.change_period"):
        # "Check again": after a missing gift, refund or dispute has been recorded.
        from reconciliation.services import payout_reconcile

        payout_reconcile(payout=payout)
        return redirect("payout_page", pk=payout.pk)
    lines = payout.lines.select_related(
        "payment__gift__donor", "refund", "dispute", "sponsor_payment__sponsor"
    )
    return render(request, "reconciliation/payout.html", {"payout": payout, "lines": lines})


@permission_required("payments.view_payout", raise_exception=True)
def journal_download(request):
    """The journal for ?from=YYYY-MM-DD&to=YYYY-MM-DD as CSV (this month by default), from
    the ledger as posted: the same file as the ledger page's."""
    from ledger.views import export

    return export(request, "journal")


@permission_required("reconciliation.view_bankline", raise_exception=True)
def bank_lines(request):
    """Bank deposits not matched yet, each with the payouts and deposit batches of the same
    amount near its date; finance matches one with a click (or unmatches a match)."""

    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError

    from reconciliation.bank import (
        bank_line_explain,
        bank_line_split,
        bank_match_manual,
        bank_unmatch,
        unmatched_lines,
    )
    from reconciliation.models import BankLine, BankMatch

    if request.method == "POST":
        if not request.user.has_perm("reconciliation.change_bankline"):
            raise PermissionDenied
        try:
            if request.FILES.get("statement"):
                return _preview_statement(request)
            if request.POST.get("import_previewed"):
                return _import_statement(request)
            if request.POST.get("split"):
                from backoffice.money import parse_amount

                line = record_from(BankLine.objects.select_related("account"), request.POST,
                                   "split")  # fmt: skip
                try:
                    amounts = [parse_amount(x, line.account.currency)
                               for x in request.POST.get("parts", "").split()]  # fmt: skip
                except ValueError as exc:
                    raise ValidationError(str(exc)) from exc
                bank_line_split(line=line, amounts=amounts, by=request.user)
            elif request.POST.get("accept_all") or request.POST.get("accept"):
                from reconciliation.bank import bank_matches_accept, proposed_matches

                chosen = (list(proposed_matches()) if request.POST.get("accept_all") else
                          [record_from(BankMatch.objects, request.POST, "accept")])  # fmt: skip
                done = bank_matches_accept(matches=chosen, by=request.user)
                messages.success(request, f"{done} match{'es' if done != 1 else ''} accepted.")
            elif request.POST.get("unmatch"):
                bank_unmatch(match=record_from(BankMatch.objects, request.POST, "unmatch"),
                             by=request.user)  # fmt: skip
            elif request.POST.get("explain"):
                line = record_from(BankLine.objects, request.POST, "explain")
                bank_line_explain(
                    line=line,
                    account=_ledger_account(request.POST, "account_code"),
                    reason=request.POST.get("reason", ""),
                    by=request.user,
                )
            else:
                line = record_from(BankLine.objects, request.POST, "line")
                movements = _movements()
                kind = choice(request.POST, "kind", movements)
                item = record_from(movements[kind], request.POST, "item")
                difference_account = (
                    _ledger_account(request.POST, "difference_account")
                    if request.POST.get("difference_account")
                    else None
                )
                bank_match_manual(
                    lines=[line],
                    by=request.user,
                    note=request.POST.get("note", ""),
                    difference_account=difference_account,
                    **{kind: [item]},
                )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        return redirect("bank_lines")
    open_lines = unmatched_lines()
    from reconciliation.bank import proposed_matches

    live = BankMatch.objects.filter(undone_at__isnull=True, accepted_at__isnull=False)
    matches = live.select_related(
        "difference_account").prefetch_related("lines__account", "payouts", "batches",
        "sponsor_payments__sponsor", "disbursements", "gifts").order_by("-at")[:50]  # fmt: skip
    from ledger.models import Account
    from reconciliation.models import BankAccount
    from reconciliation.selectors import bank_balance_charts

    return render(request, "reconciliation/bank_lines.html",
                  {"open_lines": open_lines, "matches": matches,
                   "accounts": BankAccount.objects.order_by("name"),
                   "ledger_accounts": Account.objects.filter(is_bank=False),
                   "balance_charts": bank_balance_charts(),
                   "proposed": proposed_matches()})  # fmt: skip


def _movements() -> dict:
    from donors.models import Gift, GiftBatch
    from sponsorships.models import Disbursement, SponsorPayment

    return {"payouts": Payout.objects.all(), "batches": GiftBatch.objects.all(),
            "sponsor_payments": SponsorPayment.objects.all(),
            "disbursements": Disbursement.objects.all(), "gifts": Gift.objects.all()}  # fmt: skip


def _ledger_account(data, name: str):
    """The ledger account whose code was typed in `name`; a clear error otherwise."""
    from django.core.exceptions import ValidationError

    from ledger.models import Account

    code = data.get(name, "").strip()
    account = Account.objects.filter(code=code).first()
    if account is None:
        raise ValidationError({name: f"No account {code!r} in the chart of accounts."})
    return account


UPLOAD_KEY = "bank_statement_upload"
UPLOAD_LIMIT = 10 * 1024 * 1024


def _preview_statement(request):
    """A statement uploaded on the bank page is read first, written nowhere: the page shows
    how it was read (format, encoding, separator, header line, decimal comma), its first
    rows and what would refuse it. The file waits in the session for the person's yes."""
    import base64

    from reconciliation.bank import bank_statement_preview
    from reconciliation.models import BankAccount

    account = record_from(BankAccount.objects, request.POST, "account")
    upload = request.FILES["statement"]
    if upload.size > UPLOAD_LIMIT:
        from django.core.exceptions import ValidationError

        raise ValidationError(f"{upload.name} is over {UPLOAD_LIMIT // 1024 // 1024} MB: "
                              "export a shorter period.")  # fmt: skip
    data = upload.read()
    report = bank_statement_preview(account=account, data=data)
    request.session[UPLOAD_KEY] = {"account": account.pk, "name": upload.name[:255],
                                   "data": base64.b64encode(data).decode()}  # fmt: skip
    return render(request, "reconciliation/bank_preview.html",
                  {"account": account, "name": upload.name, "report": report})  # fmt: skip


def _import_statement(request):
    """The previewed file, imported with its account's layout, then the automatic matching
    runs. Bad rows are listed; nothing is written then."""
    import base64

    from django.contrib import messages

    from reconciliation.bank import bank_auto_match, bank_statement_import
    from reconciliation.models import BankAccount

    upload = request.session.pop(UPLOAD_KEY, None)
    if not upload:
        messages.error(request, "Upload the statement again: the previewed file is gone.")
        return redirect("bank_lines")
    account = BankAccount.objects.get(pk=upload["account"])
    name = upload["name"]
    report = bank_statement_import(account=account, data=base64.b64decode(upload["data"]),
                                   name=name, by=request.user)  # fmt: skip
    if report.errors:
        for error in report.errors[:20]:
            messages.error(request, f"{name}: {error}")
        messages.error(request, "Nothing was imported.")
    else:
        matched = bank_auto_match(account=account)
        messages.success(request, f"{report.added} lines imported ({report.already} already "
                                  f"there); {matched} matches made.")  # fmt: skip
        for note in report.notes:
            messages.warning(request, f"{name}: {note}")
    return redirect("bank_lines")


@permission_required("reconciliation.view_period", raise_exception=True)
def periods(request):
    """The months of the books: which are closed, and a way into each one's close."""
    from reconciliation.periods import months_to_show

    return render(request, "reconciliation/periods.html", {"months": months_to_show()})


@permission_required("reconciliation.view_period", raise_exception=True)
def period_page(request, year: int, month: int):
    """One month's close: its checklist, close (with a confirmation) and reopen (with a
    reason), and what was done before, by whom."""
    import datetime as dt

    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from reconciliation.models import Period
    from reconciliation.periods import period_checklist, period_close, period_reopen

    try:
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise Http404("No such month.") from exc
    if request.method == "POST":
        try:
            if request.POST.get("do") == "close":
                if request.POST.get("confirm") != "yes":
                    raise ValidationError("Tick the box to confirm the month is to close.")
                period_close(month=first, by=request.user)
                messages.success(request, f"{first:%B %Y} is closed.")
            elif request.POST.get("do") == "reopen":
                period_reopen(month=first, by=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, f"{first:%B %Y} is open again.")
        except PermissionDenied:
            raise
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        return redirect("period_page", year=year, month=month)
    period = Period.objects.filter(month=first).first()
    checklist = period_checklist(month=first)
    return render(request, "reconciliation/period.html", {
        "month": first, "period": period, "checklist": checklist,
        "ready": all(item.done for item in checklist if item.blocks),
        "events": period.events.select_related("by") if period else [],
    })  # fmt: skip

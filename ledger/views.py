"""The ledger for staff: the chart with balances and a statement of activities by fund,
an account's lines, an entry with the document it came from, the trial balance, and the
files for the accountant. Thin: the figures come from ledger.reports."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ledger import reports
from ledger.models import Account, Entry, Line

SOURCE_ADMIN = {
    "gift": "donors_gift", "payment": "payments_payment", "refund": "payments_refund",
    "dispute": "payments_dispute", "payout": "payments_payout", "deposit": "donors_giftbatch",
    "sponsor_payment": "sponsorships_sponsorpayment",
    "disbursement": "sponsorships_disbursement", "bank_match": "reconciliation_bankmatch",
}  # fmt: skip


def source_url(entry: Entry) -> str:
    try:
        return reverse(f"admin:{SOURCE_ADMIN[entry.source_type]}_change", args=[entry.source_id])
    except (KeyError, NoReverseMatch):
        return ""


def _month(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default.replace(day=1)
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise ValidationError(f"month: {text[:20]!r} is not YYYY-MM.") from exc


def _bad(exc: ValidationError) -> HttpResponse:
    return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")


@permission_required("ledger.view_entry", raise_exception=True)
def ledger_home(request):
    today = timezone.localdate()
    year_start = today.replace(month=1, day=1)
    balances = reports.trial_balance(start=None, end=today)
    activities = reports.statement_of_activities(start=year_start, end=today)
    return render(request, "ledger/home.html", {
        "balances": balances, "activities": activities,
        "by_restriction": reports.by_restriction(activities), "year_start": year_start,
        "today": today, "entries": Entry.objects.count(),
    })  # fmt: skip


@permission_required("ledger.view_entry", raise_exception=True)
def account_page(request, code: str):
    account = get_object_or_404(Account, code=code)
    lines = (
        Line.objects.filter(account=account).select_related("entry", "fund")
        .order_by("-entry__posted_on", "-entry_id")
    )  # fmt: skip
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(request, "ledger/account.html", {"account": account, "page": page})


@permission_required("ledger.view_entry", raise_exception=True)
def entry_page(request, pk: int):
    entry = get_object_or_404(Entry.objects.prefetch_related("lines__account", "lines__fund"),
                              pk=pk)  # fmt: skip
    others = Entry.objects.filter(source_type=entry.source_type,
                                  source_id=entry.source_id).exclude(pk=pk)  # fmt: skip
    return render(request, "ledger/entry.html",
                  {"entry": entry, "source_url": source_url(entry), "others": others})  # fmt: skip


@permission_required("ledger.view_entry", raise_exception=True)
def trial_balance_page(request):
    try:
        month = _month(request.GET.get("month"), timezone.localdate())
    except ValidationError as exc:
        return _bad(exc)
    end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    rows = reports.trial_balance(start=None, end=end)
    return render(request, "ledger/trial_balance.html", {
        "rows": rows, "month": month, "end": end,
        "off": reports.unbalanced_currencies(rows),
    })  # fmt: skip


@permission_required("ledger.view_entry", raise_exception=True)
def export(request, kind: str):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (this month by default)."""
    if kind not in reports.EXPORTS:
        raise Http404("No such export.")
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("from") or today.replace(day=1).isoformat())
        end = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
        text = reports.EXPORTS[kind](start, end)
    except ValueError:
        return HttpResponse("from and to are dates: YYYY-MM-DD.", status=400,
                            content_type="text/plain")  # fmt: skip
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=409, content_type="text/plain")
    response = HttpResponse(text, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{start}-{end}.csv"'
    return response

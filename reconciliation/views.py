"""The reconciliation workbench: payouts by status, and a payout's lines and exceptions."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

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
    lines = payout.lines.select_related("payment__gift__donor", "refund", "dispute")
    return render(request, "reconciliation/payout.html", {"payout": payout, "lines": lines})


@permission_required("payments.view_payout", raise_exception=True)
def journal_download(request):
    """The journal for ?from=YYYY-MM-DD&to=YYYY-MM-DD as CSV (this month by default)."""
    import datetime as dt

    from django.http import HttpResponse
    from django.utils import timezone

    from reconciliation.journal import journal, journal_csv, unbalanced

    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("from") or today.replace(day=1).isoformat())
        end = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        return HttpResponse("from and to are dates: YYYY-MM-DD.", status=400,
                            content_type="text/plain")  # fmt: skip
    postings = journal(start=start, end=end)
    if problems := unbalanced(postings):
        return HttpResponse("The journal does not balance: " + "; ".join(problems[:10]),
                            status=409, content_type="text/plain")  # fmt: skip
    response = HttpResponse(journal_csv(postings), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="journal-{start}-{end}.csv"'
    return response

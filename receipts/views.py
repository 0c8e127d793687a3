"""Public verification of a receipt, and the donor's own receipts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from receipts.models import Receipt
from receipts.selectors import donor_receipts


def _initials(name: str) -> str:
    return " ".join(f"{part[0]}." for part in name.split() if part[:1].isalpha())


@login_not_required
def verify(request, code: str):
    """Anyone holding a receipt can check it is genuine: its number, the donor's initials,
    the amount and the document's hash, and whether it was voided."""
    receipt = get_object_or_404(Receipt.objects.select_related("series"), verification_code=code)
    replacement = Receipt.objects.filter(replaces=receipt).first()
    return render(request, "receipts/verify.html", {
        "receipt": receipt, "initials": _initials(receipt.donor_name), "replacement": replacement,
    })  # fmt: skip


def my_receipt_pdf(request, pk: int):
    """A donor's own receipt as PDF; anyone else's is 404."""
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    receipt = get_object_or_404(donor_receipts(donor_id=donor.pk), pk=pk)
    if not receipt.pdf:
        raise Http404("This receipt is still being prepared.")
    return FileResponse(receipt.pdf.open("rb"), as_attachment=True,
                        filename=f"{receipt.receipt_number}.pdf")  # fmt: skip

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from donors.forms import GiftImportForm, MyAddressForm
from donors.importing import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    gift_import_create,
    gift_import_queue,
    gift_import_restart,
)
from donors.models import Donor, Gift, GiftImport
from donors.selectors import donor_gifts
from donors.services import donor_update_contact
from donors.tasks import check_gift_import, commit_gift_import


@permission_required("donors.add_giftimport", raise_exception=True)
def gift_import_new(request):
    form = GiftImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = gift_import_create(data=upload.read(), name=upload.name, by=request.user)
        transaction.on_commit(lambda: check_gift_import.enqueue(run.pk))
        return redirect("gift_import_detail", pk=run.pk)
    context = {
        "form": form,
        "required": REQUIRED_COLUMNS,
        "optional": OPTIONAL_COLUMNS,
        "recent": GiftImport.objects.select_related("uploaded_by")[:10],
    }
    return render(request, "donors/import_new.html", context)


@permission_required("donors.view_giftimport", raise_exception=True)
def gift_import_detail(request, pk: int):
    run = get_object_or_404(GiftImport.objects.select_related("uploaded_by"), pk=pk)
    busy = run.busy and not run.stalled
    return render(request, "donors/import_detail.html", {"run": run, "busy": busy})


@require_POST
@permission_required("donors.add_giftimport", raise_exception=True)
def gift_import_restart_view(request, pk: int):
    """Start again a check or an import whose worker died, or that failed."""
    run = get_object_or_404(GiftImport, pk=pk)
    try:
        gift_import_restart(run=run, by=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("gift_import_detail", pk=pk)


@require_POST
@permission_required("donors.add_giftimport", raise_exception=True)
def gift_import_commit_view(request, pk: int):
    if not gift_import_queue(run_id=pk):
        raise Http404("This import is not waiting to be imported.")
    transaction.on_commit(lambda: commit_gift_import.enqueue(pk))
    return redirect("gift_import_detail", pk=pk)


def my_gifts(request):
    """A donor's own gifts. Anyone signed in who is not a donor gets 404."""
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    return render(
        request,
        "donors/my_gifts.html",
        {
            "donor": donor,
            "gifts": donor_gifts(donor_id=donor.pk)[:200],
            # Plans paid online (a processor reference) can be changed by the donor there.
            "online_plans": donor.recurring_plans.exclude(external_reference=""),
            "portal_token": uuid.uuid4().hex,
            "receipt_years": sorted(
                set(donor.receipts.values_list("tax_year", flat=True)), reverse=True
            ),
            "gift_years": sorted(
                {
                    d.year
                    for d in donor.gifts.exclude(status=Gift.Status.VOID).dates(
                        "received_on", "year"
                    )
                },
                reverse=True,
            ),  # fmt: skip
        },
    )


def my_address(request):
    """A donor's own address and language; anyone else signed in gets 404."""
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    form = MyAddressForm(request.POST or None, instance=donor)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in form.Meta.fields}
        donor_update_contact(donor=Donor.objects.get(pk=donor.pk), by=request.user, **fields)
        messages.success(request, "Thank you: your next receipts will use this address.")
        return redirect("my_gifts")
    return render(request, "donors/my_address.html", {"form": form})

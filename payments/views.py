"""Thin views: the public donation page, its return pages, the webhook endpoint, and the
donor's way into Stripe's customer portal."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from donors.models import Campaign, Fund
from payments.forms import DonationForm
from payments.inbox import BadDelivery, event_store, verify_delivery
from payments.models import Donation
from payments.services import (
    RECEIPT_PROMISES,
    PaymentProviderError,
    customer_portal_url,
    donation_checkout,
    donation_create,
)
from payments.stripe_api import stripe_configured

log = logging.getLogger(__name__)


def _campaign(code: str) -> Campaign:
    return get_object_or_404(Campaign, code=code, is_active=True)


@login_not_required
def give(request, campaign: str):
    """The public donation page of one campaign."""
    campaign = _campaign(campaign)
    default_fund = Fund.objects.filter(code="GEN", is_active=True).first()
    configured = stripe_configured()
    ref = request.GET.get("ref", "")[:40]
    form = DonationForm(request.POST or None, default_fund=default_fund, initial={"ref": ref})
    if request.method == "POST" and configured and form.is_valid():
        data = form.cleaned_data
        donor = getattr(request.user, "donor", None) if request.user.is_authenticated else None
        donation = donation_create(
            campaign=campaign,
            fund=data["fund"],
            amount=data["amount"],
            currency=data["currency"],
            frequency=data["frequency"],
            cover_fee=data["cover_fee"],
            tribute_type=data["tribute_type"],
            tribute_name=data["tribute_name"],
            referral_code=data["ref"],
            donor=donor,
            form_token=data["form_token"],
        )
        here = request.build_absolute_uri(reverse("give", args=[campaign.code]))
        try:
            url = donation_checkout(
                donation=donation,
                success_url=request.build_absolute_uri(
                    reverse("give_thanks", args=[campaign.code])
                ),
                cancel_url=here + "?cancelled=1",
            )
        except PaymentProviderError as exc:
            form.add_error(None, str(exc))  # the form comes back as the donor filled it
        else:
            return redirect(url)
    return render(
        request,
        "payments/give.html",
        {
            "campaign": campaign,
            "form": form,
            "stripe_configured": configured,
            "cancelled": "cancelled" in request.GET,
        },
        status=200 if form.is_bound is False or not form.errors else 400,
    )


@login_not_required
def give_thanks(request, campaign: str):
    campaign = _campaign(campaign)
    session_id = request.GET.get("session_id", "")[:100]
    donation = (
        Donation.objects.filter(checkout_session_id=session_id, campaign=campaign).first()
        if session_id
        else None
    )
    promise = " ".join(
        said for promise in RECEIPT_PROMISES
        if donation and (said := promise(donation.amount, donation.currency))
    )  # fmt: skip
    context = {"campaign": campaign, "donation": donation, "receipt_promise": promise}
    return render(request, "payments/thanks.html", context)


@csrf_exempt
@login_not_required
@transaction.non_atomic_requests
@require_POST
def stripe_webhook(request):
    """Verify, store once, answer at once; a task does the work."""
    try:
        event = verify_delivery(
            body=request.body, signature_header=request.headers.get("Stripe-Signature")
        )
    except BadDelivery as exc:
        log.warning("Refused a Stripe webhook: %s", exc)
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    stored = event_store(body=request.body, event=event)
    return HttpResponse("stored" if stored.created else "duplicate", content_type="text/plain")


@require_POST
def manage_recurring(request):
    """Send a signed-in donor to Stripe's customer portal for their recurring gifts."""
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    try:
        url = customer_portal_url(
            donor=donor,
            return_url=request.build_absolute_uri(reverse("my_gifts")),
            request_token=request.POST.get("token", "")[:64],
        )
    except (ValidationError, PaymentProviderError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return redirect("my_gifts")
    return redirect(url)

"""The sponsor portal (a sponsor's contacts see their own side) and the staff pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from backoffice.money import money_label
from sponsorships.forms import PaymentForm, WriteOffForm
from sponsorships.models import (
    AcknowledgementLetter,
    Agreement,
    Instalment,
    PaymentApplication,
    SponsorContact,
    SponsorPayment,
)
from sponsorships.selectors import (
    agreement_balance,
    benefit_share,
    benefits_to_deliver,
    flagged_agreements,
    overdue_instalments,
    pipeline,
    portal_agreements,
    renewals_due,
    restricted_funds_by_year,
)
from sponsorships.services import instalment_write_off, payment_record

# --- the sponsor portal: every page 404s for records of a sponsor the user is not with ---


def _contacts(request) -> list[SponsorContact]:
    contacts = list(request.user.sponsor_contacts.select_related("sponsor"))
    if not contacts:
        raise Http404("No sponsor belongs to this sign-in.")
    return contacts


def _is_billing(contacts, sponsor_id: int) -> bool:
    return any(
        c.sponsor_id == sponsor_id and c.role == SponsorContact.Role.BILLING for c in contacts
    )


def portal_home(request):
    contacts = _contacts(request)
    agreements = list(portal_agreements(request.user))
    for agreement in agreements:
        instalments = list(agreement.instalments.all())
        agreement.paid = sum(i.paid_amount for i in instalments)
        agreement.open = sum(i.open_amount for i in instalments)
        agreement.next_due = next((i for i in instalments if i.open_amount), None)
    sponsors = sorted({c.sponsor for c in contacts}, key=lambda s: s.name)
    letters = AcknowledgementLetter.objects.filter(
        payment__sponsor_id__in=[s.pk for s in sponsors], pdf_sha256__gt=""
    ).select_related("series")[:50]
    return render(request, "sponsorships/portal_home.html",
                  {"agreements": agreements, "sponsors": sponsors, "letters": letters})  # fmt: skip


def portal_letter_pdf(request, pk: int):
    """An acknowledgement letter, for a contact of its sponsor (404 for anyone else)."""
    sponsor_ids = [c.sponsor_id for c in _contacts(request)]
    letter = (
        AcknowledgementLetter.objects.filter(pk=pk, payment__sponsor_id__in=sponsor_ids)
        .exclude(pdf="")
        .select_related("series")
        .first()
    )
    if letter is None:
        raise Http404("No such letter for this sponsor.")
    return FileResponse(letter.pdf.open("rb"), content_type="application/pdf",
                        filename=f"{letter.letter_number}.pdf")  # fmt: skip


def portal_agreement(request, pk: int):
    contacts = _contacts(request)
    agreement = next((a for a in portal_agreements(request.user).filter(pk=pk)), None)
    if agreement is None:
        raise Http404("No such agreement for this sponsor.")
    context = {
        "agreement": agreement,
        "instalments": list(agreement.instalments.all()),
        "benefits": list(agreement.benefits.all()),
        "billing": _is_billing(contacts, agreement.sponsor_id),
    }
    return render(request, "sponsorships/portal_agreement.html", context)


def portal_invoice_pdf(request, pk: int):
    """An instalment's invoice as a PDF, for any contact of its sponsor (404 for others)."""
    sponsor_ids = [c.sponsor_id for c in _contacts(request)]
    instalment = (
        Instalment.objects.select_related("agreement__sponsor")
        .filter(pk=pk, agreement__sponsor_id__in=sponsor_ids)
        .exclude(agreement__status=Agreement.Status.DRAFT)
        .first()
    )
    if instalment is None:
        raise Http404("No such instalment for this sponsor.")
    return _invoice_response(instalment)


def _invoice_response(instalment: Instalment) -> HttpResponse:
    from sponsorships.rendering import instalment_invoice_pdf, invoice_number

    response = HttpResponse(instalment_invoice_pdf(instalment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_number(instalment)}.pdf"'
    return response


def portal_payments(request):
    """Payments received from the user's sponsors: for their billing contacts only."""
    contacts = _contacts(request)
    billing = [c.sponsor_id for c in contacts if c.role == SponsorContact.Role.BILLING]
    if not billing:
        raise Http404("Payments are shown to billing contacts.")
    payments = (
        SponsorPayment.objects.filter(sponsor_id__in=billing)
        .select_related("sponsor")
        .prefetch_related(
            Prefetch(  # one join, not an OR per instalment (Django 5.2, SQLite)
                "applications",
                queryset=PaymentApplication.objects.select_related("instalment__agreement"),
            )
        )  # fmt: skip
    )
    return render(request, "sponsorships/portal_payments.html", {"payments": payments})


# --- staff ------------------------------------------------------------------------------


@permission_required("sponsorships.view_agreement", raise_exception=True)
def overview(request):
    """Overdue instalments, renewals due in 90 days, the pipeline by quarter and by sponsor
    type, and the restricted funds."""
    currency = request.GET.get("currency", "USD").upper()[:3]
    flow = pipeline(currency=currency)
    peak = max([v for q in flow["quarters"].values() for v in q.values()] or [1]) or 1
    context = {
        "overdue": overdue_instalments()[:100],
        "renewals": renewals_due(),
        "pipeline": flow,
        "peak": peak,
        "currency": currency,
        "funds": restricted_funds_by_year(),
        "to_deliver": benefits_to_deliver()[:100],
        "flagged": flagged_agreements(),
        "today": timezone.localdate(),
    }
    return render(request, "sponsorships/overview.html", context)


@permission_required("sponsorships.view_instalment", raise_exception=True)
def staff_invoice_pdf(request, pk: int):
    try:
        instalment = Instalment.objects.select_related("agreement__sponsor").get(pk=pk)
    except Instalment.DoesNotExist as exc:
        raise Http404 from exc
    return _invoice_response(instalment)


def _record_payment(request, agreement: Agreement, form: PaymentForm) -> bool:
    """The payment through the service; a refusal is shown on the form (nothing written)."""
    data = form.cleaned_data
    try:
        payment = payment_record(
            sponsor=agreement.sponsor, amount=data["amount"], currency=agreement.currency,
            received_on=data["received_on"], method=data["method"],
            reference=data["reference"], pay_in_order=list(data["instalments"]), by=request.user,
        )  # fmt: skip
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    note = (
        f" ({money_label(payment.credit, payment.currency)} held as credit)"
        if payment.credit
        else ""
    )
    messages.success(request, f"Payment recorded{note}.")
    return True


@permission_required("sponsorships.view_agreement", raise_exception=True)
def agreement_page(request, pk: int):
    try:
        agreement = Agreement.objects.select_related("sponsor", "fund", "campaign", "tier").get(
            pk=pk
        )
    except Agreement.DoesNotExist as exc:
        raise Http404 from exc
    instalments = list(agreement.instalments.prefetch_related("applications__payment"))
    user = request.user
    payment_form = PaymentForm(agreement=agreement, prefix="pay")
    write_off_form = WriteOffForm(agreement=agreement, prefix="off")
    if request.method == "POST" and request.POST.get("do") == "pay":
        if not user.has_perm("sponsorships.add_sponsorpayment"):
            raise PermissionDenied
        payment_form = PaymentForm(request.POST, agreement=agreement, prefix="pay")
        if payment_form.is_valid() and _record_payment(request, agreement, payment_form):
            return redirect("agreement_page", pk=agreement.pk)
    if request.method == "POST" and request.POST.get("do") == "write_off":
        if not user.has_perm("sponsorships.change_instalment"):
            raise PermissionDenied
        write_off_form = WriteOffForm(request.POST, agreement=agreement, prefix="off")
        if write_off_form.is_valid():
            data = write_off_form.cleaned_data
            try:
                instalment_write_off(instalment=data["instalment"], amount=data["amount"],
                                     reason=data["reason"], by=user)  # fmt: skip
            except ValidationError as exc:
                write_off_form.add_error(None, exc)
            else:
                messages.success(request, f"Instalment {data['instalment'].number} written off.")
                return redirect("agreement_page", pk=agreement.pk)
    context = {
        "payment_form": payment_form if user.has_perm("sponsorships.add_sponsorpayment") else None,
        "write_off_form": write_off_form
        if user.has_perm("sponsorships.change_instalment")
        else None,
        "agreement": agreement,
        "balance": agreement_balance(agreement),
        "benefit_share": benefit_share(agreement),
        "instalments": instalments,
        "benefits": list(agreement.benefits.all()),
    }
    return render(request, "sponsorships/agreement.html", context)

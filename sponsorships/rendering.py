"""The PDF invoice for an instalment paid by wire or cheque (WeasyPrint, the receipts' fonts
and URL fetcher: nothing read outside the project). One document per request."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from receipts.models import Organisation
from receipts.rendering import html_to_pdf
from sponsorships.models import Instalment
from sponsorships.selectors import benefit_share


def invoice_number(instalment: Instalment) -> str:
    """The reference a sponsor quotes with a payment (also in the reminders)."""
    return f"AGR-{instalment.agreement_id}-{instalment.number}"


def instalment_invoice_pdf(instalment: Instalment) -> bytes:
    agreement = instalment.agreement
    context = {
        "number": invoice_number(instalment), "instalment": instalment, "agreement": agreement,
        "sponsor": agreement.sponsor, "org": Organisation.current(),
        "count": agreement.instalments.count(), "today": timezone.localdate(),
        "benefit_share": benefit_share(agreement),
    }  # fmt: skip
    return html_to_pdf(render_to_string("sponsorships/pdf/invoice.html", context))

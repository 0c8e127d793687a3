"""Receipts as PDF/A-3b documents, drawn by WeasyPrint from HTML templates, with the
receipt's data embedded as a JSON attachment and the fonts shipped in receipts/static.

WeasyPrint reads nothing but the project's own static files, the media files (the logo and
signature) and data: URLs: no network, no other file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
from pathlib import Path

import qrcode
import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint.text.fonts import FontConfiguration

from backoffice.money import format_money
from receipts import rules
from receipts.models import Organisation, Receipt

STATIC = Path(__file__).resolve().parent / "static" / "receipts"


class ProjectFilesOnly(weasyprint.URLFetcher):
    """Fetches data: URLs and files under the project's receipt assets or MEDIA_ROOT."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            roots = [STATIC.resolve(), Path(settings.MEDIA_ROOT).resolve()]
            if any(path.is_relative_to(root) for root in roots):
                return super().fetch(url, headers)
        raise ValueError(f"Receipts may not load {url!r}: only the project's own files.")


def verification_url(receipt: Receipt) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/receipts/verify/{receipt.verification_code}/"


def _qr_png(text: str) -> str:
    """A PNG: WeasyPrint lays an SVG of the same code out several times slower."""
    image = qrcode.make(text, box_size=4, border=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@functools.cache
def _font_config() -> FontConfiguration:
    """One per process: loading the shipped fonts once rather than per document."""
    return FontConfiguration()


def receipt_data(receipt: Receipt) -> dict:
    """What the receipt says, as data: embedded in the PDF and shown by the verification."""
    return {
        "receipt_number": receipt.receipt_number,
        "kind": receipt.kind,
        "jurisdiction": receipt.series.jurisdiction,
        "issued_at": receipt.issued_at.isoformat(),
        "tax_year": receipt.tax_year,
        "donor_name": receipt.donor_name,
        "donor_address": receipt.donor_address,
        "currency": receipt.currency,
        "total_amount": receipt.total_amount,
        "advantage_amount": receipt.advantage_amount,
        "eligible_amount": receipt.eligible_amount,
        "replaces": receipt.replaces.receipt_number if receipt.replaces_id else None,
        "gifts": [
            {
                "gift": line.gift_id,
                "received_on": line.gift.received_on.isoformat(),
                "amount": line.amount,
                "advantage": line.advantage,
            }
            for line in receipt.lines.select_related("gift")
        ],  # fmt: skip
        "verification_code": receipt.verification_code,
    }


def receipt_html(receipt: Receipt, *, organisation: Organisation | None = None, lines=None) -> str:
    """The receipt as HTML: the PDF's source, and the staff's preview (an unsaved receipt
    with its unsaved `lines`)."""
    org = organisation or Organisation.current()
    language = receipt.language if receipt.language in ("en", "fr") else "en"
    lines = list(receipt.lines.select_related("gift")) if lines is None else list(lines)
    in_kind = [line for line in lines if line.gift.method in ("in_kind", "stock")]
    locale = f"{language}_{receipt.series.jurisdiction}"  # en_CA: "$500.00", not "CA$500.00"
    money = lambda minor: format_money(minor, receipt.currency, locale=locale)  # noqa: E731
    cash = sum(line.amount for line in lines if line not in in_kind)
    for line in lines:  # amounts as the reader writes them
        line.amount_text = money(line.amount)
    context = {
        "receipt": receipt,
        "org": org,
        "lines": lines,
        "in_kind": in_kind,
        "advantages": [line.gift.advantage_description for line in lines if line.advantage],
        "total": money(receipt.total_amount),
        "cash_total": money(cash),
        "advantage": money(receipt.advantage_amount),
        "eligible": money(receipt.eligible_amount),
        "quid_pro_quo": rules.needs_quid_pro_quo_disclosure(
            jurisdiction=receipt.series.jurisdiction,
            total=receipt.total_amount,
            advantage=receipt.advantage_amount,
        ),
        "qr": _qr_png(verification_url(receipt)),
        "verify_url": verification_url(receipt),
        "fonts": (STATIC / "fonts").as_uri(),
        "logo": Path(org.logo.path).as_uri() if org.logo else "",
        "signature": Path(org.signature.path).as_uri() if org.signature else "",
        "language": language,
    }
    template = f"receipts/pdf/receipt_{receipt.series.jurisdiction.lower()}.html"
    with translation.override(language):
        return render_to_string(template, context)


def receipt_pdf(receipt: Receipt, *, organisation: Organisation | None = None) -> bytes:
    html = receipt_html(receipt, organisation=organisation)
    data = json.dumps(receipt_data(receipt), indent=2).encode()
    attachment = weasyprint.Attachment(
        string=data, name="receipt.json", description="The receipt's data",
        relationship="Data",
    )  # fmt: skip
    document = weasyprint.HTML(
        string=html, base_url=STATIC.as_uri() + "/", url_fetcher=ProjectFilesOnly()
    )
    return document.write_pdf(
        font_config=_font_config(),
        pdf_variant="pdf/a-3b",
        attachments=[attachment],
        custom_metadata={"title": f"Receipt {receipt.receipt_number}"},
    )


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def receipt_preview_html(*, gifts, jurisdiction: str, kind: str = "gift") -> str:
    """What the receipt for `gifts` would look like, issued now; nothing is saved and no
    number is taken. Raises ValidationError when a rule would refuse it."""
    from receipts.models import ReceiptLine, ReceiptSeries
    from receipts.services import donor_address

    lines = [rules.counted(g, jurisdiction=jurisdiction) for g in gifts]
    donor = gifts[0].donor
    rules.check(jurisdiction=jurisdiction, lines=lines, donor=donor)
    total = sum(x.amount for x in lines)
    advantage = sum(x.advantage for x in lines)
    year = max(g.received_on for g in gifts).year
    series = ReceiptSeries(jurisdiction=jurisdiction, year=year, prefix="PREVIEW-")
    receipt = Receipt(
        series=series, number=1, kind=kind, donor=donor, donor_name=donor.display_name,
        donor_address=donor_address(donor), language=donor.preferred_language or "en",
        currency=gifts[0].currency, total_amount=total, advantage_amount=advantage,
        eligible_amount=total - advantage, tax_year=year, issued_at=timezone.now(),
        verification_code="preview",
    )  # fmt: skip
    unsaved = [ReceiptLine(gift=x.gift, amount=x.amount, advantage=x.advantage) for x in lines]
    return receipt_html(receipt, lines=unsaved)

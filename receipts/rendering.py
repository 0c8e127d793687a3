"""Receipts as PDF/A-3b documents, drawn by WeasyPrint from HTML templates, with the
receipt's data embedded as a JSON attachment and the fonts shipped in receipts/static.

WeasyPrint reads nothing but the project's own static files, the stored logo and signature
(through the storage, so object storage works too) and data: URLs: no network, no other file.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, unquote

import weasyprint
import zxingcpp
from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from PIL import Image, ImageOps
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse

from backoffice.money import format_money
from receipts import rules
from receipts.models import Organisation, Receipt
from receipts.pdfa import Part, overlay_each_page, split_pdf_a3b

STATIC = Path(__file__).resolve().parent / "static" / "receipts"


MEDIA = "media:"  # a file in the storage (the logo, the signature), local or object storage


def media_url(file) -> str:
    """How a receipt's HTML points at a stored file: WeasyPrint fetches it through
    ProjectFilesOnly from the storage, so no file path is needed (object storage has none)."""
    return MEDIA + quote(file.name)


class ProjectFilesOnly(weasyprint.URLFetcher):
    """Fetches data: URLs, files under the project's receipt assets and media: files from
    the storage; nothing else."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(MEDIA):
            name = unquote(url.removeprefix(MEDIA))
            with default_storage.open(name) as file:  # the storage refuses names outside it
                body = file.read()
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if path.is_relative_to(STATIC.resolve()):
                return super().fetch(url, headers)
        raise ValueError(f"Receipts may not load {url!r}: only the project's own files.")


def verification_url(receipt: Receipt) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/receipts/verify/{receipt.verification_code}/"


@functools.cache
def font_config() -> FontConfiguration:
    """One per process: loading the shipped fonts once rather than per document."""
    return FontConfiguration()


@functools.cache
def _stylesheet() -> weasyprint.CSS:
    """receipt.css, parsed once per process (its @font-face rules load into the fonts)."""
    return weasyprint.CSS(
        filename=STATIC / "receipt.css", font_config=font_config(), url_fetcher=ProjectFilesOnly()
    )


@functools.cache
def _ua_stylesheet() -> weasyprint.CSS:
    return weasyprint.CSS(filename=STATIC / "ua.css", url_fetcher=ProjectFilesOnly())


class _ReceiptHTML(weasyprint.HTML):
    """The receipt templates with their own small user-agent stylesheet (ua.css)."""

    def _ua_stylesheets(self, forms=False):
        return [_ua_stylesheet()]


def _qr_png(text: str) -> str:
    """A PNG of the code, one grey pixel a module, drawn without smoothing (CSS
    image-rendering: pixelated, which WeasyPrint writes as /Interpolate false): sharp at any
    size, and WeasyPrint embeds a grey PNG as it is, where it would convert a 1-bit one to
    RGB and encode it twice more. (It lays an SVG out several times slower.) zxing-cpp
    encodes it (error correction M, the best of the eight masks) in C++: three times faster
    than the pure-Python qrcode, even with qrcode's mask fixed."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = code.to_image(scale=1, add_quiet_zones=False)  # 8-bit grey: 0 dark, 255 light
    height, width = modules.shape
    image = ImageOps.expand(Image.frombytes("L", (width, height), bytes(modules)), 1, 255)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _lines(receipt: Receipt) -> list:
    """The receipt's lines with their gifts, from a prefetch when there was one, in the
    order the gifts were received."""
    if "lines" in getattr(receipt, "_prefetched_objects_cache", {}):
        lines = list(receipt.lines.all())
    else:
        lines = list(receipt.lines.select_related("gift"))
    return sorted(lines, key=lambda line: (line.gift.received_on, line.gift_id))


def is_property(line) -> bool:
    return line.gift.method in ("in_kind", "stock")


def stated_amounts(receipt: Receipt, *, lines=None) -> tuple[int, int, int]:
    """(total, advantage, eligible) as the receipt states them. A US acknowledgement
    describes property and never values it (Publication 1771): its amounts are those of the
    cash alone, in the PDF, its data and on the verification page."""
    if receipt.series.jurisdiction != "US":
        return receipt.total_amount, receipt.advantage_amount, receipt.eligible_amount
    cash = [line for line in (_lines(receipt) if lines is None else lines) if not is_property(line)]
    total, advantage = sum(x.amount for x in cash), sum(x.advantage for x in cash)
    return total, advantage, total - advantage


def has_unvalued_property(receipt: Receipt, *, lines) -> bool:
    """Whether the receipt describes property it does not value (a US acknowledgement)."""
    return receipt.series.jurisdiction == "US" and any(is_property(line) for line in lines)


def _line_data(line, *, value_property: bool) -> dict:
    data = {"gift": line.gift_id, "received_on": line.gift.received_on.isoformat()}
    if is_property(line):
        data["property"] = line.gift.property_description
        if not value_property:
            return data
    return data | {"amount": line.amount, "advantage": line.advantage}


def receipt_data(receipt: Receipt, *, lines=None) -> dict:
    """What the receipt says, as data: embedded in the PDF and shown by the verification."""
    lines = _lines(receipt) if lines is None else lines
    total, advantage, eligible = stated_amounts(receipt, lines=lines)
    value_property = receipt.series.jurisdiction != "US"
    return {
        "receipt_number": receipt.receipt_number,
        "kind": receipt.kind,
        "jurisdiction": receipt.series.jurisdiction,
        "issued_at": receipt.issued_at.isoformat(),
        "tax_year": receipt.tax_year,
        "donor_name": receipt.donor_name,
        "donor_address": receipt.donor_address,
        "currency": receipt.currency,
        "total_amount": total,
        "advantage_amount": advantage,
        "eligible_amount": eligible,
        "replaces": receipt.replaces.receipt_number if receipt.replaces_id else None,
        "gifts": [_line_data(line, value_property=value_property) for line in lines],
        "already_receipted": receipt.already_receipted,
        "verification_code": receipt.verification_code,
    }


def _language(receipt: Receipt) -> str:
    return receipt.language if receipt.language in ("en", "fr") else "en"


def _sheet_html(receipt: Receipt, *, org: Organisation, lines: list, sheet_id: str) -> str:
    """One receipt as a <section> of a document (receipts/pdf/sheet_<jurisdiction>.html)."""
    language = _language(receipt)
    in_kind = [line for line in lines if is_property(line)]
    locale = f"{language}_{receipt.series.jurisdiction}"  # en_CA: "$500.00", not "CA$500.00"
    money = lambda minor: format_money(minor, receipt.currency, locale=locale)  # noqa: E731
    cash = sum(line.amount for line in lines if line not in in_kind)
    for line in lines:  # amounts as the reader writes them
        line.amount_text, line.advantage_text = money(line.amount), money(line.advantage)
    listed = [{**x, "amount_text": money(x["amount"])} for x in receipt.already_receipted]
    context = {
        "receipt": receipt,
        "org": org,
        "lines": lines,
        "in_kind": in_kind,
        "already_receipted": listed,
        "advantages": [line.gift.advantage_description for line in lines if line.advantage],
        "total": money(receipt.total_amount),
        "cash_total": money(cash),
        "has_cash": len(in_kind) < len(lines),
        "advantage": money(receipt.advantage_amount),
        "eligible": money(receipt.eligible_amount),
        "quid_pro_quo": rules.needs_quid_pro_quo_disclosure(
            jurisdiction=receipt.series.jurisdiction,
            total=receipt.total_amount,
            advantage=receipt.advantage_amount,
        ),
        "qr": _qr_png(verification_url(receipt)),
        "verify_url": verification_url(receipt),
        "logo": media_url(org.logo) if org.logo else "",
        "signature": media_url(org.signature) if org.signature else "",
        "language": language,
        "sheet_id": sheet_id,
    }
    template = f"receipts/pdf/sheet_{receipt.series.jurisdiction.lower()}.html"
    with translation.override(language):
        return render_to_string(template, context)


def _document_html(sheets: list[str], *, title: str, language: str, style: str = "") -> str:
    return render_to_string(
        "receipts/pdf/document.html",
        {"sheets": sheets, "title": title, "language": language, "style": style},
    )


def receipt_html(receipt: Receipt, *, organisation: Organisation | None = None, lines=None) -> str:
    """The receipt as a whole HTML document with its style inline: the staff's preview (an
    unsaved receipt with its unsaved `lines`), and what a one-off rendering reads."""
    org = organisation or Organisation.current()
    lines = _lines(receipt) if lines is None else list(lines)
    sheet = _sheet_html(receipt, org=org, lines=lines, sheet_id="receipt")
    style = (STATIC / "receipt.css").read_text()
    return _document_html(
        [sheet], title=receipt.receipt_number, language=_language(receipt), style=style
    )


def receipts_pdfs(receipts: Sequence[Receipt], *, organisation: Organisation | None = None):
    """Each receipt as its own PDF/A-3b with its data attached, in the order given.

    The receipts are laid out together, as the sheets of one document, written once as one
    PDF/A-3b (fonts subset once, every object serialised once), and cut into one file per
    receipt with its own data (receipts.pdfa). A receipt runs over several pages if it must.
    """
    document, pages_of, data = receipts_laid_out(receipts, organisation=organisation)
    document.metadata.title = "Receipts"
    batch = document.write_pdf(pdf_variant="pdf/a-3b")
    parts = [
        Part(pages=len(pages), title=f"Receipt {receipt.receipt_number}",
             language=_language(receipt), data=json.dumps(receipt_json, indent=2).encode(),
             data_name="receipt.json", data_description="The receipt's data")
        for receipt, pages, receipt_json in zip(receipts, pages_of, data, strict=True)
    ]  # fmt: skip
    return split_pdf_a3b(batch, parts)


def receipts_laid_out(receipts: Sequence[Receipt], *, organisation: Organisation | None = None):
    """The receipts laid out together as the sheets of one WeasyPrint document: the
    document, each receipt's pages, and each receipt's data (receipt_data)."""
    org = organisation or Organisation.current()
    sheets, data = [], []
    for i, receipt in enumerate(receipts):
        lines = _lines(receipt)
        sheets.append(_sheet_html(receipt, org=org, lines=lines, sheet_id=f"sheet-{i}"))
        data.append(receipt_data(receipt, lines=lines))
    html = _document_html(sheets, title="Receipts", language="en")
    fetcher = ProjectFilesOnly()
    document = _ReceiptHTML(
        string=html, base_url=STATIC.as_uri() + "/", url_fetcher=fetcher
    ).render(font_config=font_config(), stylesheets=[_stylesheet()])
    pages_of: list[list] = []
    seen: set[str] = set()
    for page in document.pages:  # a receipt's pages: from its sheet's first to the next's
        sheets_here = {a for a in page.anchors if a.startswith("sheet-")}
        if sheets_here - seen:  # a split sheet carries its id onto every page it is on
            pages_of.append([])
            seen |= sheets_here
        pages_of[-1].append(page)
    if len(pages_of) != len(receipts):
        raise RuntimeError(f"{len(receipts)} receipts were laid out as {len(pages_of)}.")
    return document, pages_of, data


def receipt_copy_pdf(receipt: Receipt) -> bytes:
    """The receipt's archived PDF as handed out: as issued, or, for a void receipt, with
    every page stamped VOID and why and by which receipt it was replaced (the archive and
    its hash stay as issued; a copy of a void receipt must not look valid)."""
    with receipt.pdf.open("rb") as file:
        archived = file.read()
    if receipt.status != Receipt.Status.VOID:
        return archived
    language = _language(receipt)
    stamp = html_to_pdf(render_to_string("receipts/pdf/void_stamp.html", {
        "receipt": receipt, "replacement": Receipt.objects.filter(replaces=receipt).first(),
        "language": language, "title": f"Void {receipt.receipt_number}",
    }))  # fmt: skip
    return overlay_each_page(archived, stamp)


def receipt_pdf(receipt: Receipt, *, organisation: Organisation | None = None) -> bytes:
    return receipts_pdfs([receipt], organisation=organisation)[0]


def html_to_pdf(html: str, **options) -> bytes:
    """A one-off document (an invoice, a letter, a report) in the project's fonts, its files
    read through the same fetcher: nothing outside the project. `options` go to write_pdf
    (e.g. pdf_variant="pdf/ua-1" for a tagged, accessible PDF)."""
    document = weasyprint.HTML(
        string=html, base_url=STATIC.as_uri() + "/", url_fetcher=ProjectFilesOnly()
    )
    return document.write_pdf(font_config=font_config(), **options)


def receipt_preview_html(*, gifts, jurisdiction: str, kind: str = "gift") -> str:
    """What the receipt for `gifts` would look like, issued now; nothing is saved and no
    number is taken. Raises ValidationError when a rule would refuse it."""
    from receipts.models import ReceiptLine, ReceiptSeries
    from receipts.services import donor_address

    lines = [rules.counted(g, jurisdiction=jurisdiction) for g in gifts]
    donor = gifts[0].donor
    rules.check(jurisdiction=jurisdiction, lines=lines, donor=donor,
                organisation=Organisation.current())  # fmt: skip
    total = sum(x.amount for x in lines)
    advantage = sum(x.advantage for x in lines)
    year = max(g.received_on for g in gifts).year
    series = ReceiptSeries(jurisdiction=jurisdiction, year=year, prefix="PREVIEW-")
    receipt = Receipt(
        series=series, number=1, kind=kind, donor=donor, donor_name=donor.display_name,
        donor_address=donor_address(donor, language=donor.preferred_language or "en"),
        language=donor.preferred_language or "en",
        currency=gifts[0].currency, total_amount=total, advantage_amount=advantage,
        eligible_amount=total - advantage, tax_year=year, issued_at=timezone.now(),
        verification_code="preview",
    )  # fmt: skip
    unsaved = [ReceiptLine(gift=x.gift, amount=x.amount, advantage=x.advantage) for x in lines]
    return receipt_html(receipt, lines=unsaved)

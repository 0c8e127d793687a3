"""Receipts drawn together are written as one PDF/A-3b and cut into one file per receipt
(receipts.pdfa). Each file must stand alone as a PDF/A-3b: these tests check, with pikepdf,
the parts of ISO 19005-3 that cutting could break, and that no file carries another
donor's receipt (the pages of a batch share one resource dictionary in WeasyPrint's PDF)."""

import datetime as dt
import io
import json
import re

import pikepdf
import pytest
from pypdf import PdfReader

from receipts.models import Organisation
from receipts.pdfa import Part, split_pdf_a3b
from receipts.rendering import receipt_data, receipts_pdfs
from receipts.services import receipt_issue
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 2)


@pytest.fixture
def org(db):
    return Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Human Freedom Alliance", "address": "200 Bay Street\nToronto ON",
        "registration_number": "123456789RR0001", "place_of_issue": "Toronto",
        "signatory_name": "Dana Ruiz"})[0]  # fmt: skip


def _statement(name: str, *, amount: int, language: str = "en", listed: int = 0):
    donor = DonorFactory(first_name=name, last_name="Okafor", address_line1="12 King St W",
                         city="Toronto", region="ON", postcode="M5H 1A1", country="CA",
                         preferred_language=language)  # fmt: skip
    gift = posted_gift(donor=donor, amount=amount, currency="CAD", on=ON)
    already = [{"gift": 10_000 + i, "received_on": "2026-01-05", "amount": 2_500,
                "receipt": f"CA2026-9{i:05}"} for i in range(listed)]  # fmt: skip
    return receipt_issue(gifts=[gift], kind="statement", jurisdiction="CA", by=None,
                         deliver=False, already_receipted=already or None)  # fmt: skip


def _names_used(page: pikepdf.Page) -> dict[str, set[str]]:
    """The resources a page's content draws with, by category."""
    operators = {
        "Tf": "/Font",
        "Do": "/XObject",
        "gs": "/ExtGState",
        "cs": "/ColorSpace",
        "CS": "/ColorSpace",
        "sh": "/Shading",
        "scn": "/Pattern",
        "SCN": "/Pattern",
    }
    used: dict[str, set[str]] = {}
    for operands, operator in pikepdf.parse_content_stream(page):
        category = operators.get(str(operator))
        for operand in operands:
            if category and isinstance(operand, pikepdf.Name):
                used.setdefault(category, set()).add(str(operand))
    return used


def _pdf_a_3b_problems(content: bytes) -> list[str]:
    """What would make this file fail as a PDF/A-3b, of what cutting a batch could break."""
    problems = []
    if not re.match(rb"%PDF-1\.[4-7]\n%[\x80-\xff]{4}", content):
        problems.append("header: %PDF-1.n then a comment of four bytes above 127")
    pdf = pikepdf.open(io.BytesIO(content))
    if pdf.is_encrypted:
        problems.append("encrypted")
    ids = pdf.trailer.get("/ID")
    if ids is None or len(ids) != 2:
        problems.append("trailer: no /ID")
    intents = pdf.Root.get("/OutputIntents", [])
    if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
        problems.append("no PDF/A output intent with its ICC profile")
    meta = pdf.open_metadata()
    if (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) != ("3", "B"):
        problems.append("XMP: not identified as PDF/A-3b")
    if meta.get("dc:title") != str(pdf.docinfo.get("/Title")):
        problems.append("XMP title differs from the document information")
    if meta.get("pdf:Producer") != str(pdf.docinfo.get("/Producer")):
        problems.append("XMP producer differs from the document information")
    for number, page in enumerate(pdf.pages, 1):
        resources = page.obj.Resources
        for category, names in _names_used(page).items():
            missing = names - set(resources.get(category, {}).keys())
            if missing:
                problems.append(f"page {number}: {category} {sorted(missing)} not in resources")
        for font in resources.get("/Font", {}).values():
            for described in font.get("/DescendantFonts", [font]):
                descriptor = described.get("/FontDescriptor", {})
                if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    problems.append(f"page {number}: font {font.get('/BaseFont')} not embedded")
    for obj in pdf.objects:  # every image, drawn on a page, in a form or as a soft mask
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
            if obj.get("/Interpolate") is True:
                problems.append(f"image {obj.objgen}: /Interpolate true (6.2.8)")
            if obj.get("/Alternates") is not None or obj.get("/OPI") is not None:
                problems.append(f"image {obj.objgen}: /Alternates or /OPI (6.2.8)")
    associated = list(pdf.Root.get("/AF", []))
    for name, spec in pdf.attachments.items():
        obj = spec.obj
        if not any(obj.objgen == a.objgen for a in associated):
            problems.append(f"{name}: not an associated file of the document (/AF)")
        if "/AFRelationship" not in obj or "/F" not in obj or "/UF" not in obj:
            problems.append(f"{name}: file specification lacks /AFRelationship, /F or /UF")
        if "/Subtype" not in obj.EF.F:
            problems.append(f"{name}: embedded file without a MIME type")
        if "/ModDate" not in obj.EF.F.get("/Params", {}):
            problems.append(f"{name}: embedded file without its modification date")
    return problems


def test_each_receipt_of_a_batch_is_its_own_pdf_a_3b_with_only_its_own_content(org):
    receipts = [
        _statement("Maya", amount=12_000),
        _statement("Léa", amount=7_500, language="fr"),
        _statement("Ravi", amount=40_000, listed=90),  # lists 90 receipted gifts: 2+ pages
        _statement("Tom", amount=2_600),
    ]
    pdfs = receipts_pdfs(receipts)
    assert len(pdfs) == 4
    numbers = [r.receipt_number for r in receipts]
    for receipt, content in zip(receipts, pdfs, strict=True):
        assert _pdf_a_3b_problems(content) == []
        reader = PdfReader(io.BytesIO(content))
        text = " ".join(page.extract_text() for page in reader.pages)
        assert receipt.receipt_number in text and receipt.donor_name in text
        assert [n for n in numbers if n in text] == [receipt.receipt_number]
        attached = json.loads(reader.attachments["receipt.json"][0])
        assert attached == json.loads(json.dumps(receipt_data(receipt)))
        pdf = pikepdf.open(io.BytesIO(content))
        assert str(pdf.docinfo.Title) == f"Receipt {receipt.receipt_number}"
        assert str(pdf.Root.Lang) == receipt.language
        images = {img.objgen for page in pdf.pages for img in page.get_images().values()}
        assert len(images) == 1  # its own QR code: none of the other donors'
    assert [len(PdfReader(io.BytesIO(c)).pages) for c in pdfs][2] >= 2
    assert {len(PdfReader(io.BytesIO(c)).pages) for c in (pdfs[0], pdfs[1], pdfs[3])} == {1}


def test_the_checks_catch_a_file_that_is_not_pdf_a(org):
    """The checker above can fail: a plain WeasyPrint PDF is not a PDF/A-3b."""
    import weasyprint

    plain = weasyprint.HTML(string="<p>Receipt</p>").write_pdf()
    problems = _pdf_a_3b_problems(plain)
    assert "no PDF/A output intent with its ICC profile" in problems
    assert "XMP: not identified as PDF/A-3b" in problems


def test_parts_must_account_for_every_page():
    import weasyprint

    batch = weasyprint.HTML(string="<p>One</p>").write_pdf(pdf_variant="pdf/a-3b")
    part = Part(pages=2, title="Receipt", language="en", data=b"{}", data_name="receipt.json",
                data_description="data")  # fmt: skip
    with pytest.raises(ValueError, match="The parts have 2 pages; the document has 1"):
        split_pdf_a3b(batch, [part])


def _png(width, height, colour, mode="RGB"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("image.png", buffer.getvalue())


def test_the_logo_and_signature_go_into_every_file_and_each_keeps_its_own_qr_code(
    org, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    org.logo.save("logo.png", _png(300, 90, "navy"))
    org.signature.save("signature.png", _png(200, 60, (0, 0, 0, 128), mode="RGBA"))  # a mask
    pdfs = receipts_pdfs([_statement("Maya", amount=12_000), _statement("Tom", amount=2_600)])
    images = []
    for content in pdfs:
        assert _pdf_a_3b_problems(content) == []
        pdf = pikepdf.open(io.BytesIO(content))
        found = sorted((img.Width, img.Height) for img in pdf.pages[0].get_images().values())
        assert len(found) == 3  # the logo, the signature and its QR code
        images.append(found)
    assert (300, 90) in images[0] and (200, 60) in images[0] and images[0] == images[1]


def test_a_receipt_that_runs_over_a_page_repeats_its_number_at_the_top_of_the_next(org):
    long, short = _statement("Ravi", amount=40_000, listed=90), _statement("Tom", amount=2_600)
    pdfs = receipts_pdfs([long, short])
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdfs[0])).pages]
    assert len(pages) >= 2
    for text in pages:  # once on each page: the first page's heading does not repeat it
        assert text.count(long.receipt_number) == 1
    (only,) = PdfReader(io.BytesIO(pdfs[1])).pages
    assert only.extract_text().count(short.receipt_number) == 1


def test_a_void_receipts_stamped_copy_is_still_a_pdf_a_3b_with_its_data(org, settings, tmp_path):
    from receipts.rendering import receipt_copy_pdf
    from receipts.services import receipt_render, receipt_void

    settings.MEDIA_ROOT = str(tmp_path)
    org.logo.save("logo.png", _png(300, 90, "navy"))
    org.signature.save("signature.png", _png(200, 60, "black"))

    receipt = receipt_render(receipt=_statement("Ravi", amount=40_000, listed=90))  # 2+ pages
    receipt = receipt_void(receipt=receipt, reason="Gift refunded", by=None)
    copy = receipt_copy_pdf(receipt)
    assert _pdf_a_3b_problems(copy) == []
    pages = PdfReader(io.BytesIO(copy)).pages
    assert len(pages) >= 2 and all("was voided on" in page.extract_text() for page in pages)
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        data = json.loads(pdf.attachments["receipt.json"].get_file().read_bytes())
    assert data["receipt_number"] == receipt.receipt_number

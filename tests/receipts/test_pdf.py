"""The PDFs say what each jurisdiction requires. The tests read the text back out of them."""

import datetime as dt
import io
import json
import re

import pytest
from pypdf import PdfReader

from donors.models import Gift
from receipts.models import Organisation
from receipts.rendering import ProjectFilesOnly, receipt_pdf
from receipts.services import receipt_issue, receipt_render, receipt_replace
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 9, 12)


@pytest.fixture
def org(db):
    org, _ = Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Human Freedom Alliance", "address": "200 Bay Street\nToronto ON M5J 2J2",
        "registration_number": "123456789RR0001", "ein": "12-3456789",
        "place_of_issue": "Toronto, Ontario", "signatory_name": "Dana Ruiz",
        "signatory_title": "Treasurer", "signatory_title_fr": "Trésorière"})  # fmt: skip
    return org


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def _donor():
    return DonorFactory(first_name="Maya J.", last_name="Okafor", address_line1="12 King St W",
                        city="Toronto", region="ON", postcode="M5H 1A1", country="CA")  # fmt: skip


def _ca_receipt(**gift_fields):
    gift = posted_gift(donor=_donor(), currency="CAD", on=ON, **gift_fields)
    return receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)


def test_a_canadian_receipt_with_an_advantage_has_every_field_the_cra_requires(org):
    receipt = _ca_receipt(amount=50_000, fair_market_value=12_000,
                          advantage_description="Gala dinner for two")  # fmt: skip
    text = _text(receipt_pdf(receipt))
    for required in [
        "Official receipt for income tax purposes", "Human Freedom Alliance",
        "200 Bay Street", "Toronto ON M5J 2J2", "123456789RR0001", receipt.receipt_number,
        "Toronto, Ontario", "Date issued", receipt.issued_at.date().isoformat(),
        "Date gift received", "2026-09-12", "Maya J. Okafor", "12 King St W",
        "Amount of gift", "$500.00", "Gala dinner for two", "$120.00",
        "Eligible amount of gift for tax purposes", "$380.00", "Dana Ruiz",
        "Authorised signature", "Canada Revenue Agency", "canada.ca/charities-giving",
    ]:  # fmt: skip
        assert required in text, required


def test_the_french_receipt_says_it_in_french(org):
    donor = _donor()
    donor.preferred_language = "fr"
    donor.save()
    gift = posted_gift(donor=donor, currency="CAD", on=ON, amount=10_000)
    text = _text(receipt_pdf(receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)))
    for required in [
        "Reçu officiel aux fins de l'impôt sur le revenu",
        "Lieu de délivrance",
        "Montant admissible du don aux fins de l'impôt",
        "Agence du revenu du Canada",
        "Dana Ruiz, Trésorière",  # the signatory's title in French
        "Toronto ON M5H 1A1 Canada",  # the country named, not "CA"
    ]:
        assert required in text, required
    assert "Treasurer" not in text
    # French puts a (non-breaking) space before a colon; a link's "https:" is no text.
    assert re.findall(r"[^\W\d]:(?!//)", text) == []


def test_without_a_french_title_the_french_receipt_names_the_signatory_alone(org):
    Organisation.objects.filter(pk=1).update(signatory_title_fr="")
    donor = DonorFactory(preferred_language="fr", address_line1="1 rue Principale",
                         city="Montréal", region="QC", country="CA")  # fmt: skip
    gift = posted_gift(donor=donor, currency="CAD", on=ON, amount=10_000)
    text = _text(receipt_pdf(receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)))
    assert "Dana Ruiz Signature autorisée" in text and "Treasurer" not in text


def test_a_canadian_year_end_statement_lists_the_gifts_it_covers(org):
    donor = _donor()
    gifts = [posted_gift(donor=donor, currency="CAD", on=dt.date(2026, month, 3), amount=amount,
                         **extra)
             for month, amount, extra in [
                 (2, 2_500, {}), (5, 4_000, {}),
                 (11, 30_000, {"fair_market_value": 5_000, "advantage_description": "Gala"})]
             ]  # fmt: skip
    receipt = receipt_issue(gifts=gifts, kind="statement", jurisdiction="CA", by=None)
    text = _text(receipt_pdf(receipt))
    assert "Year gifts received: 2026" in text and "Amount of gift: $365.00" in text
    assert ("Gifts covered by this receipt: 2026-02-03 · $25.00 2026-05-03 · $40.00 "
            "2026-11-03 · $300.00 (advantage $50.00)") in text  # fmt: skip


def test_a_canadian_gift_in_kind_describes_the_property_and_its_value(org):
    receipt = _ca_receipt(
        amount=80_000,
        method=Gift.Method.IN_KIND,
        property_description="Yamaha upright piano, appraised by J. Chen",
    )
    text = _text(receipt_pdf(receipt))
    assert "Gift in kind: Yamaha upright piano, appraised by J. Chen" in text
    assert "fair market value $800.00" in text


def test_a_replacement_says_which_receipt_it_cancels(org):
    original = _ca_receipt(amount=10_000)
    replacement = receipt_replace(receipt=original, reason="Address corrected", by=None)
    text = _text(receipt_pdf(replacement))
    assert f"This receipt cancels and replaces receipt {original.receipt_number}" in text


def test_a_us_acknowledgement_states_no_goods_or_services_or_their_value(org):
    plain = receipt_issue(gifts=[posted_gift(amount=30_000, on=ON)], kind="gift",
                          jurisdiction="US", by=None)  # fmt: skip
    text = _text(receipt_pdf(plain))
    for required in ["Human Freedom Alliance", "EIN: 12-3456789", "2026-09-12", "Cash",
                     "$300.00", "No goods or services were provided"]:  # fmt: skip
        assert required in text, required
    assert "limited to the excess" not in text
    dinner = receipt_issue(gifts=[posted_gift(amount=30_000, on=ON, fair_market_value=8_000,
                                              advantage_description="Gala dinner")],
                           kind="gift", jurisdiction="US", by=None)  # fmt: skip
    text = _text(receipt_pdf(dinner))
    assert "Gala dinner, with a good-faith estimated value of $80.00" in text
    assert "limited to the excess of the money you contributed" in text and "$220.00" in text


def test_a_us_non_cash_gift_is_described_but_not_valued_in_the_pdf_its_data_or_online(org, client):
    receipt = receipt_issue(gifts=[posted_gift(amount=120_000, on=ON, method=Gift.Method.STOCK,
                                               property_description="100 shares of ACME Corp")],
                            kind="gift", jurisdiction="US", by=None)  # fmt: skip
    receipt = receipt_render(receipt=receipt)
    content = receipt.pdf.read()
    text = _text(content)
    assert "Non-cash property: 100 shares of ACME Corp" in text
    assert "1,200" not in text and "Total cash contributions" not in text  # not "$0.00"
    data = json.loads(PdfReader(io.BytesIO(content)).attachments["receipt.json"][0])
    assert data["gifts"] == [{"gift": receipt.lines.get().gift_id, "received_on": "2026-09-12",
                              "property": "100 shares of ACME Corp"}]  # fmt: skip
    assert (data["total_amount"], data["eligible_amount"]) == (0, 0)
    assert "120000" not in json.dumps(data)
    page = " ".join(
        client.get(f"/receipts/verify/{receipt.verification_code}/").content.decode().split()
    )
    assert "1,200" not in page
    assert "Non-cash property</th><td>described on the acknowledgement, not valued" in page


def test_a_us_acknowledgement_of_cash_and_property_totals_the_cash_alone(org):
    donor = _donor()
    gifts = [posted_gift(donor=donor, amount=30_000, on=ON),
             posted_gift(donor=donor, amount=120_000, on=ON, method=Gift.Method.IN_KIND,
                         property_description="Upright piano")]  # fmt: skip
    receipt = receipt_issue(gifts=gifts, kind="gift", jurisdiction="US", by=None)
    text = _text(receipt_pdf(receipt))
    assert "Total cash contributions $300.00" in text and "1,200" not in text


def test_the_pdf_is_pdf_a_3b_with_the_receipts_data_attached_and_its_hash_kept(org):
    receipt = receipt_render(receipt=_ca_receipt(amount=10_000))
    content = receipt.pdf.read()
    reader = PdfReader(io.BytesIO(content))
    data = json.loads(reader.attachments["receipt.json"][0])
    assert data["receipt_number"] == receipt.receipt_number and data["eligible_amount"] == 10_000
    xmp = reader.xmp_metadata
    assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("3", "B")
    import hashlib

    assert receipt.pdf_sha256 == hashlib.sha256(content).hexdigest()
    assert receipt_render(receipt=receipt).pdf_sha256 == receipt.pdf_sha256  # drawn once


def test_rendering_reads_no_file_outside_the_project_and_nothing_from_the_network():
    fetch = ProjectFilesOnly()
    for url in ["file:///etc/passwd", "https://example.org/logo.png", "http://127.0.0.1/x"]:
        with pytest.raises(ValueError, match="only the project's own files"):
            fetch(url)
    from django.core.exceptions import SuspiciousFileOperation

    with pytest.raises(SuspiciousFileOperation):  # the storage keeps to its own files
        fetch("media:../../../../etc/passwd")


def test_staff_preview_the_receipt_a_gift_would_get_without_issuing_it(org, finance_client):
    from django.urls import reverse

    gift = posted_gift(donor=_donor(), amount=50_000, currency="CAD", on=ON)
    page = finance_client.get(reverse("receipt_preview"), {"gift": gift.pk, "jurisdiction": "CA"})
    text = page.content.decode()
    assert page.status_code == 200 and "Official receipt for income tax purposes" in text
    assert "PREVIEW-2026" in text and "$500.00" in text
    # Every font and style sheet the page names is found where a browser will ask for it.
    import re
    from urllib.parse import urljoin

    from django.conf import settings
    from django.contrib.staticfiles import finders

    base = re.search(r'<base href="([^"]+)">', text)[1]
    named = re.findall(r'url\("([^"]+)"\)', text)
    assert any(n.endswith(".ttf") for n in named)
    for name in named:
        path = urljoin(base, name).removeprefix("/" + settings.STATIC_URL.strip("/") + "/")
        assert finders.find(path), name
    from receipts.models import Receipt, ReceiptSeries

    assert not Receipt.objects.exists() and not ReceiptSeries.objects.exists()


def test_a_preview_that_a_rule_refuses_says_why(org, finance_client):
    from django.urls import reverse

    gift = posted_gift(amount=50_000, currency="USD", on=ON)
    page = finance_client.get(reverse("receipt_preview"), {"gift": gift.pk, "jurisdiction": "CA"})
    assert page.status_code == 400 and "Canadian receipts are in CAD" in page.content.decode()


def _png(width=120, height=40, format="PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(buffer, format=format)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "storage",
    ["django.core.files.storage.FileSystemStorage",
     "django.core.files.storage.InMemoryStorage"],  # like object storage: files have no path
)  # fmt: skip
def test_the_signature_and_logo_are_checked_images_and_drawn_on_the_receipt(
    org, settings, tmp_path, storage
):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from receipts.models import validate_receipt_image

    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": storage}}
    for bad, message in [
        (SimpleUploadedFile("sig.png", b"not an image"), "not an image"),
        (SimpleUploadedFile("sig.gif", _png(format="GIF")), "PNG or a JPEG"),
    ]:
        with pytest.raises(ValidationError, match=message):
            validate_receipt_image(bad)
    without = len(PdfReader(io.BytesIO(receipt_pdf(_ca_receipt(amount=10_000)))).pages[0].images)
    org.signature.save("signature.png", SimpleUploadedFile("signature.png", _png()))
    org.logo.save("logo.png", SimpleUploadedFile("logo.png", _png(300, 90)))
    validate_receipt_image(org.signature.file)
    with_images = PdfReader(io.BytesIO(receipt_pdf(_ca_receipt(amount=20_000)))).pages[0].images
    assert len(with_images) == without + 2  # the QR code, then the logo and the signature


@pytest.mark.parametrize("site", ["http://127.0.0.1:8000", "http://127.0.0.1:8123"])
def test_the_qr_code_on_the_receipt_scans_as_its_verification_address(org, settings, site):
    """On the site's own address: `make demo PORT=8123` sets SITE_URL to port 8123."""
    import pikepdf
    import zxingcpp
    from PIL import Image, ImageOps

    from receipts.rendering import verification_url

    settings.SITE_URL = site
    receipt = _ca_receipt(amount=10_000)
    pdf = pikepdf.open(io.BytesIO(receipt_pdf(receipt)))
    ((_, raw),) = pdf.pages[0].get_images().items()
    assert raw.Interpolate is False  # sharp module edges at any zoom, not smoothed grey
    image = pikepdf.PdfImage(raw).as_pil_image()
    size = image.width * 8  # as a phone's camera would see it: large, with a quiet zone
    image = ImageOps.expand(image.resize((size, size), Image.NEAREST), border=40, fill=255)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == verification_url(receipt) and found.text.startswith(f"{site}/receipts/")

"""The public verification page, and the donor's own receipts."""

import datetime as dt
import hashlib
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from donors.services import gift_set_refunded
from receipts.services import receipt_issue, receipt_render, receipt_replace, receipt_void
from tests.factories import DonorFactory, UserFactory, posted_gift

pytestmark = pytest.mark.django_db


def _receipt(donor=None, amount=40_000):
    gift = posted_gift(donor=donor or DonorFactory(first_name="Maya", last_name="Okafor"),
                       amount=amount, currency="CAD", on=dt.date(2026, 2, 2))  # fmt: skip
    return receipt_render(
        receipt=receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)
    )


def test_anyone_can_verify_a_receipt_without_signing_in(client):
    receipt = _receipt()
    page = client.get(reverse("receipt_verify", args=[receipt.verification_code]))
    text = page.content.decode()
    assert page.status_code == 200 and "genuine and valid" in text
    assert receipt.receipt_number in text and "M. O." in text and "$400.00" in text
    assert receipt.pdf_sha256 in text and "Okafor" not in text  # initials only
    assert client.get(reverse("receipt_verify", args=["not-a-code"])).status_code == 404


def test_a_refunded_gifts_receipt_is_void_and_the_verification_page_says_so(client):
    receipt = _receipt()
    gift = receipt.lines.get().gift
    gift_set_refunded(gift=gift, refunded_amount=gift.amount, by=None)
    text = client.get(reverse("receipt_verify", args=[receipt.verification_code])).content.decode()
    assert "was voided" in text and "not valid" in text and "genuine and valid" not in text


def test_a_donor_sees_and_downloads_their_own_receipts_and_nobody_elses(client):
    maya = DonorFactory(user=UserFactory())
    mine, theirs = _receipt(donor=maya), _receipt()
    client.force_login(maya.user)
    page = client.get(reverse("my_gifts")).content.decode()
    assert mine.receipt_number in page and theirs.receipt_number not in page
    download = client.get(reverse("my_receipt_pdf", args=[mine.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert client.get(reverse("my_receipt_pdf", args=[theirs.pk])).status_code == 404


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_a_void_receipt_is_handed_out_stamped_void_and_its_archive_stays_as_issued(client):
    maya = DonorFactory(user=UserFactory(), first_name="Maya", last_name="Okafor")
    original = _receipt(donor=maya)
    replacement = receipt_render(
        receipt=receipt_replace(receipt=original, reason="Wrong address", by=None)
    )
    client.force_login(maya.user)
    void = client.get(reverse("my_receipt_pdf", args=[original.pk]))
    assert f'filename="{original.receipt_number}-void.pdf"' in void["Content-Disposition"]
    text = _text(void.content)
    assert "VOID" in text and "Official receipt for income tax purposes" in text
    original.refresh_from_db()
    voided_on = timezone.localdate(original.voided_at)
    notice = (f"Receipt {original.receipt_number} was voided on {voided_on:%Y-%m-%d} (Wrong "
              f"address): it is not valid for tax purposes. It is replaced by receipt "
              f"{replacement.receipt_number}.")  # fmt: skip
    assert notice in text
    with original.pdf.open("rb") as archived:
        assert hashlib.sha256(archived.read()).hexdigest() == original.pdf_sha256
    valid = _text(client.get(reverse("my_receipt_pdf", args=[replacement.pk])).content)
    assert "VOID" not in valid and original.receipt_number in valid  # "cancels and replaces"


def test_a_void_french_receipt_is_stamped_in_french(client):
    luc = DonorFactory(user=UserFactory(), preferred_language="fr")
    receipt = receipt_void(receipt=_receipt(donor=luc), reason="Don remboursé", by=None)
    client.force_login(luc.user)
    text = _text(client.get(reverse("my_receipt_pdf", args=[receipt.pk])).content)
    assert "ANNULÉ" in text and "annulé le" in text and "Don remboursé" in text


def test_finance_downloads_any_receipt_and_a_donor_may_not_use_the_staff_address(
    client, finance_client
):
    maya = DonorFactory(user=UserFactory())
    receipt = _receipt(donor=maya)
    answer = finance_client.get(reverse("receipt_pdf", args=[receipt.pk]))
    assert answer.status_code == 200 and receipt.receipt_number in _text(answer.content)
    admin_page = finance_client.get(reverse("admin:receipts_receipt_change", args=[receipt.pk]))
    assert reverse("receipt_pdf", args=[receipt.pk]) in admin_page.content.decode()
    client.force_login(maya.user)
    assert client.get(reverse("receipt_pdf", args=[receipt.pk])).status_code == 403


def test_someone_who_is_not_a_donor_gets_404_for_any_receipt(client):
    receipt = _receipt()
    client.force_login(UserFactory())
    assert client.get(reverse("my_receipt_pdf", args=[receipt.pk])).status_code == 404


def test_a_donor_updates_their_address_for_future_receipts_only(client):
    maya = DonorFactory(user=UserFactory(), address_line1="12 King St", city="Toronto",
                        postcode="M5H 1A1", country="CA")  # fmt: skip
    before = _receipt(donor=maya)
    client.force_login(maya.user)
    answer = client.post(reverse("my_address"), {
        "address_line1": "99 Queen St E", "address_line2": "", "city": "Toronto", "region": "ON",
        "postcode": "M5C 2M6", "country": "CA", "preferred_language": "fr",
        "receipts_by_email": "on"})  # fmt: skip
    assert answer.status_code == 302
    maya.refresh_from_db()
    assert (maya.address_line1, maya.preferred_language) == ("99 Queen St E", "fr")
    after = _receipt(donor=maya, amount=10_000)
    before.refresh_from_db()
    assert "12 King St" in before.donor_address and "99 Queen St E" in after.donor_address
    assert after.language == "fr"
    assert maya.address_source == "donor" and maya.address_given_on  # theirs, not a card's


def test_a_donor_gives_and_withdraws_their_consent_to_news_on_their_page(client):
    dana = DonorFactory(user=UserFactory(), email_consent=False)
    client.force_login(dana.user)
    form = {"address_line1": dana.address_line1, "address_line2": "", "city": dana.city,
            "region": "", "postcode": dana.postcode, "country": dana.country,
            "preferred_language": "en", "receipts_by_email": "on"}  # fmt: skip
    page = client.get(reverse("my_address")).content.decode()
    assert "You may e-mail me news of your work" in page
    client.post(reverse("my_address"), {**form, "email_consent": "on"})
    dana.refresh_from_db()
    assert dana.email_consent and dana.consent_method == "web_form" and dana.consent_given_at
    client.post(reverse("my_address"), form)  # unticked: withdrawn
    dana.refresh_from_db()
    assert not dana.email_consent and "Withdrawn on their donor page" in dana.consent_note
    assert dana.history.count() >= 3  # each change kept, with who made it


def test_a_donor_who_opts_out_of_email_gets_receipts_to_post_not_emails(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    maya = DonorFactory(user=UserFactory(), email="maya@example.net", address_line1="1 King St",
                        city="Toronto", region="ON", postcode="M5H 1A1", country="CA")  # fmt: skip
    client.force_login(maya.user)
    client.post(reverse("my_address"), {  # "receipts by e-mail" left unticked
        "address_line1": "1 King St", "city": "Toronto", "region": "ON", "postcode": "M5H 1A1",
        "country": "CA", "preferred_language": "en"})  # fmt: skip
    maya.refresh_from_db()
    assert maya.receipts_by_email is False
    with django_capture_on_commit_callbacks(execute=True):
        receipt = _receipt(donor=maya)
    receipt.refresh_from_db()
    assert receipt.donor_email == "" and receipt.pdf_sha256 and not mail.outbox
    assert client.get(reverse("my_receipt_pdf", args=[receipt.pk])).status_code == 200


def test_a_bad_country_is_named_on_the_form_and_nothing_changes(client):
    maya = DonorFactory(user=UserFactory(), country="CA")
    client.force_login(maya.user)
    answer = client.post(
        reverse("my_address"),
        {"address_line1": "x", "city": "y", "country": "ZZ", "preferred_language": "en"},
    )
    assert answer.status_code == 200 and "Unknown country" in answer.content.decode()
    maya.refresh_from_db()
    assert maya.address_line1 != "x"


def test_the_address_page_is_404_for_someone_who_is_not_a_donor(client):
    client.force_login(UserFactory())
    assert client.get(reverse("my_address")).status_code == 404


def test_a_donor_downloads_a_years_receipts_as_one_zip_and_nobody_elses(client):
    import zipfile

    maya = DonorFactory(user=UserFactory(), first_name="Maya", last_name="Okafor")
    first, second = _receipt(donor=maya), _receipt(donor=maya, amount=10_000)
    other = _receipt()  # someone else's, the same year
    client.force_login(maya.user)
    page = client.get(reverse("my_gifts")).content.decode()
    assert reverse("my_receipts_zip", args=[2026]) in page
    answer = client.get(reverse("my_receipts_zip", args=[2026]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert sorted(names) == sorted(f"{r.receipt_number}.pdf" for r in (first, second))
    assert f"{other.receipt_number}.pdf" not in names
    assert client.get(reverse("my_receipts_zip", args=[2019])).status_code == 404
    client.force_login(UserFactory())  # signed in, not a donor
    assert client.get(reverse("my_receipts_zip", args=[2026])).status_code == 404


def test_a_donor_gets_a_years_gifts_as_one_pdf_with_their_receipts_and_nobody_elses(client):
    maya = DonorFactory(user=UserFactory(), first_name="Maya", last_name="Okafor")
    receipt = _receipt(donor=maya)  # a 2026 gift of $400.00 CAD, receipted
    posted_gift(donor=maya, amount=2_500, currency="EUR", on=dt.date(2026, 5, 5))
    posted_gift(donor=maya, amount=9_900, currency="CAD", on=dt.date(2025, 5, 5))  # not 2026
    posted_gift(amount=7_700, currency="CAD", on=dt.date(2026, 6, 6))  # someone else's
    client.force_login(maya.user)
    page = client.get(reverse("my_gifts")).content.decode()
    assert reverse("my_year_summary_pdf", args=[2026]) in page
    answer = client.get(reverse("my_year_summary_pdf", args=[2026]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(answer.content)).pages
    )
    assert "Your gifts in 2026" in text and receipt.receipt_number in text
    assert "In all, in CAD: CA$400.00" in text and "In all, in EUR: €25.00" in text
    assert "$99.00" not in text and "$77.00" not in text  # another year; another donor
    assert "not a tax receipt" in text
    client.force_login(UserFactory())
    assert client.get(reverse("my_year_summary_pdf", args=[2026])).status_code == 404

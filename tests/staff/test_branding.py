"""The organisation's name on every page and e-mail, and links to the site's own address."""

import re
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from receipts.models import Organisation
from tests.factories import DonorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hat(db, settings):
    Organisation.objects.filter(pk=1).update(display_name="HAT", brand_colour="#114477")
    settings.DEFAULT_FROM_EMAIL = "office@hat.example"
    settings.SITE_URL = "http://127.0.0.1:8123"


def test_the_sign_in_code_comes_from_the_organisation_and_names_it(hat, client):
    user = UserFactory(email="dana@example.net")
    DonorFactory(email="dana@example.net", user=user)
    client.post(reverse("account_request_login_code"), {"email": "dana@example.net"})
    (message,) = mail.outbox
    assert message.from_email == "HAT <office@hat.example>"
    assert message.subject.startswith("[HAT] ")
    assert "Hello from HAT!" in message.body and "127.0.0.1:8123" in message.body
    assert "testserver" not in message.body  # not the host the request came to


def test_a_from_address_with_its_own_name_is_kept(hat, settings):
    from backoffice.branding import sender

    settings.DEFAULT_FROM_EMAIL = "Receipts desk <receipts@hat.example>"
    assert sender() == "Receipts desk <receipts@hat.example>"


def test_every_page_kind_carries_the_name_and_colour(hat, finance_client):
    from django.test import Client

    public = Client().get(reverse("account_login")).content.decode()
    staff = finance_client.get("/").content.decode()
    admin = finance_client.get("/admin/donors/gift/").content.decode()
    for page in (public, staff, admin):
        assert ">HAT</span>" in page and "#114477" in page
        assert "Back office" not in page


def test_the_verification_page_names_the_charity(hat, client):
    import datetime as dt

    from receipts.services import receipt_issue
    from tests.factories import posted_gift

    gift = posted_gift(amount=40_000, currency="CAD", on=dt.date(2026, 2, 2))
    receipt = receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)
    page = client.get(reverse("receipt_verify", args=[receipt.verification_code]))
    text = " ".join(page.content.decode().split())
    assert (
        "Issued by <strong>Humans Against Trafficking</strong>, registered charity 888888888RR0001"
        in text
    )


def test_make_demo_port_serves_there_and_points_links_there():
    root = Path(__file__).resolve().parents[2]
    plan = subprocess.run(["make", "-n", "demo", "PORT=8123"], cwd=root, capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "runserver 127.0.0.1:8123" in plan
    for command in re.findall(r"^.*manage\.py (?:seed_\w+|db_worker|runserver).*$", plan, re.M):
        assert "SITE_URL=http://127.0.0.1:8123" in command, command


def test_authenticator_apps_list_the_code_under_the_organisations_name(hat, settings):
    from allauth.mfa.adapter import get_adapter

    settings.MFA_TOTP_ISSUER = ""
    assert get_adapter().get_totp_issuer() == "HAT"


def test_the_logo_heads_the_pages_once_the_organisation_has_one(hat, finance_client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from PIL import Image

    assert 'src="/logo/"' not in finance_client.get("/").content.decode()
    assert Client().get("/logo/").status_code == 404
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "navy").save(buffer, format="PNG")
    org = Organisation.objects.get(pk=1)
    org.logo.save("logo.png", SimpleUploadedFile("logo.png", buffer.getvalue()))
    assert 'src="/logo/"' in finance_client.get("/").content.decode()
    answer = Client().get("/logo/")  # public, as it is on every receipt
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == buffer.getvalue()

"""With S3_BUCKET set, stored files go to S3-compatible object storage: receipts are drawn
with the logo and signature read from it, archived there, e-mailed and downloaded from it.
Tested against moto's S3 server over HTTP (nothing of our code or the storage mocked)."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from receipts.models import Organisation, Receipt
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db

BUCKET = "receipts-archive"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def object_storage(s3_server, settings):
    import boto3

    keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **keys)
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": s3_server, "region_name": "us-east-1",
                    "access_key": "test", "secret_key": "test", "default_acl": "private",
                    "file_overwrite": False},
    }}  # fmt: skip
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def test_receipts_are_drawn_archived_and_downloaded_through_object_storage(
    object_storage, finance_client, django_capture_on_commit_callbacks
):
    from django.core import mail

    org, _ = Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Human Freedom Alliance", "address": "200 Bay Street\nToronto ON",
        "registration_number": "123456789RR0001", "place_of_issue": "Toronto",
        "signatory_name": "Dana Ruiz", "jurisdiction": "CA"})  # fmt: skip
    org.logo.save("logo.png", SimpleUploadedFile("logo.png", _png(300, 90)))
    org.signature.save("signature.png", SimpleUploadedFile("signature.png", _png(200, 60)))
    donor = DonorFactory(first_name="Maya", last_name="Okafor")
    with django_capture_on_commit_callbacks(execute=True):  # receipted, drawn, stored, sent
        posted_gift(donor=donor, amount=40_000, currency="CAD", on=dt.date(2026, 2, 2))
    receipt = Receipt.objects.get(donor=donor)
    stored = {item["Key"] for item in object_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {org.logo.name, org.signature.name, receipt.pdf.name} <= stored
    archived = object_storage.get_object(Bucket=BUCKET, Key=receipt.pdf.name)["Body"].read()
    assert hashlib.sha256(archived).hexdigest() == receipt.pdf_sha256
    page = PdfReader(io.BytesIO(archived)).pages[0]
    sizes = {(image.image.width, image.image.height) for image in page.images}
    assert {(300, 90), (200, 60)} <= sizes  # the logo and signature, read from the bucket
    ((_, attached, _),) = mail.outbox[0].attachments
    assert attached == archived
    download = finance_client.get(reverse("receipt_pdf", args=[receipt.pk]))
    assert download.status_code == 200 and download.content == archived

"""Receipts are drawn and e-mailed in a task, in the donor's language, retried on failure,
and sent again on request without a new receipt."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from receipts.models import Receipt
from receipts.services import receipt_issue, receipt_replace, receipts_deliver, receipts_render
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db


def _issue(django_capture_on_commit_callbacks, language="en", **donor):
    gift = posted_gift(donor=DonorFactory(preferred_language=language, **donor), amount=30_000,
                       currency="CAD", on=dt.date(2026, 7, 1))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)
    return Receipt.objects.get(pk=receipt.pk)


def test_an_issued_receipt_is_drawn_and_emailed_with_its_pdf(django_capture_on_commit_callbacks):
    receipt = _issue(django_capture_on_commit_callbacks, email="maya@example.net")
    [message] = mail.outbox
    assert message.to == ["maya@example.net"] and receipt.receipt_number in message.subject
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"{receipt.receipt_number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF") and receipt.pdf_sha256
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("sent", 1)


def test_the_email_is_in_the_donors_language(django_capture_on_commit_callbacks):
    _issue(django_capture_on_commit_callbacks, language="fr", email="luc@example.net")
    assert mail.outbox[0].subject.startswith("Votre reçu") and "Merci" in mail.outbox[0].body


def test_a_failed_email_is_kept_and_retried_by_the_command(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "tests.receipts.failing_mail.Backend"
    receipt = _issue(django_capture_on_commit_callbacks, email="x@example.net")
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 1)
    assert "mail server down" in receipt.delivery_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("retry_receipt_deliveries", stdout=io.StringIO())
    receipt.refresh_from_db()
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_receipt_whose_task_was_lost_is_drawn_and_sent_by_the_command():
    gift = posted_gift(donor=DonorFactory(email="lost@example.net"), amount=30_000,
                       currency="CAD", on=dt.date(2026, 7, 1))  # fmt: skip
    lost = receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)  # never run
    assert Receipt.objects.get(pk=lost.pk).delivery_status == "queued"  # as staff see it
    call_command("retry_receipt_deliveries", stdout=io.StringIO())
    assert not mail.outbox  # issued just now: its task may still be on its way
    out = io.StringIO()
    call_command("retry_receipt_deliveries", "--stale-minutes", "0", stdout=out)
    lost.refresh_from_db()
    assert lost.pdf_sha256 and lost.delivery_status == "sent"
    assert "1 receipts sent" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["lost@example.net"]]


def test_a_receipt_without_an_address_is_drawn_but_never_queued(
    django_capture_on_commit_callbacks,
):
    receipt = _issue(django_capture_on_commit_callbacks, email="")
    assert receipt.pdf_sha256 and receipt.delivery_status == "not_sent" and not mail.outbox
    call_command("retry_receipt_deliveries", "--stale-minutes", "0", stdout=io.StringIO())
    assert not mail.outbox


def test_a_receipt_drawn_but_never_sent_is_sent_by_the_command():
    """A worker killed between drawing a batch and writing its delivery statuses."""
    gifts = [posted_gift(donor=DonorFactory(email=email), amount=30_000, currency="CAD",
                         on=dt.date(2026, 7, 1))
             for email in ("drawn@example.net", "")]  # fmt: skip
    issued = [receipt_issue(gifts=[g], kind="gift", jurisdiction="CA", by=None) for g in gifts]
    receipts_render(receipts=issued)  # ...and then nothing: the task never got to send
    out = io.StringIO()
    call_command("retry_receipt_deliveries", "--stale-minutes", "0", stdout=out)
    drawn, unaddressed = Receipt.objects.order_by("pk")
    assert (drawn.delivery_status, unaddressed.delivery_status) == ("sent", "not_sent")
    assert [m.to for m in mail.outbox] == [["drawn@example.net"]]
    call_command("retry_receipt_deliveries", "--stale-minutes", "0", stdout=out)
    assert len(mail.outbox) == 1  # sent: not again


def test_a_batchs_delivery_statuses_are_written_in_one_update():
    gifts = [posted_gift(donor=DonorFactory(email=f"fan{i}@example.net"), amount=30_000,
                         currency="CAD", on=dt.date(2026, 7, 1)) for i in range(3)]  # fmt: skip
    ids = [receipt_issue(gifts=[g], kind="gift", jurisdiction="CA", by=None).pk for g in gifts]
    receipts_render(receipts=list(Receipt.objects.filter(pk__in=ids)))
    with CaptureQueriesContext(connection) as queries:
        receipts_deliver(receipt_ids=ids)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1 and "delivery_status" in writes[0]
    assert set(Receipt.objects.values_list("delivery_status", "delivery_attempts")) == {("sent", 1)}


def test_sending_again_makes_no_new_receipt(finance_client, django_capture_on_commit_callbacks):
    receipt = _issue(django_capture_on_commit_callbacks, email="maya@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(reverse("admin:receipts_receipt_changelist"),
                            {"action": "send_again", "_selected_action": [receipt.pk]})  # fmt: skip
    assert len(mail.outbox) == 2 and Receipt.objects.count() == 1
    assert mail.outbox[1].attachments[0][1] == mail.outbox[0].attachments[0][1]  # the same PDF


def test_a_receipt_voided_before_it_went_out_is_not_sent_and_its_replacement_is(
    django_capture_on_commit_callbacks,
):
    gift = posted_gift(donor=DonorFactory(email="maya@example.net"), amount=30_000,
                       currency="CAD", on=dt.date(2026, 7, 1))  # fmt: skip
    with django_capture_on_commit_callbacks() as queued:  # the worker is behind
        original = receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)
        replacement = receipt_replace(receipt=original, reason="Wrong address", by=None)
    for deliver in queued:
        deliver()
    original.refresh_from_db()
    replacement.refresh_from_db()
    assert [m.subject for m in mail.outbox] == [f"Your receipt {replacement.receipt_number}"]
    assert (original.delivery_status, replacement.delivery_status) == ("not_sent", "sent")
    assert original.pdf_sha256  # drawn all the same: kept on file as issued


def test_sending_a_void_receipt_again_sends_nothing_and_says_so(
    finance_client, django_capture_on_commit_callbacks
):
    receipt = _issue(django_capture_on_commit_callbacks, email="maya@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        receipt_replace(receipt=receipt, reason="Wrong amount", by=None)
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(
            reverse("admin:receipts_receipt_changelist"),
            {"action": "send_again", "_selected_action": [receipt.pk]}, follow=True,
        )  # fmt: skip
    assert len(mail.outbox) == sent
    assert "1 void receipt was not sent" in response.content.decode()

"""A batch of receipts goes out over one SMTP session, to a real SMTP server on loopback;
when the server cannot be reached, every receipt of the batch is kept as failed, with why."""

import datetime as dt
import socket
import socketserver
import threading

import pytest

from receipts.models import Organisation, Receipt
from receipts.services import receipt_issue, receipts_deliver
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db


class _SMTPSession(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for Django's backend: greeting, EHLO, MAIL, RCPT, DATA."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.server.sessions += 1
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith("EHLO"):
                self.reply("250-test\r\n250 SMTPUTF8" if self.server.smtputf8 else "250 test")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.server.envelope.append(line.decode().strip())
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go on")
                data = b""
                while (part := self.rfile.readline()) != b".\r\n":
                    data += part
                self.server.messages += 1
                self.server.data.append(data)
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    sessions = messages = 0
    smtputf8 = False  # whether it offers SMTPUTF8 (RFC 6531)

    def __init__(self, *args):
        super().__init__(*args)
        self.envelope, self.data = [], []


@pytest.fixture
def smtp(settings):
    server = _SMTPServer(("127.0.0.1", 0), _SMTPSession)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "backoffice.email_addresses.SMTPEmailBackend"  # as settings set
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.shutdown()
    server.server_close()


def _receipts(n: int, email: str = "fan{i}@example.net") -> list[Receipt]:
    Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Human Freedom Alliance", "address": "200 Bay Street\nToronto ON",
        "registration_number": "123456789RR0001", "place_of_issue": "Toronto"})  # fmt: skip
    receipts = []
    for i in range(n):
        donor = DonorFactory(
            email=email.format(i=i),
            address_line1=f"{i} King St",
            city="Toronto",
            region="ON",
            postcode="M5H 1A1",
            country="CA",
        )
        gift = posted_gift(donor=donor, amount=5_000, currency="CAD", on=dt.date(2026, 2, 1))
        receipts.append(receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None,
                                      deliver=False))  # fmt: skip
    return receipts


def test_a_batch_of_receipts_is_sent_over_one_smtp_session(smtp):
    receipts = _receipts(3)
    delivered = receipts_deliver(receipt_ids=[r.pk for r in receipts])
    assert [r.delivery_status for r in delivered] == ["sent"] * 3
    assert (smtp.sessions, smtp.messages) == (1, 3)


def test_an_smtp_server_that_cannot_be_reached_fails_each_receipt_with_the_reason(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    receipts = _receipts(2)
    delivered = receipts_deliver(receipt_ids=[r.pk for r in receipts])
    for receipt in Receipt.objects.filter(pk__in=[r.pk for r in delivered]):
        assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 1)
        assert "refused" in receipt.delivery_error.lower()
        assert receipt.pdf_sha256  # drawn all the same: a retry only sends


def test_a_receipt_goes_to_an_internationalised_address_over_smtputf8(smtp):
    smtp.smtputf8 = True
    (receipt,) = _receipts(1, email="josé.núñez@exämple.com")
    (delivered,) = receipts_deliver(receipt_ids=[receipt.pk])
    assert delivered.delivery_status == "sent", delivered.delivery_error
    assert "rcpt TO:<josé.núñez@exämple.com>" in smtp.envelope  # smtplib writes "rcpt"
    assert "mail FROM:<office@localhost> SMTPUTF8" in smtp.envelope
    (data,) = smtp.data
    assert "To: josé.núñez@exämple.com\r\n" in data.decode()


def test_a_server_without_smtputf8_fails_the_receipt_with_the_reason(smtp):
    (receipt,) = _receipts(1, email="josé@exämple.com")
    (delivered,) = receipts_deliver(receipt_ids=[receipt.pk])
    delivered.refresh_from_db()
    assert delivered.delivery_status == "failed"
    assert "cannot send to an internationalised address" in delivered.delivery_error
    assert not smtp.data

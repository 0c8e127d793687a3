"""E-mail addresses as people have them, internationalised ones included (RFC 6531: "josé@
exämple.com"). Django's validator refuses a local part that is not ASCII, which left such
donors without their receipt; these fields accept it, and the SMTP backend sends to it."""

from __future__ import annotations

import io
import smtplib
from email.generator import BytesGenerator
from email.policy import SMTPUTF8

from django import forms
from django.core.exceptions import ValidationError
from django.core.mail.backends import console, smtp
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import models

# What a local part may not hold even when it is not ASCII: spaces, controls, "@", quotes.
_FORBIDDEN = set(' "@<>()[]\\,;:') | {chr(c) for c in range(32)} | {"\x7f"}


def is_international(address: str) -> bool:
    """Whether the address's local part is not ASCII (it needs SMTPUTF8 to be sent to)."""
    return not address.rpartition("@")[0].isascii()


def validate_email_address(value: str) -> None:
    """Django's checks, but a local part may be any Unicode text without spaces or the few
    characters that end an address."""
    local, at, domain = value.rpartition("@")
    if at and local and not local.isascii():
        if set(local) & _FORBIDDEN or len(value) > 254:
            raise ValidationError("Enter a valid email address.", code="invalid")
        validate_email(f"user@{domain}")  # the domain, internationalised or not
        return
    validate_email(value)


class EmailAddressFormField(forms.EmailField):
    default_validators = [validate_email_address]


class EmailAddressField(models.EmailField):
    default_validators = [validate_email_address]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": EmailAddressFormField, **kwargs})


class SMTPEmailBackend(smtp.EmailBackend):
    """Django's SMTP backend, which sends to an internationalised address over SMTPUTF8
    (RFC 6531) when the server offers it, and otherwise fails with a reason that says so
    (kept on the receipt) rather than mangling the address."""

    def _send(self, email_message):
        addresses = [email_message.from_email, *email_message.recipients()]
        if not any(is_international(address) for address in addresses):
            return super()._send(email_message)
        self.connection.ehlo_or_helo_if_needed()
        if not self.connection.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError(
                "the mail server cannot send to an internationalised address (no SMTPUTF8)"
            )
        encoding = email_message.encoding or "utf-8"
        message = email_message.message()
        for header, values in (("To", email_message.to), ("Cc", email_message.cc)):
            if values:  # the addresses as they are, in UTF-8 (RFC 6532), not encoded words
                message.replace_header(header, ", ".join(values))
        flat = io.BytesIO()
        generator = BytesGenerator(flat, mangle_from_=False, policy=SMTPUTF8.clone(linesep="\r\n"))
        generator.flatten(message)
        self.connection.sendmail(
            _as_is(email_message.from_email, encoding),
            [_as_is(address, encoding) for address in email_message.recipients()],
            flat.getvalue(),
            mail_options=["SMTPUTF8"],
        )
        return True


def _as_is(address: str, encoding: str) -> str:
    """An envelope address: internationalised ones as they are, others as Django has them."""
    return address if is_international(address) else sanitize_address(address, encoding)


class ConsoleEmailBackend(console.EmailBackend):
    """The demo's and a developer's mail: each message's headers and text on the console,
    and its attachments named with their size rather than printed as base64 (a receipt
    would fill a thousand lines)."""

    def write_message(self, message):
        lines = [f"From: {message.from_email}", f"To: {', '.join(message.recipients())}",
                 f"Subject: {message.subject}", "", str(message.body).rstrip()]  # fmt: skip
        for attachment in message.attachments:
            name, content, mimetype = (
                (attachment.get_filename(), attachment.get_payload(decode=True),
                 attachment.get_content_type())
                if hasattr(attachment, "get_filename") else attachment
            )  # fmt: skip
            lines.append(f"[attached: {name}, {mimetype}, {len(content or b'') // 1024 + 1} kB]")
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")

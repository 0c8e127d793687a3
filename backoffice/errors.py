"""Failures of services we call (Stripe, the mail server) said to a person in one sentence,
with a short reference that the log carries beside the whole error."""

from __future__ import annotations

import logging
import secrets
import smtplib


def logged_reference(logger: str, doing: str, exc: BaseException) -> str:
    """Log `exc` under a new reference and return the reference ('3F9A1C2B')."""
    reference = secrets.token_hex(4).upper()
    logging.getLogger(logger).warning("%s failure %s while %s: %r", logger, reference, doing, exc)
    return reference


def sentence(reason: str, doing: str, reference: str) -> str:
    return (f"{reason} while {doing}, so nothing changed. Try again in a few minutes; if it "
            f"persists, give your administrator the reference {reference}.")  # fmt: skip


def mail_failure_sentence(exc: BaseException, *, doing: str) -> str:
    """For a mail that could not be sent (it is kept, and sent again later)."""
    reference = logged_reference("mail", doing, exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        reason = "The mail server refused the address"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        reason = "The mail server did not accept our sign-in (check EMAIL_URL)"
    elif isinstance(exc, smtplib.SMTPResponseException):
        said = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        reason = f"The mail server answered {exc.smtp_code} {said}"
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        reason = str(exc)[:1].upper() + str(exc)[1:]  # our own sentence (SMTPUTF8)
    elif isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError):
        reason = f"The mail server could not be reached ({exc})"
    else:
        reason = "The mail server failed"
    return (f"{reason} while {doing}; it was not sent and is tried again later "
            f"(reference {reference}, in the log).")  # fmt: skip

"""allauth's adapters as the organisation names itself: From, subject and greeting of its
e-mails, and the name authenticator apps list codes under. The project wires them in
settings; accounts.adapter keeps the account rules (nobody signs themselves up)."""

from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from accounts.adapter import AccountAdapter
from backoffice.branding import current_brand, current_site, sender


class BrandedAccountAdapter(AccountAdapter):
    def get_from_email(self) -> str:
        return sender()

    def format_email_subject(self, subject: str) -> str:
        return f"[{current_brand().name}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's messages greet from "the site", which without django.contrib.sites is
        # the host the request came to ("Hello from 127.0.0.1:8101!"): the organisation.
        super().send_mail(template_prefix, email, {**context, "current_site": current_site()})


class BrandedMFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        # MFA_TOTP_ISSUER when set, else the organisation's name.
        return settings.MFA_TOTP_ISSUER or current_brand().name

    def _get_site_name(self) -> str:
        return current_brand().name

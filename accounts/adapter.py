from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts are made by staff (staff, sponsor invitations) or from donor records;
        # nobody signs themselves up.
        return False

    def get_from_email(self) -> str:
        from backoffice.branding import sender

        return sender()

    def format_email_subject(self, subject: str) -> str:
        from backoffice.branding import current_brand

        return f"[{current_brand().name}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's messages greet from "the site", which without django.contrib.sites is
        # the host the request came to ("Hello from 127.0.0.1:8101!"): the organisation.
        from backoffice.branding import current_site

        super().send_mail(template_prefix, email, {**context, "current_site": current_site()})


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        # The name an authenticator app lists the code under: the organisation's, unless
        # MFA_TOTP_ISSUER names another.
        from django.conf import settings

        from backoffice.branding import current_brand

        return settings.MFA_TOTP_ISSUER or current_brand().name

    def _get_site_name(self) -> str:
        from backoffice.branding import current_brand

        return current_brand().name

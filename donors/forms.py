from allauth.account.forms import RequestLoginCodeForm
from django import forms

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class GiftImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file of gifts",
        help_text="UTF-8 CSV with a header row. Required columns: date, amount, currency, fund.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 50 MB; split it.")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file.")
        return upload


class MyAddressForm(forms.ModelForm):
    """What a donor may change about themselves: where receipts go, in which language, and
    whether we may e-mail them news (their consent, recorded with when and how)."""

    class Meta:
        from donors.models import Donor

        model = Donor
        fields = ["address_line1", "address_line2", "city", "region", "postcode", "country",
                  "preferred_language", "receipts_by_email", "email_consent"]  # fmt: skip
        labels = {"email_consent": "You may e-mail me news of your work (not only receipts)"}
        help_texts = {
            "email_consent": "Untick to stop; receipts and thank-yous still come.",
            "receipts_by_email": "Untick to get your receipts by post; they stay on this page.",
        }

    def clean(self):
        data = super().clean()
        if data.get("email_consent") and not self.instance.consent_method:
            # Consent needs its when and how (a record rule): this form is the how. The
            # service records both for good (donors.services.donor_update_contact).
            from django.utils import timezone

            from donors.models import Donor

            self.instance.consent_method = Donor.ConsentMethod.WEB_FORM
            self.instance.consent_given_at = timezone.now()
        return data


class DonorLoginCodeForm(RequestLoginCodeForm):
    """allauth's "send me a sign-in code", for every donor on record: an address on a donor
    record without a sign-in gets one on the spot (donors.services.donor_login_for), then
    allauth sends the code as to anyone. Sign-up stays closed, and the answer is the same
    whether or not the address is known: only its mailbox learns which it was."""

    def clean_email(self) -> str:
        from donors.services import donor_login_for

        email = self.cleaned_data.get("email")
        if email:
            donor_login_for(email)
        return super().clean_email()

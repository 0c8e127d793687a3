from __future__ import annotations

from django import forms

from backoffice.money import parse_typed_amount
from sponsorships.models import Instalment, SponsorPayment


class PaymentForm(forms.Form):
    """Finance records a payment on an agreement's page: applied to the chosen instalments,
    or, with none chosen, to the oldest open ones."""

    amount = forms.CharField(help_text="In the agreement's currency, e.g. 2500.00")
    received_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=SponsorPayment.Method.choices)
    reference = forms.CharField(required=False, max_length=120)
    instalments = forms.ModelMultipleChoiceField(
        queryset=Instalment.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Pay these, in order; none ticked: the oldest open ones.",
    )  # fmt: skip

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["instalments"].queryset = agreement.instalments.order_by("number")

    def clean_amount(self):
        try:
            return parse_typed_amount(self.cleaned_data["amount"], self.agreement.currency)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class WriteOffForm(forms.Form):
    instalment = forms.ModelChoiceField(queryset=Instalment.objects.none())
    amount = forms.CharField(help_text="Empty: all that is still open.", required=False)
    reason = forms.CharField(max_length=300)

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["instalment"].queryset = agreement.instalments.order_by("number")

    def clean(self):
        data = super().clean()
        instalment, text = data.get("instalment"), data.get("amount")
        if instalment is not None:
            try:
                data["amount"] = (
                    parse_typed_amount(text, self.agreement.currency) if text
                    else instalment.open_amount
                )  # fmt: skip
            except ValueError as exc:
                self.add_error("amount", str(exc))
        return data

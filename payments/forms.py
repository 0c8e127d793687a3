from __future__ import annotations

import uuid

from django import forms
from django.conf import settings

from backoffice.forms import MoneyAmountField
from backoffice.money import format_money, parse_typed_amount
from donors.models import Fund, Gift
from payments.models import Donation

# Above this a gift goes through a person: a typo of three zeros should not reach a card.
LARGEST_ONLINE_GIFT_MAJOR = 100_000


class DonationForm(forms.Form):
    preset = forms.TypedChoiceField(
        label="Amount", coerce=int, required=False, widget=forms.RadioSelect
    )
    other_amount = MoneyAmountField(label="Other amount", required=False)
    currency = forms.ChoiceField()
    frequency = forms.ChoiceField(
        label="How often", choices=Donation.Frequency.choices, initial=Donation.Frequency.ONCE,
        widget=forms.RadioSelect,
    )  # fmt: skip
    fund = forms.ModelChoiceField(
        label="Where it goes", queryset=Fund.objects.none(), empty_label=None
    )
    cover_fee = forms.BooleanField(
        label="Add a little to cover the card processing fee", required=False
    )
    tribute_type = forms.ChoiceField(
        label="Dedicate this gift", choices=Gift.Tribute.choices, required=False
    )
    tribute_name = forms.CharField(label="In the name of", max_length=200, required=False)
    ref = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)
    form_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, default_fund: Fund | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        currencies = settings.DONATION_CURRENCIES
        self.fields["currency"].choices = [(c, c) for c in currencies]
        self.fields["preset"].choices = [(p, f"{p:,}") for p in settings.DONATION_PRESETS]
        self.fields["fund"].queryset = Fund.objects.filter(is_active=True).order_by("name")
        base = settings.BASE_CURRENCY
        self.initial.setdefault("currency", base if base in currencies else currencies[0])
        presets = settings.DONATION_PRESETS
        self.initial.setdefault("preset", presets[1] if len(presets) > 1 else presets[0])
        self.initial.setdefault("form_token", uuid.uuid4())
        if default_fund is not None:
            self.initial.setdefault("fund", default_fund.pk)

    def clean(self):
        data = super().clean()
        currency = data.get("currency")
        if not currency:
            return data
        other, preset = (data.get("other_amount") or "").strip(), data.get("preset")
        if not other and not preset:
            self.add_error("other_amount", "Choose an amount or type one.")
            return data
        try:
            amount = parse_typed_amount(other or str(preset), currency)
        except ValueError as exc:
            self.add_error("other_amount", str(exc).capitalize() + ".")
            return data
        smallest = parse_typed_amount("1", currency)
        largest = parse_typed_amount(str(LARGEST_ONLINE_GIFT_MAJOR), currency)
        if amount < smallest:
            said = format_money(smallest, currency)
            self.add_error("other_amount", f"The smallest gift online is {said}.")
        elif amount > largest:
            self.add_error(
                "other_amount",
                f"For a gift over {format_money(largest, currency)}, please contact us: "
                "we will help you give by bank transfer.",
            )
        data["amount"] = amount
        if data.get("tribute_type") and not (data.get("tribute_name") or "").strip():
            self.add_error("tribute_name", "Name the person the gift is dedicated to.")
        return data

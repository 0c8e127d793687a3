"""Form pieces shared by the admin and the staff pages."""

from django import forms
from django.core.exceptions import ValidationError

from backoffice.money import format_major, parse_typed_amount, to_major


class MoneyAmountField(forms.CharField):
    """An amount typed in the currency's major unit, as the person's language writes it
    ('1,234.50'; '1 234,50' in French). The form turns it into minor units with
    `to_minor_units` once it knows the currency (backoffice.money.parse_typed_amount)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
        super().__init__(*args, **kwargs)


def to_minor_units(form: forms.BaseForm, field: str, currency: str | None) -> int | None:
    """Convert form.cleaned_data[field] to minor units, adding a form error naming the field
    when it is not a valid amount. Returns None when it could not be converted."""
    text = form.cleaned_data.get(field)
    if text in (None, ""):
        return None
    if not currency:
        return None  # the currency field carries its own error
    try:
        return parse_typed_amount(str(text), currency)
    except ValueError as exc:
        said = str(exc)  # not .capitalize(): it would lower "JPY" to "jpy"
        form.add_error(field, ValidationError(said[:1].upper() + said[1:] + "."))
        return None


def major_text(minor: int | None, currency: str | None) -> str:
    """What an amount field shows for a stored amount: '1234.50' ('1234,50' in French)."""
    return (
        "" if minor is None or not currency else format_major(to_major(minor, currency), currency)
    )


class MinorUnitsFormMixin:
    """For model forms whose amounts are typed in major units. `money_fields` maps each
    form field (a MoneyAmountField) to the model field that stores minor units; the
    currency comes from `amount_currency()`. Amounts of zero are refused where required."""

    money_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.stored_currency()
        if self.instance.pk and currency:
            for form_field, model_field in self.money_fields.items():
                value = getattr(self.instance, model_field)
                self.initial[form_field] = major_text(value or None, currency)

    def stored_currency(self) -> str | None:
        return getattr(self.instance, "currency", None)

    def amount_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()

    def clean(self):
        data = super().clean()
        currency = self.amount_currency()
        for form_field, model_field in self.money_fields.items():
            amount = to_minor_units(self, form_field, currency)
            if amount == 0 and self.fields[form_field].required:
                self.add_error(form_field, "The amount must be greater than zero.")
            elif amount is not None:
                setattr(self.instance, model_field, amount)
            elif not self.fields[form_field].required:
                setattr(self.instance, model_field, 0)
        return data

"""Sponsorships in the admin: thin, every money change goes through services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin import MoneyAdminMixin, RecordedByServiceAdmin
from backoffice.forms import MinorUnitsFormMixin, MoneyAmountField, to_minor_units
from backoffice.money import format_money, money_label
from backoffice.text import counted
from sponsorships.invoicing import instalment_invoice_stripe
from sponsorships.models import (
    Agreement,
    Benefit,
    Disbursement,
    Instalment,
    Sponsor,
    SponsorContact,
    SponsorPayment,
    Tier,
)
from sponsorships.notices import contact_invite, instalment_send_reminder
from sponsorships.schedule import Frequency
from sponsorships.selectors import fund_position
from sponsorships.services import agreement_schedule, disbursement_record, payment_record


class ContactInline(admin.TabularInline):
    model = SponsorContact
    extra = 1
    fields = ["name", "email", "role", "user", "invited_at"]
    readonly_fields = ["invited_at"]
    autocomplete_fields = ["user"]


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "kind", "billing_email"]
    list_filter = ["kind"]
    search_fields = ["name", "billing_email", "contacts__email"]
    inlines = [ContactInline]


@admin.register(SponsorContact)
class SponsorContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "sponsor", "role", "user", "invited_at"]
    list_select_related = ["sponsor", "user"]
    list_filter = ["role"]
    search_fields = ["name", "email", "sponsor__name"]
    autocomplete_fields = ["sponsor", "user"]
    actions = ["invite"]

    @admin.action(
        description="Invite to the sponsor portal (e-mail; sign-in by code)", permissions=["change"]
    )
    def invite(self, request, queryset):
        for contact in queryset:
            try:
                contact_invite(contact=contact, by=request.user)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
            else:
                messages.success(request, f"Invitation sent to {contact.email}.")


class TierForm(MinorUnitsFormMixin, forms.ModelForm):
    amount_text = MoneyAmountField(label="Amount", help_text="In the tier's currency, e.g. 25000")
    money_fields = {"amount_text": "amount"}

    class Meta:
        model = Tier
        fields = ["name", "amount_text", "currency", "standard_benefits"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = TierForm
    list_display = ["name", "amount_text", "currency"]

    @admin.display(description="Amount")
    def amount_text(self, tier):
        return money_label(tier.amount, tier.currency)


class BenefitForm(MinorUnitsFormMixin, forms.ModelForm):
    """A benefit's value is typed as money in its agreement's currency."""

    fair_market_value_text = MoneyAmountField(
        label="Fair market value", required=False,
        help_text="In the agreement's currency, e.g. 250.00. It reduces what the sponsor's "
                  "acknowledgement letter says was given.",
    )  # fmt: skip
    proof_url = forms.URLField(required=False, assume_scheme="https")
    money_fields = {"fair_market_value_text": "fair_market_value"}

    class Meta:
        model = Benefit
        fields = ["agreement", "description", "due_on", "delivered_on", "proof_url",
                  "proof_file"]  # fmt: skip

    def _agreement(self):
        # On its own page the agreement is a field; in the agreement's page the formset has
        # set it on the instance (a new agreement included, not saved yet).
        try:
            return self.cleaned_data.get("agreement") or self.instance.agreement
        except (AttributeError, Benefit.agreement.RelatedObjectDoesNotExist):
            return None

    def stored_currency(self) -> str | None:
        return self.instance.agreement.currency if self.instance.agreement_id else None

    def amount_currency(self) -> str:
        agreement = self._agreement()
        return agreement.currency if agreement is not None else ""

    def clean(self):
        data = super().clean()
        if data.get("delivered_on") and not (data.get("proof_url") or data.get("proof_file")):
            self.add_error("proof_url", "Give a link or a file that shows the delivery.")
        return data


@admin.register(Benefit)
class BenefitAdmin(admin.ModelAdmin):
    """The fulfilment queue: undelivered benefits first; a delivery needs its proof."""

    form = BenefitForm
    list_display = ["description", "agreement", "due_on", "delivered_on", "value"]
    list_select_related = ["agreement__sponsor"]
    list_filter = [("delivered_on", admin.EmptyFieldListFilter), "agreement__sponsor__kind"]
    search_fields = ["description", "agreement__title", "agreement__sponsor__name"]
    autocomplete_fields = ["agreement"]

    @admin.display(description="Fair market value", ordering="fair_market_value")
    def value(self, benefit):
        return format_money(benefit.fair_market_value, benefit.agreement.currency)

    def save_model(self, request, obj, form, change):
        if obj.delivered_on and not obj.delivered_by_id:
            obj.delivered_by = request.user
        super().save_model(request, obj, form, change)
        _letters_follow(request, obj.agreement)

    def delete_model(self, request, obj):
        agreement = obj.agreement
        super().delete_model(request, obj)
        _letters_follow(request, agreement)


def _letters_follow(request, agreement) -> None:
    """The letters in force follow the agreement's benefits (sponsorships.letters)."""
    from sponsorships.letters import letters_follow_benefits

    if renewed := letters_follow_benefits(agreement=agreement):
        said = counted(len(renewed), "acknowledgement letter", "acknowledgement letters")
        messages.info(request, f"{said} voided and issued again, stating the new benefits: "
                      + ", ".join(x.letter_number for x in renewed) + ".")  # fmt: skip


class BenefitInline(admin.TabularInline):
    model = Benefit
    form = BenefitForm
    extra = 1
    fields = ["description", "fair_market_value_text", "due_on", "delivered_on", "proof_url",
              "proof_file"]  # fmt: skip


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    fields = ["number", "due_on", "amount_due", "paid", "written_off", "state"]
    readonly_fields = fields

    @admin.display(description="Amount")
    def amount_due(self, instalment):
        return format_money(instalment.amount, instalment.agreement.currency)

    @admin.display(description="Paid")
    def paid(self, instalment):
        return format_money(instalment.paid_amount, instalment.agreement.currency)

    @admin.display(description="Written off")
    def written_off(self, instalment):
        return format_money(instalment.written_off_amount, instalment.agreement.currency)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="State")
    def state(self, instalment):
        return instalment.state


def _schedule_action(frequency: Frequency):
    def action(modeladmin, request, queryset):
        for agreement in queryset:
            try:
                agreement_schedule(agreement=agreement, frequency=frequency, by=request.user)
            except ValidationError as exc:
                messages.error(request, f"{agreement}: {'; '.join(exc.messages)}")
            else:
                messages.success(request, f"{agreement}: {frequency} schedule built.")

    action.__name__ = f"schedule_{frequency}"
    action.short_description = f"Build the {frequency} instalment schedule"
    action.allowed_permissions = ("change",)
    return action


class AgreementForm(MinorUnitsFormMixin, forms.ModelForm):
    """The agreement's total is typed as money ('12000.00'), in its currency."""

    amount_text = MoneyAmountField(label="Amount", help_text="The whole agreement, e.g. 12000.00")
    money_fields = {"amount_text": "amount"}

    class Meta:
        model = Agreement
        fields = ["sponsor", "title", "tier", "currency", "starts_on", "ends_on", "fund",
                  "campaign", "status", "signed_on", "signed_document"]  # fmt: skip


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    form = AgreementForm
    list_display = ["title", "sponsor", "amount_text", "status", "starts_on", "ends_on", "page"]
    list_select_related = ["sponsor"]
    list_filter = ["status", "currency", "sponsor__kind"]
    search_fields = ["title", "sponsor__name"]
    autocomplete_fields = ["sponsor"]
    inlines = [BenefitInline, InstalmentInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            _letters_follow(request, form.instance)

    actions = [_schedule_action(f) for f in Frequency]

    @admin.display(description="Amount", ordering="amount")
    def amount_text(self, agreement):
        return agreement.amount_display

    @admin.display(description="")
    def page(self, agreement):
        return format_html('<a href="{}">schedule and payments</a>',
                           reverse("agreement_page", args=[agreement.pk]))  # fmt: skip


@admin.register(Instalment)
class InstalmentAdmin(MoneyAdminMixin, admin.ModelAdmin):
    """Instalments are made by an agreement's schedule; here they are invoiced and chased."""

    list_display = ["agreement", "number", "due_on", "amount_text", "paid_text", "state",
                    "invoice_status", "reminded_at"]  # fmt: skip
    money_fields = {"amount": "agreement.currency", "paid_amount": "agreement.currency",
                    "written_off_amount": "agreement.currency"}  # fmt: skip
    list_filter = ["invoice_status", "agreement__sponsor__kind", "agreement__currency"]
    list_select_related = ["agreement__sponsor"]
    search_fields = ["agreement__title", "agreement__sponsor__name", "stripe_invoice_id"]
    readonly_fields = ["agreement", "number", "due_on", "amount", "paid_amount",
                       "written_off_amount", "write_off_reason", "stripe_invoice_id",
                       "invoice_status", "hosted_invoice_url", "reminded_at"]  # fmt: skip
    actions = ["invoice_through_stripe", "send_reminder"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="State")
    def state(self, instalment):
        return instalment.state

    @admin.display(description="Amount", ordering="amount")
    def amount_text(self, instalment):
        return money_label(instalment.amount, instalment.agreement.currency)

    @admin.display(description="Paid")
    def paid_text(self, instalment):
        return money_label(instalment.paid_amount, instalment.agreement.currency)

    @admin.action(
        description="Invoice through Stripe (hosted page, card or bank transfer)",
        permissions=["change"],
    )
    def invoice_through_stripe(self, request, queryset):
        from payments.services import PaymentProviderError

        for instalment in queryset:
            try:
                done = instalment_invoice_stripe(instalment=instalment, by=request.user)
            except (ValidationError, PaymentProviderError) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                messages.error(request, f"{instalment}: {text}")
            else:
                messages.success(request, f"{instalment}: invoice {done.stripe_invoice_id}.")

    @admin.action(description="E-mail a payment reminder (overdue ones)", permissions=["change"])
    def send_reminder(self, request, queryset):
        sent = 0
        for instalment in queryset:
            try:
                sent += instalment_send_reminder(instalment=instalment, by=request.user, force=True)
            except ValidationError as exc:
                messages.error(request, f"{instalment}: {'; '.join(exc.messages)}")
        messages.info(
            request,
            f"{counted(sent, 'reminder', 'reminders')} sent (only overdue instalments are chased).",
        )


class _TypedAmountForm(forms.ModelForm):
    """For the pages whose save calls a service with the cleaned data: the amount is typed
    as money in the chosen currency and handed on in minor units as `amount`."""

    amount_text = MoneyAmountField(label="Amount", help_text="In the currency below, e.g. 2500.00")
    zero_message = "The amount is more than zero."

    def clean(self):
        data = super().clean()
        amount = to_minor_units(self, "amount_text", (data.get("currency") or "").upper())
        if amount == 0:
            self.add_error("amount_text", self.zero_message)
        elif amount is not None:
            data["amount"] = amount
            self.instance.amount = amount
        data.pop("amount_text", None)
        return data


class SponsorPaymentForm(_TypedAmountForm):
    zero_message = "A payment is more than zero."

    class Meta:
        model = SponsorPayment
        fields = ["sponsor", "amount_text", "currency", "received_on", "method", "reference"]


@admin.register(SponsorPayment)
class SponsorPaymentAdmin(RecordedByServiceAdmin):
    """Recorded here, a payment is applied to the sponsor's open instalments in its currency,
    oldest first; the rest is credit."""

    form = SponsorPaymentForm
    list_display = ["sponsor", "amount_shown", "received_on", "method", "reference", "credit_text"]
    list_select_related = ["sponsor"]
    list_filter = ["method", "currency"]
    search_fields = ["sponsor__name", "reference"]
    autocomplete_fields = ["sponsor"]

    def get_readonly_fields(self, request, obj=None):
        return ["sponsor", "amount_shown", "received_on", "method", "reference"] if obj else []

    def get_fields(self, request, obj=None):
        # A recorded payment is read, not typed: its amount as money in place of the field.
        fields = super().get_fields(request, obj)
        return [f for f in fields if f not in ("amount_text", "currency")] if obj else fields

    def record(self, request, data):
        return payment_record(by=request.user, **data)

    @admin.display(description="Amount")
    def amount_shown(self, payment):
        return money_label(payment.amount, payment.currency)

    @admin.display(description="Credit")
    def credit_text(self, payment):
        return money_label(payment.credit, payment.currency)


class DisbursementForm(_TypedAmountForm):
    zero_message = "A disbursement is more than zero."

    class Meta:
        model = Disbursement
        fields = ["fund", "amount_text", "currency", "paid_on", "payee", "purpose"]

    def clean(self):
        data = super().clean()
        fund, amount, currency = data.get("fund"), data.get("amount"), data.get("currency")
        if fund and amount and currency:
            available = fund_position(fund=fund).get(currency, {}).get("available", 0)
            if amount > available:
                self.add_error("amount_text", f"{fund.code} has "
                               f"{money_label(available, currency)} available.")  # fmt: skip
        return data


@admin.register(Disbursement)
class DisbursementAdmin(RecordedByServiceAdmin):
    form = DisbursementForm
    list_display = ["paid_on", "fund", "payee", "amount_text", "purpose"]
    list_select_related = ["fund"]
    list_filter = ["fund"]

    def has_change_permission(self, request, obj=None):
        return False if obj else super().has_change_permission(request, obj)

    def record(self, request, data):
        return disbursement_record(by=request.user, **data)

    @admin.display(description="Amount")
    def amount_text(self, disbursement):
        return money_label(disbursement.amount, disbursement.currency)

"""Staff pages for online payments. Everything Stripe sent is read-only here: Stripe is the
source of truth. Staff can retry a failed event and ask for a refund."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from backoffice.admin import MoneyAdminMixin, ReadOnlyAdmin
from backoffice.forms import MoneyAmountField, major_text, to_minor_units
from backoffice.text import counted
from payments.models import (
    Dispute,
    Donation,
    Payment,
    Payout,
    Refund,
    RefundRequest,
    StripeCustomer,
    StripeEvent,
)
from payments.services import PaymentProviderError, event_retry, refund_request


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "status", "outcome_or_error", "attempts", "stripe_id"]
    list_filter = ["status", "type"]
    search_fields = ["=stripe_id", "=object_id"]
    date_hierarchy = "received_at"
    show_full_result_count = False  # a busy account has millions: no count of them all
    search_help_text = "Event id or the id of its object (exact)."
    actions = ["retry"]
    readonly_fields = [
        "stripe_id", "type", "object_id", "livemode", "api_version", "created", "status",
        "attempts", "outcome", "error", "waiting_for", "received_at", "processed_at", "payload",
    ]  # fmt: skip
    exclude = ["body"]

    @admin.display(description="Outcome")
    def outcome_or_error(self, event):
        if event.status in (StripeEvent.Status.FAILED, StripeEvent.Status.WAITING):
            return format_html('<span style="color:#a3261b">{}</span>', event.error[-200:])
        return event.outcome

    @admin.display(description="Body")
    def payload(self, event):
        try:
            pretty = json.dumps(json.loads(event.body), indent=2)
        except ValueError:
            pretty = event.body
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", pretty)

    @admin.action(description="Retry processing of the selected failed events")
    def retry(self, request, queryset):
        queued = sum(event_retry(event=e, by=request.user) for e in queryset)
        skipped = queryset.count() - queued
        again = counted(queued, "event", "events")
        messages.info(request, f"{again} queued again; {skipped} skipped (already processed).")

    def has_retry_permission(self, request):
        return request.user.has_perm("payments.change_stripeevent")

    retry.allowed_permissions = ("retry",)


@admin.register(Donation)
class DonationAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = {"amount": "currency", "fee_cover": "currency"}
    list_display = ["created_at", "id", "campaign", "total", "frequency", "status",
                    "donor", "referral_code"]  # fmt: skip
    list_filter = ["status", "frequency", "campaign"]
    list_select_related = ["campaign", "donor"]
    search_fields = ["=checkout_session_id", "=referral_code", "=subscription_id"]

    @admin.display(description="Total (gift and fee cover)")
    def total(self, donation):
        return donation.total_display


class RefundInline(MoneyAdminMixin, admin.TabularInline):
    model = Refund
    money_fields = {"amount": "currency"}
    extra = 0
    can_delete = False
    fields = ["refund_id", "amount", "currency", "status", "reason", "created"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DisputeInline(RefundInline):
    model = Dispute
    money_fields = {"amount": "currency"}
    fields = ["dispute_id", "amount", "currency", "status", "reason", "funds_withdrawn",
              "funds_reinstated", "evidence_due_by"]  # fmt: skip
    readonly_fields = fields


class RefundForm(forms.Form):
    amount = MoneyAmountField(label="Amount to refund")
    reason = forms.CharField(max_length=200, label="Why")


@admin.register(Payment)
class PaymentAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = {"amount": "currency", "fee": "settlement_currency",
                    "net": "settlement_currency", "amount_refunded": "currency",
                    "disputed_amount_lost": "currency"}  # fmt: skip
    list_display = ["paid_at", "gift_link", "amount", "fee", "net", "amount_refunded",
                    "payment_intent_id", "balance_transaction_id"]  # fmt: skip
    list_select_related = ["gift"]
    search_fields = ["=payment_intent_id", "=charge_id", "=balance_transaction_id", "=invoice_id"]
    search_help_text = "Payment intent, charge, balance transaction or invoice id (exact)."
    inlines = [RefundInline, DisputeInline]
    readonly_fields = ["gift", "donation", "payment_intent_id", "charge_id", "invoice_id",
                       "subscription_id", "balance_transaction_id", "amount", "fee", "net",
                       "exchange_rate", "amount_refunded", "disputed_amount_lost", "paid_at",
                       "refund_link"]  # fmt: skip
    exclude = ["currency", "settlement_currency"]

    @admin.display(description="Gift", ordering="gift")
    def gift_link(self, payment):
        url = reverse("admin:donors_gift_change", args=[payment.gift_id])
        return format_html('<a href="{}">#{}</a>', url, payment.gift_id)

    def get_readonly_fields(self, request, obj=None):
        shown = super().get_readonly_fields(request, obj)
        if request.user.has_perm("payments.add_refundrequest"):
            return shown
        return [f for f in shown if f != "refund_link"]  # only finance may ask for one

    @admin.display(description="Refund")
    def refund_link(self, payment):
        url = reverse("admin:payments_payment_refund", args=[payment.pk])
        return format_html('<a class="button" href="{}">Refund…</a>', url)

    def get_urls(self):
        return [
            path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view),
                 name="payments_payment_refund"),
        ] + super().get_urls()  # fmt: skip

    def refund_view(self, request, pk: int):
        if not request.user.has_perm("payments.add_refundrequest"):
            raise PermissionDenied
        payment = get_object_or_404(Payment, pk=pk)
        left = payment.amount - payment.amount_refunded - payment.disputed_amount_lost
        form = RefundForm(
            request.POST or None, initial={"amount": major_text(left, payment.currency)}
        )
        if request.method == "POST" and form.is_valid():
            amount = to_minor_units(form, "amount", payment.currency)
            if amount is not None:
                try:
                    refund_request(
                        payment=payment, amount=amount, reason=form.cleaned_data["reason"],
                        by=request.user,
                    )  # fmt: skip
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                except PaymentProviderError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, "Stripe accepted the refund.")
                    return redirect("admin:payments_payment_change", payment.pk)
        context = {**self.admin_site.each_context(request), "payment": payment, "form": form,
                   "title": f"Refund {payment}", "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/payments/refund.html", context)


@admin.register(RefundRequest)
class RefundRequestAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = {"amount": "payment.currency"}
    list_select_related = ["payment", "requested_by"]
    list_display = ["requested_at", "payment", "amount", "reason", "refund_id", "error",
                    "requested_by"]  # fmt: skip


@admin.register(Dispute)
class DisputeAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = {"amount": "currency"}
    list_display = ["created", "dispute_id", "payment", "amount", "currency", "status",
                    "evidence_due_by", "funds_withdrawn", "funds_reinstated"]  # fmt: skip
    list_filter = ["status"]


@admin.register(Payout)
class PayoutAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = {"amount": "currency"}
    list_display = ["arrival_date", "payout_id", "amount", "currency", "status",
                    "reconciliation_status"]  # fmt: skip
    list_filter = ["status", "reconciliation_status"]


@admin.register(StripeCustomer)
class StripeCustomerAdmin(ReadOnlyAdmin):
    list_display = ["customer_id", "donor", "email", "created_at"]
    search_fields = ["=customer_id", "=email"]
    list_select_related = ["donor"]

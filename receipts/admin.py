"""Receipts in the admin: read-only (issued receipts never change), with a void-and-replace
action for finance."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from backoffice.admin import MoneyAdminMixin, ReadOnlyAdmin
from backoffice.forms import MinorUnitsFormMixin, MoneyAmountField
from backoffice.text import counted
from receipts import rules
from receipts.models import (
    Organisation,
    Receipt,
    ReceiptLine,
    ReceiptSeries,
    ThankYou,
    ThankYouText,
)
from receipts.selectors import gift_receipts
from receipts.services import receipt_replace, receipts_queue_delivery


class LineInline(MoneyAdminMixin, admin.TabularInline):
    model = ReceiptLine
    money_fields = {"amount": "receipt.currency", "advantage": "receipt.currency"}
    extra = 0
    can_delete = False
    fields = ["gift", "amount", "advantage", "in_force"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReplaceForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is the receipt replaced?")


@admin.register(Receipt)
class ReceiptAdmin(MoneyAdminMixin, ReadOnlyAdmin):
    money_fields = {"total_amount": "currency", "advantage_amount": "currency",
                    "eligible_amount": "currency"}  # fmt: skip
    list_display = ["receipt_number", "issued_at", "donor_name", "kind", "eligible_amount",
                    "status", "delivery_status"]  # fmt: skip
    list_filter = ["status", "kind", "series", "delivery_status"]
    list_select_related = ["series"]
    search_fields = ["=number", "donor_name", "=verification_code"]
    inlines = [LineInline]
    actions = ["replace", "send_again"]
    exclude = ["pdf"]
    readonly_fields = ["download", *(f.name for f in Receipt._meta.fields if f.name != "pdf")]

    @admin.display(description="PDF")
    def download(self, receipt):
        if not receipt.pdf:
            return "being drawn"
        label = "Download (stamped void)" if receipt.status == Receipt.Status.VOID else "Download"
        return format_html('<a href="{}">{}</a>', reverse("receipt_pdf", args=[receipt.pk]), label)

    @admin.action(description="Void and replace the selected receipts", permissions=["replace"])
    def replace(self, request, queryset):
        form = ReplaceForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done = 0
            for receipt in queryset:
                try:
                    receipt_replace(receipt=receipt, reason=form.cleaned_data["reason"],
                                    by=request.user)  # fmt: skip
                    done += 1
                except ValidationError as exc:
                    messages.error(request, f"{receipt}: {exc.messages[0]}")
            messages.success(
                request, f"{counted(done, 'receipt', 'receipts')} voided and replaced."
            )
            return None
        return TemplateResponse(request, "admin/receipts/replace.html", {
            **self.admin_site.each_context(request), "form": form, "receipts": queryset,
            "selected": request.POST.getlist("_selected_action"), "opts": self.model._meta,
            "title": "Void and replace receipts",
        })  # fmt: skip

    @admin.action(description="E-mail the selected receipts again", permissions=["replace"])
    def send_again(self, request, queryset):
        live = list(queryset.filter(status=Receipt.Status.ISSUED).values_list("pk", flat=True))
        receipts_queue_delivery(receipt_ids=live, resend=True)  # one task, one mail session
        messages.success(
            request, f"{counted(len(live), 'receipt', 'receipts')} queued to be sent again."
        )
        if void := queryset.filter(status=Receipt.Status.VOID).count():
            unsent = counted(void, "void receipt was", "void receipts were")
            messages.warning(request, f"{unsent} not sent: a void receipt stays on file; send "
                             "its replacement.")  # fmt: skip

    def has_replace_permission(self, request):
        return request.user.has_perm("receipts.change_receipt")


@admin.register(ReceiptSeries)
class ReceiptSeriesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "jurisdiction", "year", "prefix", "last_number"]
    readonly_fields = ["last_number"]

    def get_readonly_fields(self, request, obj=None):
        # The prefix is printed on issued receipts: fixed once a number is taken.
        return (
            ["last_number", "jurisdiction", "year", "prefix"]
            if obj and obj.last_number
            else ["last_number"]
        )


class OrganisationForm(MinorUnitsFormMixin, forms.ModelForm):
    threshold_text = MoneyAmountField(
        label="Receipt gifts of at least", required=False,
        help_text="In the organisation's currency, e.g. 20.00: gifts of at least this much "
                  "are receipted when posted; the rest wait for the year-end statement. US "
                  "gifts of $250 or more always are.",
    )  # fmt: skip
    money_fields = {"threshold_text": "auto_receipt_threshold"}

    class Meta:
        model = Organisation
        fields = [f.name for f in Organisation._meta.fields if f.name not in
                  ("id", "auto_receipt_threshold")]  # fmt: skip

    def stored_currency(self):
        return self.instance.currency

    def amount_currency(self):
        return (self.cleaned_data.get("currency") or self.instance.currency or "").upper()


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """One row: the organisation as its receipts name it."""

    form = OrganisationForm

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and (org := self.get_object(request, object_id)):
            for problem in rules.organisation_problems(org, jurisdiction=org.jurisdiction):
                messages.warning(request, f"No receipt can be issued: {problem}.")
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return not Organisation.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


def gift_receipt_note(gift) -> str:
    """A gift's receipts for its admin page (donors.admin.gifts.GIFT_NOTES), each linked to
    its page, or why it has none."""
    found = gift_receipts(gift)
    said = [
        format_html("{} in force (e-mail: {})", _link(r), r.get_delivery_status_display().lower())
        if in_force else format_html("{} void ({})", _link(r), r.void_reason)
        for r, in_force in found.receipts
    ]  # fmt: skip
    if found.why_none and found.waiting:
        said.append(format_html('no receipt: {} (<a href="{}">waiting for a receipt</a>)',
                                found.why_none, reverse("waiting_for_receipt")))  # fmt: skip
    elif found.why_none:
        said.append(format_html("no receipt: {}", found.why_none))
    return format_html_join(" · ", "{}", ((s,) for s in said))


def _link(receipt: Receipt) -> str:
    url = reverse("admin:receipts_receipt_change", args=[receipt.pk])
    return format_html('<a href="{}">receipt {}</a>', url, receipt.receipt_number)


@admin.register(ThankYouText)
class ThankYouTextAdmin(admin.ModelAdmin):
    """Fundraising's words for the thank-you every gift gets, with a preview on the latest
    gift they would go to."""

    list_display = ["__str__", "subject"]
    list_filter = ["language", "campaign"]
    readonly_fields = ["preview"]
    autocomplete_fields = ["campaign"]

    @admin.display(description="Preview (the latest gift it would thank)")
    def preview(self, text):
        from donors.models import Gift
        from receipts.thanks import PLACEHOLDERS, preview

        if not text or not text.pk:
            return "Save to see the preview. Placeholders: " + ", ".join(
                "{" + p + "}" for p in PLACEHOLDERS)  # fmt: skip
        gifts = Gift.objects.filter(
            status=Gift.Status.POSTED, donor__preferred_language=text.language
        )
        if text.campaign_id:
            gifts = gifts.filter(campaign_id=text.campaign_id)
        gift = gifts.select_related("donor", "campaign").order_by("-received_on", "-pk").first()
        if gift is None:
            return "No posted gift to preview it on yet."
        subject, body = preview(text.subject, text.body, gift)
        return format_html("<p><strong>{}</strong></p><pre style='white-space:pre-wrap'>{}</pre>",
                           subject, body)  # fmt: skip


@admin.register(ThankYou)
class ThankYouAdmin(ReadOnlyAdmin):
    list_display = ["gift", "to", "status", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["=to", "=gift__id"]
    list_select_related = ["gift"]

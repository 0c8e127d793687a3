from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.forms.models import BaseInlineFormSet, construct_instance
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from backoffice.forms import MinorUnitsFormMixin, MoneyAmountField
from backoffice.money import format_money
from donors.models import Fund, Gift, GiftBatch, GiftImport
from donors.services import batch_close, gift_record


class BatchForm(MinorUnitsFormMixin, forms.ModelForm):
    expected_total_text = MoneyAmountField(label="Total on the deposit slip")
    money_fields = {"expected_total_text": "expected_total"}

    class Meta:
        model = GiftBatch
        fields = ["reference", "deposited_on", "method", "currency", "expected_count", "note"]


class BatchGiftForm(MinorUnitsFormMixin, forms.ModelForm):
    """One line of the deposit slip: who, how much, to which fund, the cheque number."""

    amount_text = MoneyAmountField(label="Amount")
    fund = forms.ModelChoiceField(queryset=Fund.objects.filter(is_active=True))
    money_fields = {"amount_text": "amount"}

    class Meta:
        model = Gift
        fields = ["donor", "received_on", "method", "external_reference", "campaign"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            first = self.instance.allocations.first()
            self.initial["fund"] = first.fund_id if first else None

    def amount_currency(self):
        return self.instance.batch.currency

    def clean(self):
        data = super().clean()
        self.instance.currency = self.instance.batch.currency
        return data

    def _post_clean(self):
        # Fill the gift from the form, but leave validation to the service and the model,
        # which know the batch and the split.
        self.instance = construct_instance(self, self.instance, self._meta.fields)


class BatchGiftFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.batch = self.instance  # its currency says how to read the amounts
        return form

    def save(self, commit=True):
        return []  # GiftBatchAdmin.save_related records the gifts through the service


class BatchGiftInline(admin.TabularInline):
    model = Gift
    form = BatchGiftForm
    formset = BatchGiftFormSet
    fk_name = "batch"
    fields = [
        "donor",
        "amount_text",
        "fund",
        "received_on",
        "method",
        "external_reference",
        "campaign",
    ]
    autocomplete_fields = ["donor", "campaign"]
    extra = 3
    can_delete = False
    show_change_link = True  # a gift's own page: split it across funds, or void it
    verbose_name = "gift on the slip"
    verbose_name_plural = "gifts on the slip (new lines are added; void a mistaken gift)"

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .select_related("donor", "campaign")
            .prefetch_related("allocations__fund")
        )  # fmt: skip

    # Entered gifts are shown read-only under the same column names as the new lines' form
    # fields: these say what those columns hold for a gift already recorded.
    @admin.display(description="Amount")
    def amount_text(self, gift):
        return gift.amount_display

    @admin.display(description="Fund")
    def fund(self, gift):
        return ", ".join(a.fund.code for a in gift.allocations.all()) or "—"

    def has_change_permission(self, request, obj=None):
        return False  # entered gifts are shown, not edited here

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.status == GiftBatch.Status.OPEN

    def get_fields(self, request, obj=None):
        if self.has_add_permission(request, obj):
            return self.fields
        return ["donor", "amount_text", "fund", "received_on", "method", "external_reference",
                "status"]  # fmt: skip


@admin.register(GiftBatch)
class GiftBatchAdmin(admin.ModelAdmin):
    form = BatchForm
    inlines = [BatchGiftInline]
    list_display = ["reference", "deposited_on", "method", "status", "expected", "entered"]
    list_filter = ["status", "method", "currency"]
    search_fields = ["=reference"]
    date_hierarchy = "deposited_on"
    readonly_fields = ["status", "entered", "close_link", "created_by", "closed_by", "closed_at"]
    change_form_template = "admin/donors/giftbatch/change_form.html"

    def get_queryset(self, request):
        live = ~Q(gifts__status=Gift.Status.VOID)
        return (
            super()
            .get_queryset(request)
            .annotate(
                entered_count=Count("gifts", filter=live),
                entered_total=Sum("gifts__amount", filter=live),
            )
        )

    def get_fields(self, request, obj=None):
        fields = [
            "reference",
            "deposited_on",
            "method",
            "currency",
            "expected_count",
            "expected_total_text",
            "note",
        ]
        return fields if obj is None else fields + ["status", "entered", "close_link"]

    def has_change_permission(self, request, obj=None):
        # A closed batch is read, never changed: its gifts are posted and its slip is final.
        if obj is not None and obj.status != GiftBatch.Status.OPEN:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="Total on the deposit slip")
    def expected_total_text(self, batch):
        return format_money(batch.expected_total, batch.currency)

    @admin.display(description="Slip")
    def expected(self, batch):
        return f"{batch.expected_count} · {format_money(batch.expected_total, batch.currency)}"

    @admin.display(description="Entered")
    def entered(self, batch):
        count = getattr(batch, "entered_count", 0) or 0
        total = getattr(batch, "entered_total", 0) or 0
        mark = "✓" if (count, total) == (batch.expected_count, batch.expected_total) else "≠"
        return f"{mark} {count} · {format_money(total, batch.currency)}"

    @admin.display(description="Closing")
    def close_link(self, batch):
        if batch.status != GiftBatch.Status.OPEN:
            return f"Closed by {batch.closed_by} on {batch.closed_at:%Y-%m-%d %H:%M}"
        return "Use “Close batch” above once the entered gifts match the slip."

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if "expected_total_text" in form.cleaned_data or not change:
            obj.full_clean()
        obj.save()

    def save_related(self, request, form, formsets, change):
        batch = form.instance
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for line in formset.forms:
                if not line.has_changed() or line.instance.pk or not line.cleaned_data:
                    continue
                gift = line.instance
                gift.batch, gift.currency = batch, batch.currency
                gift_record(
                    gift=gift, split=[(line.cleaned_data["fund"], gift.amount)], by=request.user
                )

    def get_urls(self):
        close = self.admin_site.admin_view(self.close_view)
        return [path("<int:pk>/close/", close, name="donors_giftbatch_close"), *super().get_urls()]

    def close_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        batch = get_object_or_404(GiftBatch, pk=pk)
        if not request.user.has_perm("donors.close_giftbatch"):
            self.message_user(request, "You may not close batches.", messages.ERROR)
        else:
            try:
                batch_close(batch=batch, by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, f"{batch} is closed; its gifts are posted.")
        return redirect(reverse("admin:donors_giftbatch_change", args=[pk]))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GiftImport)
class GiftImportAdmin(admin.ModelAdmin):
    list_display = ["id", "original_name", "status", "rows_total", "uploaded_by", "created_at"]
    list_filter = ["status", "uploaded_by"]
    search_fields = ["original_name", "=sha256"]
    search_help_text = "File name (part of it) or its SHA-256."
    date_hierarchy = "created_at"
    list_select_related = ["uploaded_by"]
    readonly_fields = [f.name for f in GiftImport._meta.fields]

    def has_add_permission(self, request):
        return False  # uploads go through the import page, which checks before importing

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return reverse("gift_import_detail", args=[obj.pk])

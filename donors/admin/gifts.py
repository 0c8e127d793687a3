from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from backoffice.forms import MinorUnitsFormMixin, MoneyAmountField
from backoffice.money import format_money
from backoffice.text import counted
from donors.admin.filters import CurrencyFilter, ReceivedFilter
from donors.admin.pagination import CappedCountPaginator
from donors.models import Campaign, Donor, Fund, Gift, GiftAllocation, RecurringPlan, split_errors
from donors.services import gift_record, gift_update, gift_void


def _is_open(gift: Gift | None) -> bool:
    return gift is None or gift.pk is None or gift.status == Gift.Status.PENDING


class GiftForm(MinorUnitsFormMixin, forms.ModelForm):
    """Amounts are typed in major units ('25.00') and stored in minor units."""

    amount_text = MoneyAmountField(label="Amount")
    fmv_text = MoneyAmountField(
        label="Fair market value of what the donor received", required=False
    )
    money_fields = {"amount_text": "amount", "fmv_text": "fair_market_value"}

    class Meta:
        model = Gift
        fields = [
            "donor", "currency", "received_on", "method", "campaign", "advantage_description",
            "property_description", "appraiser", "tribute_type", "tribute_name",
            "soft_credit_donor", "external_reference", "referral_code", "notes",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        donor = data.get("donor")
        if donor is not None and donor.is_merged:
            self.add_error("donor", f"{donor} was merged into donor #{donor.merged_into_id}.")
        return data


class AllocationForm(MinorUnitsFormMixin, forms.ModelForm):
    amount_text = MoneyAmountField(label="Amount")
    money_fields = {"amount_text": "amount"}

    class Meta:
        model = GiftAllocation
        fields = ["fund"]

    def stored_currency(self):
        return self.instance.gift.currency if self.instance.gift_id else None

    def amount_currency(self):
        return self.instance.gift.currency

    def _post_clean(self):
        pass  # the split is checked as a whole by the formset and saved by the service


class AllocationFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.gift = self.instance  # its currency says how to read the amounts
        return form

    def clean(self):
        super().clean()
        self.split = None  # None: leave the split as it is
        if not _is_open(self.instance) or any(form.errors for form in self.forms):
            return  # a posted gift's split is shown read-only and never changes
        self.split = []
        for form in self.forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE"):
                self.split.append((form.cleaned_data["fund"], form.instance.amount))
        gift = self.instance
        if not gift.amount or not gift.currency:
            return
        errors = split_errors(gift.amount, gift.currency, [(f.code, a) for f, a in self.split])
        if errors:
            raise ValidationError([e[0].upper() + e[1:] + "." for e in errors])


class AllocationInline(admin.TabularInline):
    model = GiftAllocation
    form = AllocationForm
    formset = AllocationFormSet
    fields = ["fund", "amount_text"]
    extra = 1
    min_num = 1
    autocomplete_fields = ["fund"]

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def has_add_permission(self, request, obj=None):
        return _is_open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_open(obj) and super().has_delete_permission(request, obj)

    def get_fields(self, request, obj=None):
        return self.fields if _is_open(obj) else ["fund", "amount_display"]

    def get_readonly_fields(self, request, obj=None):
        return [] if _is_open(obj) else ["fund", "amount_display"]

    @admin.display(description="Amount")
    def amount_display(self, allocation):
        return format_money(allocation.amount, allocation.gift.currency)


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why are these gifts void?")


# What other apps say about a gift on its admin page ("Where the money is": the payout or
# deposit it arrived in, its receipt). Each entry: a function (gift) -> text, shown a line
# each; registered in their ready().
GIFT_NOTES: list = []


@admin.register(Gift)
class GiftAdmin(SimpleHistoryAdmin):
    form = GiftForm
    inlines = [AllocationInline]
    list_display = [
        "id",
        "received_on",
        "donor",
        "amount_display",
        "method",
        "status",
        "campaign",
        "external_reference",
    ]
    list_display_links = ["id", "received_on"]
    list_filter = [ReceivedFilter, "status", "method", CurrencyFilter, "campaign",
                   "allocations__fund", "batch__status"]  # fmt: skip
    list_select_related = ["donor", "campaign"]
    search_fields = ["external_reference"]  # see get_search_results
    search_help_text = "Gift number, reference, donor e-mail or donor last name (exact)."
    ordering = ["-received_on", "-id"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    autocomplete_fields = ["donor", "soft_credit_donor", "campaign"]
    actions = ["void_gifts"]
    list_per_page = 50

    OPEN_FIELDS = (
        "donor",
        "amount_text",
        "currency",
        "received_on",
        "method",
        "campaign",
        "fmv_text",
        "advantage_description",
        "property_description",
        "appraiser",
    )
    POSTED_FIELDS = (
        "donor",
        "amount_display",
        "currency",
        "received_on",
        "method",
        "campaign",
        "fmv_display",
        "advantage_description",
        "property_description",
        "appraiser",
    )
    DETAIL_FIELDS = (
        "tribute_type",
        "tribute_name",
        "soft_credit_donor",
        "external_reference",
        "referral_code",
        "notes",
    )
    RECORD_FIELDS = (
        "status",
        "refunded_display",
        "posted_at",
        "voided_at",
        "void_reason",
        "batch",
        "imported_by",
        "recurring_plan",
        "created_by",
        "created_at",
        "money_trail",
    )

    @admin.display(description="Where the money is")
    def money_trail(self, gift):
        said = [note(gift) for note in GIFT_NOTES] if gift and gift.pk else []
        return format_html_join(mark_safe("<br>"), "{}", ((s,) for s in said if s)) or "-"

    def get_fieldsets(self, request, obj=None):
        money = self.OPEN_FIELDS if _is_open(obj) else self.POSTED_FIELDS
        return (
            (None, {"fields": money}),
            ("Tribute, soft credit and reference", {"fields": self.DETAIL_FIELDS}),
            ("Record", {"fields": self.RECORD_FIELDS}),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.RECORD_FIELDS)
        if not _is_open(obj):
            readonly += [
                "donor",
                "amount_display",
                "currency",
                "received_on",
                "method",
                "fmv_display",
                "advantage_description",
                "property_description",
                "appraiser",
            ]
        return readonly

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, gift):
        return gift.amount_display

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns only: a 'contains' search would read every gift.
        (Partial names are searched in the donor list, which links to a donor's gifts.)"""
        term = search_term.strip()
        if not term:
            return queryset, False
        donors = Q(email=term.lower()) if "@" in term else (
            Q(last_name=term) | Q(last_name=term.title()) | Q(organisation_name=term)
        )  # fmt: skip
        # The donors first (a few ids), so that every branch of the OR below is an index
        # look-up rather than a scan of the gifts.
        donor_ids = list(Donor.objects.filter(donors).values_list("id", flat=True)[:500])
        match = Q(external_reference=term) | Q(donor_id__in=donor_ids)
        if term.isdigit():
            match |= Q(pk=int(term))
        return queryset.filter(match), False

    @admin.display(description="Refunded")
    def refunded_display(self, gift):
        return format_money(gift.refunded_amount, gift.currency) if gift.refunded_amount else "—"

    @admin.display(description="Fair market value of what the donor received")
    def fmv_display(self, gift):
        return format_money(gift.fair_market_value, gift.currency)

    def save_model(self, request, obj, form, change):
        pass  # saved with its split by the service, in save_related

    def save_related(self, request, form, formsets, change):
        split = next(
            (getattr(fs, "split", None) for fs in formsets if isinstance(fs, AllocationFormSet)),
            None,
        )
        for formset in formsets:  # read by the admin's change message
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        gift = form.instance
        if change:
            gift_update(gift=gift, split=split, by=request.user)
        else:
            gift_record(gift=gift, split=split or [], by=request.user)

    @admin.action(description="Void the selected gifts", permissions=["change"])
    def void_gifts(self, request, queryset):
        form = VoidForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            gifts = list(queryset)
            for gift in gifts:
                gift_void(gift=gift, reason=form.cleaned_data["reason"], by=request.user)
            self.message_user(
                request, f"Voided {counted(len(gifts), 'gift', 'gifts')}.", messages.SUCCESS
            )
            return redirect(request.get_full_path())
        return TemplateResponse(
            request,
            "admin/donors/void.html",
            {
                **self.admin_site.each_context(request),
                "title": "Void gifts",
                "gifts": queryset.select_related("donor")[:100],
                "form": form,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
            },
        )

    def has_delete_permission(self, request, obj=None):
        return False  # void, never delete


@admin.register(Fund)
class FundAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "is_restricted", "gl_account", "is_active"]
    list_filter = ["is_restricted", "is_active"]
    search_fields = ["code", "name"]


class CampaignForm(MinorUnitsFormMixin, forms.ModelForm):
    goal_text = MoneyAmountField(
        label="Goal", required=False, help_text="In the goal's currency, e.g. 50000. Empty: none."
    )
    money_fields = {"goal_text": "goal_amount"}

    class Meta:
        model = Campaign
        fields = ["name", "code", "kind", "parent", "starts_on", "ends_on", "goal_text",
                  "goal_currency", "description", "is_active"]  # fmt: skip

    def stored_currency(self):
        return self.instance.goal_currency

    def amount_currency(self):
        return (self.cleaned_data.get("goal_currency") or "").upper()

    def clean(self):
        data = super().clean()
        if not data.get("goal_text"):
            self.instance.goal_amount = None  # no goal, rather than a goal of nothing
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["name", "code", "kind", "parent", "starts_on", "ends_on", "goal_display"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["parent"]

    @admin.display(description="Goal")
    def goal_display(self, campaign):
        if campaign.goal_amount is None:
            return "-"
        return format_money(campaign.goal_amount, campaign.goal_currency)


class RecurringPlanForm(MinorUnitsFormMixin, forms.ModelForm):
    amount_text = MoneyAmountField(label="Amount each time")
    money_fields = {"amount_text": "amount"}

    class Meta:
        model = RecurringPlan
        fields = [
            "donor", "currency", "interval", "status", "method", "fund", "campaign",
            "started_on", "next_due_on", "ended_on", "external_reference",
        ]  # fmt: skip


@admin.register(RecurringPlan)
class RecurringPlanAdmin(SimpleHistoryAdmin):
    form = RecurringPlanForm
    list_display = ["donor", "plan_display", "status", "fund", "started_on", "next_due_on"]
    list_filter = ["status", "interval", "currency", "fund"]
    list_select_related = ["donor", "fund"]
    search_fields = ["donor__last_name", "=donor__email", "=external_reference"]
    autocomplete_fields = ["donor", "fund", "campaign"]
    show_full_result_count = False

    @admin.display(description="Amount")
    def plan_display(self, plan):
        return str(plan)

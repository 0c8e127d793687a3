from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from backoffice.admin import ReadOnlyAdmin
from donors.models import Donor, DonorMerge, PossibleDuplicate
from donors.services import donor_merge, duplicate_dismiss


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Donor.objects.none(), widget=forms.RadioSelect, label="Keep this record"
    )

    def __init__(self, *args, donors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = donors


def merge_view(modeladmin, request, donors, back_url):
    """Shared by the donor list and the possible-duplicates list: choose the survivor."""
    if not request.user.has_perm("donors.merge_donor"):
        raise PermissionDenied
    if donors.count() != 2:
        modeladmin.message_user(request, "Select exactly two donors to merge.", messages.ERROR)
        return redirect(back_url)
    donors = donors.annotate(gift_count=Count("gifts"))
    form = MergeForm(request.POST if "keep" in request.POST else None, donors=donors)
    if form.is_valid():
        keep = form.cleaned_data["keep"]
        merge = next(d for d in donors if d.pk != keep.pk)
        try:
            record = donor_merge(keep=keep, merge=merge, by=request.user)
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            modeladmin.message_user(
                request, f"Merged {merge} into {keep}: moved {record.moved}.", messages.SUCCESS
            )
            return redirect(reverse("admin:donors_donor_change", args=[keep.pk]))
        return redirect(back_url)
    return TemplateResponse(
        request,
        "admin/donors/merge.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Merge two donors",
            "donors": donors,
            "form": form,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": modeladmin.model._meta,
        },
    )


@admin.register(Donor)
class DonorAdmin(SimpleHistoryAdmin):
    list_display = ["display_name", "email", "kind", "city", "postcode", "country", "created_at"]
    list_filter = ["kind", "country", "preferred_language", "email_consent", "consent_method"]
    search_fields = ["last_name", "first_name", "organisation_name", "=email", "=postcode"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = ["merged_into", "created_at", "updated_at", "gifts_link"]
    autocomplete_fields = ["user"]
    actions = ["merge_donors"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    "title",
                    "first_name",
                    "middle_name",
                    "last_name",
                    "organisation_name",
                    "email",
                    "phone",
                    "preferred_language",
                    "receipts_by_email",
                )
            },
        ),
        (
            "Postal address",
            {"fields": ("address_line1", "address_line2", "city", "region", "postcode", "country")},
        ),
        (
            "Communication consent",
            {"fields": ("email_consent", "consent_given_at", "consent_method", "consent_note")},
        ),
        (
            "Record",
            {
                "fields": (
                    "gifts_link",
                    "external_id",
                    "notes",
                    "user",
                    "merged_into",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    @admin.display(description="Gifts")
    def gifts_link(self, donor):
        url = reverse("admin:donors_gift_changelist") + f"?donor__id__exact={donor.pk}"
        return format_html('<a href="{}">All gifts of this donor</a>', url)

    @admin.action(description="Merge the two selected donors", permissions=["merge"])
    def merge_donors(self, request, queryset):
        return merge_view(self, request, queryset, request.get_full_path())

    def has_merge_permission(self, request):
        return request.user.has_perm("donors.merge_donor")

    def has_delete_permission(self, request, obj=None):
        return False  # donors are merged or kept; their gifts must stay traceable


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = [
        "donor",
        "donor_email",
        "other",
        "other_email",
        "reason",
        "status",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["donor", "other"]
    actions = ["merge", "dismiss"]
    readonly_fields = [f.name for f in PossibleDuplicate._meta.fields]

    @admin.display(description="e-mail")
    def donor_email(self, obj):
        return obj.donor.email

    @admin.display(description="other's e-mail")
    def other_email(self, obj):
        return obj.other.email

    @admin.action(description="Merge the pair (choose which record to keep)", permissions=["merge"])
    def merge(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select one pair at a time.", messages.ERROR)
            return None
        pair = queryset.get()
        donors = Donor.objects.filter(pk__in=[pair.donor_id, pair.other_id])
        return merge_view(self, request, donors, request.get_full_path())

    @admin.action(description="Not duplicates: dismiss", permissions=["change"])
    def dismiss(self, request, queryset):
        for pair in queryset:
            duplicate_dismiss(duplicate=pair, by=request.user)

    def has_merge_permission(self, request):
        return request.user.has_perm("donors.merge_donor")

    def has_add_permission(self, request):
        return False


@admin.register(DonorMerge)
class DonorMergeAdmin(ReadOnlyAdmin):
    list_display = ["merged", "kept", "merged_by", "merged_at"]
    list_select_related = ["merged", "kept", "merged_by"]
    readonly_fields = [f.name for f in DonorMerge._meta.fields]

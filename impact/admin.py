from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from backoffice.admin import ReadOnlyAdmin
from impact.models import Integration, Metric, Observation, Report, ReportVersion, Subject
from impact.services import integration_create, integration_revoke, integration_rotate


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "unit", "combine", "cost_label", "is_active"]
    list_filter = ["combine", "is_active"]
    search_fields = ["key", "name"]


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "kind", "campaign", "fund", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["campaign", "fund"]
    search_fields = ["key", "name"]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ["metric", "subject", "period_start", "period_end", "value", "source",
                    "external_id"]  # fmt: skip
    list_filter = ["metric", "subject", "source"]
    list_select_related = ["metric", "subject"]
    search_fields = ["external_id", "note"]
    date_hierarchy = "period_end"


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """A new integration's token is shown once, in the message after saving."""

    list_display = ["name", "key", "token_prefix", "last_used_at", "revoked_at"]
    readonly_fields = ["token_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke", "rotate"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "key"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        made, token = integration_create(name=obj.name, key=obj.key, by=request.user)
        obj.pk = made.pk
        self.message_user(request, f"The token for {made}, shown only now: {token}",
                          messages.WARNING)  # fmt: skip

    @admin.action(description="Revoke the token (it stops working at once)", permissions=["change"])
    def revoke(self, request, queryset):
        for integration in queryset:
            try:
                integration_revoke(integration=integration, by=request.user)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], messages.ERROR)

    @admin.action(
        description="Make a new token (the old one stops working)", permissions=["change"]
    )
    def rotate(self, request, queryset):
        for integration in queryset:
            token = integration_rotate(integration=integration, by=request.user)
            self.message_user(request, f"New token for {integration}, shown only now: {token}",
                              messages.WARNING)  # fmt: skip


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["title", "sponsor", "donor", "period_start", "period_end", "page"]
    list_select_related = ["sponsor", "donor"]
    raw_id_fields = ["donor"]
    filter_horizontal = ["metrics", "subjects"]

    @admin.display(description="Preview and publish")
    def page(self, obj):
        return format_html('<a href="{}">open</a>', reverse("impact_report", args=[obj.pk]))


@admin.register(ReportVersion)
class ReportVersionAdmin(ReadOnlyAdmin):
    """Published by the report's page; never changed."""

    list_display = ["title", "number", "funder_name", "published_at", "emailed_at"]

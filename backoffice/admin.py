"""Admin pieces shared by the apps."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are written only by services (Stripe's mirror, merge snapshots):
    staff read them here and change nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RecordedByServiceAdmin(admin.ModelAdmin):
    """An add page whose save calls a service (`record(request, data)`), which may refuse
    at the last moment what the form found fine: another person recorded the same payment,
    or took the fund's balance, a moment earlier. The person is told that, on the add page
    again, and never "added successfully" for a record that was not made."""

    def record(self, request, data: dict):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            saved = self.record(request, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            obj._refused = True
            return
        obj.pk = saved.pk

    def log_addition(self, request, obj, message):
        if not getattr(obj, "_refused", False):
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

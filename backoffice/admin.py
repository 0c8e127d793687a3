"""Admin pieces shared by the apps."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from backoffice.money import money_label


def _currency_of(obj, path: str) -> str:
    for name in path.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return ""
    return obj


class MoneyAdminMixin:
    """Shows amounts stored in minor units as money, on lists and change pages.

    `money_fields` maps each amount field to where its currency is ("currency", or a path
    such as "agreement.currency"). Those fields are always shown, never typed: a form that
    takes an amount does it with a MoneyAmountField (backoffice.forms), in major units."""

    money_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # (an inline's first argument is its parent model)
        for name, currency in self.money_fields.items():
            setattr(self, f"{name}_money", self._money_display(self.model, name, currency))

    @staticmethod
    def _money_display(model, name: str, currency: str):
        def show(obj):
            value = getattr(obj, name)
            return "—" if value is None else money_label(value, _currency_of(obj, currency))

        label = str(model._meta.get_field(name).verbose_name)
        show.short_description = label[:1].upper() + label[1:]
        show.admin_order_field = name
        show.__name__ = f"{name}_money"
        return show

    def _as_money(self, names):
        return [f"{n}_money" if n in self.money_fields else n for n in names]

    def get_list_display(self, request):
        return self._as_money(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        shown = self._as_money(super().get_readonly_fields(request, obj))
        return shown + [f"{n}_money" for n in self.money_fields if f"{n}_money" not in shown]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self.money_fields]

    def get_fields(self, request, obj=None):
        if self.fields:
            return self._as_money(self.fields)
        # The default: the form's fields, then the read-only ones (the amounts among them).
        form = self._get_form_for_get_fields(request, obj)
        return [*form.base_fields, *self.get_readonly_fields(request, obj)]

    def get_fieldsets(self, request, obj=None):
        if not self.fieldsets:
            return super().get_fieldsets(request, obj)
        return [
            (title, {**options, "fields": self._as_money(options["fields"])})
            for title, options in self.fieldsets
        ]


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

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]

    # Pages name who recorded, imported or closed something, linked to that person: every
    # staff member may look up colleagues (name, e-mail, role); only those who may view
    # users see every account, donors' and sponsors' included, and the password fields.
    def _sees_every_account(self, request) -> bool:
        return super().has_view_permission(request)

    def has_module_permission(self, request):
        return request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if request.user.is_staff and (obj is None or obj.is_staff):
            return True
        return super().has_view_permission(request, obj)

    def get_queryset(self, request):
        users = super().get_queryset(request)
        return users if self._sees_every_account(request) else users.filter(is_staff=True)

    def get_fieldsets(self, request, obj=None):
        if obj is None or self._sees_every_account(request):
            return super().get_fieldsets(request, obj)
        return ((None, {"fields": ("email", "first_name", "last_name", "groups", "last_login")}),)

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.roles import ensure_staff_groups

        # After every migrate: the groups and their permissions exist and match roles.py.
        post_migrate.connect(ensure_staff_groups, dispatch_uid="accounts.ensure_staff_groups")

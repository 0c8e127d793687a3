from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import email_added, email_changed

        from accounts.addresses import record_self_added
        from accounts.roles import ensure_staff_groups

        # After every migrate: the groups and their permissions exist and match roles.py.
        post_migrate.connect(ensure_staff_groups, dispatch_uid="accounts.ensure_staff_groups")
        email_added.connect(record_self_added, dispatch_uid="accounts.self_added")
        email_changed.connect(record_self_added, dispatch_uid="accounts.self_changed")

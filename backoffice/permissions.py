"""Who may do what, checked by the services themselves as well as by the pages and admin
actions that call them: a page that forgets its check still cannot act."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


def require_permission(by, permission: str, *, to: str) -> None:
    """Refuse `by` (a user) without `permission`; `to` says what they tried, for the
    message. `by=None` is the system itself (a webhook, a task, a command run by the
    operator), acting on its own authority."""
    if by is not None and not by.has_perm(permission):
        raise PermissionDenied(f"{by} may not {to} (needs the {permission} permission).")

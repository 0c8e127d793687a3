"""Writes for impact: integration tokens, and reports (drafting, publishing, delivering)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone

from impact.models import Integration

TOKEN_PREFIX = "imp_"


def integration_create(*, name: str, key: str, by=None) -> tuple[Integration, str]:
    """A new integration and its token. The token is returned once and only its digest is
    kept: whoever loses it makes a new integration (or a new token) and revokes the old."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    integration = Integration(name=name, key=key, token_sha256=Integration.digest(token),
                              token_prefix=token[:12], created_by=by)  # fmt: skip
    integration.full_clean()
    integration.save()
    return integration, token


def integration_rotate(*, integration: Integration) -> str:
    """A new token for the integration; the old one stops working at once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    Integration.objects.filter(pk=integration.pk).update(
        token_sha256=Integration.digest(token), token_prefix=token[:12], revoked_at=None
    )
    integration.refresh_from_db()
    return token


def integration_revoke(*, integration: Integration) -> Integration:
    if integration.revoked_at is not None:
        raise ValidationError(f"{integration} was revoked already.")
    Integration.objects.filter(pk=integration.pk, revoked_at=None).update(revoked_at=timezone.now())
    integration.refresh_from_db()
    return integration

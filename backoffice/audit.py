"""Who changed a money record. django-simple-history keeps every version of the audited
models (who, when, before, after); in a request its middleware names the user, and in
services, tasks and commands the caller names them with `changed_by`."""

from django.db import models


def changed_by(instance: models.Model, user) -> models.Model:
    """Name the person behind the next save of `instance` in its history."""
    instance._history_user = user
    return instance

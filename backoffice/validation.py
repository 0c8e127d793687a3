"""Model-layer validation on save, without the database round trips that the database's
own constraints already cover."""

from django.db import models


def clean_before_save(instance: models.Model) -> None:
    """Run field validators and `clean()` (clear messages naming the field) but skip the
    checks that cost a query each: foreign keys exist, unique and check constraints. The
    database enforces those; forms still run them to show friendly messages."""
    relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)

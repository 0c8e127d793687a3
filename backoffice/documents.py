"""Drawn documents (receipts, letters) kept once: the file and its SHA-256 are stored by a
conditional update, so two workers drawing the same document at once keep one of them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import models, transaction


def store_pdf_once(instance: models.Model, *, content: bytes, filename: str) -> bool:
    """Save `content` as `instance.pdf` with `pdf_sha256`, unless one is stored already (then
    `instance` is refreshed with it and this copy is dropped). True when this one was kept."""
    return store_pdfs_once([(instance, content, filename)])[0]


def store_pdfs_once(documents: Sequence[tuple[models.Model, bytes, str]]) -> list[bool]:
    """store_pdf_once for several (instance, content, filename), all of one model: the files
    are written first, then recorded in one transaction. A batch costs one write on the
    database rather than one each (on SQLite, whose one writer the issuing run shares)."""
    if not documents:
        return []
    names = []
    for instance, content, filename in documents:
        field = instance.pdf
        names.append(field.storage.save(field.field.generate_filename(instance, filename),
                                        ContentFile(content)))  # fmt: skip
    digests = [hashlib.sha256(content).hexdigest() for _, content, _ in documents]
    with transaction.atomic():
        kept = [
            bool(type(instance).objects.filter(pk=instance.pk, pdf_sha256="")
                 .update(pdf=name, pdf_sha256=digest))
            for (instance, _, _), name, digest in zip(documents, names, digests, strict=True)
        ]  # fmt: skip
    for (instance, _, _), name, digest, stored in zip(documents, names, digests, kept, strict=True):
        if stored:
            instance.pdf.name, instance.pdf_sha256 = name, digest
        else:  # another worker stored it first: theirs stands
            instance.pdf.storage.delete(name)
            instance.refresh_from_db(fields=["pdf", "pdf_sha256"])
    return kept


def frozen_fields_changed(instance: models.Model) -> list[str]:
    """The fields a save of this issued document would change, apart from its
    MUTABLE_FIELDS (its file, when it was sent): what the model refuses to save."""
    if instance.pk is None:
        return []
    before = type(instance).objects.filter(pk=instance.pk).values().first() or {}
    return [f.attname for f in instance._meta.concrete_fields
            if f.name not in instance.MUTABLE_FIELDS and f.attname in before
            and before[f.attname] != getattr(instance, f.attname)]  # fmt: skip

"""An import never hangs: a file csv cannot read is refused with its line, a NUL is refused
by the dry run, a failed task marks its import failed with the reason, and an import whose
worker died shows as stalled and starts again, writing nothing twice."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from donors.importing import ImportSuperseded, gifts_import
from donors.models import Gift, GiftImport
from tests.donors.test_import import _csv, _row

pytestmark = pytest.mark.django_db


@pytest.fixture
def funds(db):
    from tests.factories import FundFactory

    return FundFactory(code="GEN")


def _upload(client, data: bytes, capture, name="gifts.csv"):
    upload = io.BytesIO(data)
    upload.name = name
    with capture(execute=True):
        response = client.post(reverse("gift_import_new"), {"file": upload})
    return GiftImport.objects.get(), response


def _text(client, run) -> str:
    import html

    page = client.get(reverse("gift_import_detail", args=[run.pk])).content.decode()
    return html.unescape(" ".join(page.split()))


def test_an_unbalanced_quote_is_refused_with_its_line_not_left_checking(
    funds, finance_client, django_capture_on_commit_callbacks
):
    rows = _csv([_row(1), _row(2)]).decode()
    data = (rows + '2026-03-01,"25.00' + "x" * 200_000 + "\n").encode()  # never closed
    run, _ = _upload(finance_client, data, django_capture_on_commit_callbacks)
    assert run.status == GiftImport.Status.INVALID
    page = _text(finance_client, run)
    assert "Line 4: the file cannot be read as CSV" in page and "field larger than" in page


def test_a_header_line_of_megabytes_is_refused_too(funds, finance_user):
    with pytest.raises(ValidationError, match="Line 1: the file cannot be read as CSV"):
        gifts_import(data=b'"' + b"a" * 300_000 + b"\n", by=finance_user, commit=False)


def test_a_nul_character_is_refused_by_the_dry_run_with_its_line_and_column(funds, finance_user):
    data = _csv([_row(1), _row(2, reference="REF\x00-2")])
    with pytest.raises(ValidationError, match="Line 3, column reference: a NUL character"):
        gifts_import(data=data, by=finance_user, commit=False)


def test_a_check_that_fails_marks_its_import_failed_with_the_reason(
    funds, finance_client, django_capture_on_commit_callbacks
):
    from donors.importing import gift_import_check

    run, _ = _upload(finance_client, _csv([_row(1)]), django_capture_on_commit_callbacks)
    GiftImport.objects.filter(pk=run.pk).update(status=GiftImport.Status.CHECKING)
    run.refresh_from_db()
    run.file.storage.delete(run.file.name)  # the stored file is gone
    with pytest.raises(FileNotFoundError):
        gift_import_check(run=run)
    run.refresh_from_db()
    assert run.status == GiftImport.Status.FAILED
    assert run.failure.startswith("The check failed:")
    assert "Start it again" in _text(finance_client, run)


def test_an_import_whose_worker_died_shows_stalled_and_starts_again_writing_once(
    funds, finance_client, finance_user, django_capture_on_commit_callbacks
):
    data = _csv([_row(n, reference="") for n in range(1, 6)])  # no reference to trip on
    run, _ = _upload(finance_client, data, django_capture_on_commit_callbacks)
    assert run.status == GiftImport.Status.CHECKED
    # The worker took it (attempt 1), got half-way and was killed: its transaction is gone.
    GiftImport.objects.filter(pk=run.pk).update(
        status=GiftImport.Status.RUNNING, attempt=1, rows_done=3,
        updated_at=timezone.now() - dt.timedelta(minutes=11),
    )  # fmt: skip
    dead_worker = GiftImport.objects.get(pk=run.pk)
    page = _text(finance_client, run)
    assert "Stalled: importing stopped at 3 / 5 rows" in page and "Start it again" in page
    assert 'http-equiv="refresh"' not in page  # nothing to wait for
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(reverse("gift_import_restart", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.attempt, Gift.objects.count()) == ("done", 3, 5)
    # Had the first worker been alive after all, its late write is refused and rolled back.
    with pytest.raises(ImportSuperseded):
        gifts_import(data=data, by=finance_user, commit=True, run=dead_worker)
    assert Gift.objects.count() == 5


def test_an_import_under_way_cannot_be_started_again(
    funds, finance_client, django_capture_on_commit_callbacks
):
    run, _ = _upload(finance_client, _csv([_row(1)]), django_capture_on_commit_callbacks)
    GiftImport.objects.filter(pk=run.pk).update(status=GiftImport.Status.RUNNING)
    finance_client.post(reverse("gift_import_restart", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == GiftImport.Status.RUNNING and run.attempt == 0

"""No receipt goes out while the organisation lacks a detail its jurisdiction's receipts
must show (CRA: name and address as registered, registration number, place of issue,
signatory; US: legal name and EIN); the organisation's page and the waiting list say so."""

import datetime as dt
import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from receipts.models import Organisation, Receipt, StatementRun
from receipts.services import receipt_issue
from receipts.statements import statement_run_create, statement_run_execute
from tests.factories import posted_gift

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(" ".join(response.content.decode().split()))


@pytest.mark.parametrize(
    ("jurisdiction", "currency", "blank", "named"),
    [
        ("CA", "CAD", "registration_number", "its charity registration number"),
        ("CA", "CAD", "address", "its address as registered"),
        ("CA", "CAD", "place_of_issue", "the place of issue"),
        ("CA", "CAD", "signatory_name", "who signs the receipts"),
        ("CA", "CAD", "legal_name", "its name as registered"),
        ("US", "USD", "ein", "its EIN"),
        ("US", "USD", "legal_name", "its legal name"),
    ],
)
def test_a_missing_detail_refuses_every_receipt_and_is_named(jurisdiction, currency, blank, named):
    Organisation.objects.filter(pk=1).update(jurisdiction=jurisdiction, **{blank: ""})
    gift = posted_gift(amount=50_000, currency=currency, on=timezone.localdate())
    assert not Receipt.objects.exists()  # the automatic receipt was refused too
    with pytest.raises(ValidationError, match=named):
        receipt_issue(gifts=[gift], kind="gift", jurisdiction=jurisdiction, by=None)


def test_the_waiting_list_and_the_organisations_page_say_what_is_missing(admin_client_mfa):
    Organisation.objects.filter(pk=1).update(
        jurisdiction="CA", registration_number="", auto_receipt_threshold=2_000
    )
    gift = posted_gift(amount=50_000, currency="CAD", on=timezone.localdate())
    page = _text(admin_client_mfa.get(reverse("waiting_for_receipt")))
    said = "the organisation's details lack its charity registration number"
    assert f"No receipt can be issued: {said}: receipts are not issued." in page
    assert f"#{gift.pk}</a>" in page
    assert "Issue receipt</button>" not in page
    url = reverse("admin:receipts_organisation_change", args=[1])
    assert said in _text(admin_client_mfa.get(url))
    Organisation.objects.filter(pk=1).update(registration_number="888888888RR0001")
    assert "No receipt can be issued" not in _text(admin_client_mfa.get(url))


def test_a_year_end_run_issues_nothing_and_says_why(finance_user):
    Organisation.objects.filter(pk=1).update(jurisdiction="US", ein="")
    last_year = timezone.localdate().year - 1
    posted_gift(amount=5_000, currency="USD", on=dt.date(last_year, 5, 1))
    run = statement_run_create(year=last_year, jurisdiction="US", by=finance_user)
    run = statement_run_execute(run=run)
    run.refresh_from_db()
    assert run.status == StatementRun.Status.FAILED
    assert run.error == ("The organisation's details lack its EIN: receipts are not issued.")
    assert not Receipt.objects.exists()

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from donors.importing import gifts_import
from donors.models import Donor, Gift, GiftImport, GiftMonthlyTotal, PossibleDuplicate
from tests.factories import CampaignFactory, DonorFactory, FundFactory

pytestmark = pytest.mark.django_db

HEADER = ["date", "amount", "currency", "fund", "email", "first_name", "last_name",
          "postcode", "country", "method", "campaign", "reference"]  # fmt: skip


def _csv(rows: list[dict], header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _row(n: int, **overrides) -> dict:
    row = {"date": "2026-03-01", "amount": "25.00", "currency": "USD", "fund": "GEN",
           "email": f"fan{n}@example.net", "first_name": "Fan", "last_name": f"Number{n}",
           "postcode": "37201", "country": "US", "method": "card", "campaign": "",
           "reference": f"REF-{n}"}  # fmt: skip
    row.update(overrides)
    return row


@pytest.fixture
def funds(db):
    return FundFactory(code="GEN"), FundFactory(code="AWARD", name="Award prize pool")


def test_three_bad_rows_among_ten_thousand_import_nothing_and_are_all_named(funds, finance_user):
    rows = [_row(n) for n in range(10_000)]
    rows[17]["date"] = "2026-02-30"
    rows[4_242]["fund"] = "NOPE"
    rows[9_998]["amount"] = "twelve"
    report = gifts_import(data=_csv(rows), by=finance_user, commit=True)
    assert not report.committed
    assert [(e.line, e.column) for e in report.errors] == [
        (19, "date"),
        (4244, "fund"),
        (10000, "amount"),
    ]
    messages = [e.message for e in report.errors]
    assert "bad date '2026-02-30'" in messages[0]
    assert "unknown fund 'NOPE'" in messages[1]
    assert "'twelve' is not a number" in messages[2]
    assert Gift.objects.count() == 0 and Donor.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [({"currency": "ABC"}, "currency", "unknown currency 'ABC'"),
     ({"amount": "0"}, "amount", "greater than zero"),
     ({"amount": "-5"}, "amount", "negative"),
     ({"amount": "10.001"}, "amount", "more decimals than USD"),
     ({"fund": "GEN=10.00;AWARD=10.00"}, "fund", "adds up to $20.00 but the gift is $25.00"),
     ({"fund": "GEN;AWARD=10.00"}, "fund", "give GEN its share"),
     ({"date": "01/03/2026"}, "date", "YYYY-MM-DD"),
     ({"date": "2999-01-01"}, "date", "in the future"),
     ({"method": "bitcoin"}, "method", "unknown method"),
     ({"campaign": "nope"}, "campaign", "unknown campaign"),
     ({"email": "not-an-email"}, "email", "not an e-mail address"),
     ({"email": "", "first_name": "", "last_name": ""}, "last_name", "needs a name"),
     ({"country": "XX"}, "country", "unknown country")],
)  # fmt: skip
def test_each_kind_of_bad_value_is_named(funds, finance_user, overrides, column, message):
    report = gifts_import(data=_csv([_row(1), _row(2, **overrides)]), by=finance_user, commit=True)
    assert not report.committed and Gift.objects.count() == 0
    assert [(e.line, e.column) for e in report.errors] == [(3, column)]
    assert message in report.errors[0].message


def test_header_problems_are_reported_before_any_row(funds, finance_user):
    data = b"date,amout,currency\n2026-01-01,10,USD\n"
    report = gifts_import(data=data, by=finance_user, commit=True)
    problems = {(e.line, e.column) for e in report.errors}
    assert {(1, "amount"), (1, "fund"), (1, "amout")} <= problems


def test_a_good_file_imports_gifts_splits_donors_and_totals(funds, finance_user):
    campaign = CampaignFactory(code="hfma-fan-drive")
    rows = [
        _row(1, campaign="hfma-fan-drive"),
        _row(2, amount="100.00", fund="GEN=40.00;AWARD=60.00"),
        _row(3, currency="JPY", amount="3000"),
    ]
    report = gifts_import(data=_csv(rows), by=finance_user, commit=True)
    assert report.committed and report.gifts == 3 and report.new_donors == 3
    split = Gift.objects.get(external_reference="REF-2").allocations.order_by("fund__code")
    assert [(a.fund.code, a.amount) for a in split] == [("AWARD", 6000), ("GEN", 4000)]
    assert Gift.objects.get(external_reference="REF-1").campaign == campaign
    assert Gift.objects.get(external_reference="REF-3").amount == 3000
    assert set(Gift.objects.values_list("status", flat=True)) == {"posted"}
    monthly = {}
    for t in GiftMonthlyTotal.objects.all():
        monthly[t.currency, t.fund.code] = monthly.get((t.currency, t.fund.code), 0) + t.amount
    assert monthly == {("USD", "GEN"): 6500, ("USD", "AWARD"): 6000, ("JPY", "GEN"): 3000}
    # Re-importing the same file imports nothing twice.
    again = gifts_import(data=_csv(rows), by=finance_user, commit=True)
    assert not again.committed and again.error_count == 3
    assert "already imported" in again.errors[0].message
    assert Gift.objects.count() == 3


def test_donors_are_matched_by_email_then_name_and_postcode(funds, finance_user):
    by_email = DonorFactory(email="known@example.net", first_name="Someone", last_name="Else")
    by_key = DonorFactory(email=None, first_name="Léa", last_name="Moreau", postcode="75001")
    with_other_email = DonorFactory(email="kim@old.example", first_name="Kim", last_name="Lee",
                                    postcode="SW1A 1AA")  # fmt: skip
    rows = [
        _row(1, email="KNOWN@example.net", first_name="", last_name=""),
        _row(2, email="", first_name="Lea", last_name="MOREAU", postcode="75001"),
        _row(3, email="kim@new.example", first_name="Kim", last_name="Lee", postcode="sw1a1aa"),
        _row(4, email="new@example.net"),
        _row(5, email="new@example.net"),  # the same new donor twice in one file
    ]
    report = gifts_import(data=_csv(rows), by=finance_user, commit=True)
    assert report.committed
    assert (report.matched_by_email, report.matched_by_name_postcode, report.new_donors) == (
        2,
        1,
        2,
    )
    assert Gift.objects.get(external_reference="REF-1").donor == by_email
    assert Gift.objects.get(external_reference="REF-2").donor == by_key
    kim = Gift.objects.get(external_reference="REF-3").donor
    assert kim != with_other_email
    pair = PossibleDuplicate.objects.get()
    assert (pair.donor, pair.other) == (kim, with_other_email)
    assert Donor.objects.filter(email="new@example.net").count() == 1


def test_the_command_checks_then_imports(funds, finance_user, tmp_path, capsys):
    path = tmp_path / "gifts.csv"
    path.write_bytes(_csv([_row(1), _row(2)]))
    call_command("import_gifts", str(path), "--by", finance_user.email, "--dry-run", verbosity=0)
    assert Gift.objects.count() == 0
    call_command("import_gifts", str(path), "--by", finance_user.email, verbosity=0)
    assert Gift.objects.count() == 2
    assert GiftImport.objects.filter(status="done").count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([_row(3, currency="ZZZ")]))
    with pytest.raises(CommandError, match="1 row has problems .1 in all.: nothing was imported"):
        call_command("import_gifts", str(bad), "--by", finance_user.email, verbosity=0)
    assert "line 2, column currency: unknown currency 'ZZZ'" in capsys.readouterr().err


def test_the_staff_page_checks_then_imports_on_request(
    funds, finance_client, django_capture_on_commit_callbacks
):
    upload = io.BytesIO(_csv([_row(1), _row(2, amount="30.00")]))
    upload.name = "november.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(reverse("gift_import_new"), {"file": upload})
    run = GiftImport.objects.get()
    assert response.url == reverse("gift_import_detail", args=[run.pk])
    assert run.status == GiftImport.Status.CHECKED and Gift.objects.count() == 0
    page = finance_client.get(response.url).content.decode()
    assert "Import 2 gifts" in page and "$55.00" in page
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(reverse("gift_import_commit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == GiftImport.Status.DONE and Gift.objects.count() == 2
    assert finance_client.post(reverse("gift_import_commit", args=[run.pk])).status_code == 404
    assert Gift.objects.count() == 2


def test_the_staff_page_lists_bad_rows(funds, finance_client, django_capture_on_commit_callbacks):
    upload = io.BytesIO(_csv([_row(1, amount="abc")]))
    upload.name = "bad.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = finance_client.post(reverse("gift_import_new"), {"file": upload})
    page = finance_client.get(response.url).content.decode()
    assert "Nothing was imported" in page and "&#x27;abc&#x27; is not a number" in page
    assert GiftImport.objects.get().status == GiftImport.Status.INVALID


def test_a_file_that_is_not_utf8_is_refused_clearly(funds, finance_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="not UTF-8"):
        gifts_import(data="date\n\xe9t\xe9".encode("latin-1"), by=finance_user, commit=False)

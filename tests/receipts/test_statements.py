"""The year-end run: one statement per donor, restartable, reporting what it skipped."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from receipts.models import Receipt, StatementRun
from receipts.services import receipt_issue
from receipts.statements import statement_run_create, statement_run_execute
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db


def _gifts(donors=6, each=3, year=2025):
    people = [DonorFactory() for _ in range(donors)]
    for donor in people:
        for month in range(1, each + 1):
            posted_gift(donor=donor, amount=1_000 * month, currency="CAD",
                        on=dt.date(year, month, 10))  # fmt: skip
    return people


def test_one_statement_per_donor_for_the_gifts_not_yet_receipted():
    people = _gifts()
    already = people[0].gifts.order_by("received_on").first()
    receipt_issue(gifts=[already], kind="gift", jurisdiction="CA", by=None)
    posted_gift(donor=people[1], amount=9_999, currency="CAD", on=dt.date(2026, 1, 2))  # next year
    run = statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    statements = Receipt.objects.filter(kind="statement")
    assert (run.status, run.total, run.done, run.issued) == ("done", 6, 6, 6)
    assert statements.count() == 6 and {s.donor_id for s in statements} == {p.pk for p in people}
    first = statements.get(donor=people[0])
    assert (first.total_amount, first.lines.count()) == (5_000, 2)  # the receipted gift left out
    assert statements.get(donor=people[1]).total_amount == 6_000


def test_the_run_draws_each_chunk_together_and_mails_every_donor_their_own_pdf(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django_tasks.signals import task_enqueued
    from pypdf import PdfReader

    from receipts import statements

    monkeypatch.setattr(statements, "CHUNK", 3)
    people = _gifts(donors=7, each=1)
    queued = []

    def record(sender, task_result, **kwargs):
        queued.append(task_result.args)

    task_enqueued.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    finally:
        task_enqueued.disconnect(record)
    assert [len(ids) for ids, *_ in queued] == [3, 3, 1]  # one task per chunk
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    for message in mail.outbox:
        ((name, content, _),) = message.attachments
        receipt = Receipt.objects.get(donor_email=message.to[0])
        text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
        assert name == f"{receipt.receipt_number}.pdf" and receipt.receipt_number in text
        assert receipt.donor_name in text and len(PdfReader(io.BytesIO(content)).pages) == 1
        assert receipt.delivery_status == "sent" and receipt.pdf_sha256


def test_a_summary_statement_lists_the_gifts_already_receipted_without_counting_them():
    from pypdf import PdfReader

    from receipts.models import Organisation
    from receipts.rendering import receipt_pdf

    Organisation.objects.update_or_create(pk=1, defaults={"statement_lists": "all"})
    [maya] = _gifts(donors=1, each=3)  # 1,000 in January, 2,000 in February, 3,000 in March
    february = maya.gifts.get(received_on__month=2)
    own = receipt_issue(gifts=[february], kind="gift", jurisdiction="CA", by=None)
    statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    statement = Receipt.objects.get(kind="statement")
    assert (statement.total_amount, statement.lines.count()) == (4_000, 2)  # not counted again
    assert statement.already_receipted == [
        {"gift": february.pk, "received_on": "2025-02-10", "amount": 2_000,
         "receipt": own.receipt_number},
    ]  # fmt: skip
    pages = PdfReader(io.BytesIO(receipt_pdf(statement))).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Other gifts of 2025 that have their own receipt" in text
    assert f"2025-02-10 · $20.00 · receipt {own.receipt_number}" in text
    assert "Amount of gift: $40.00" in text


def test_a_dry_run_issues_nothing_and_reports_what_would_be_skipped():
    people = _gifts(donors=3, each=1)
    people[2].address_line1, people[2].city = "", ""
    people[2].save()
    people[1].receipts_by_email = False
    people[1].save()
    run = statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None,
                                                         dry_run=True))  # fmt: skip
    assert (run.issued, Receipt.objects.count()) == (2, 0)
    reasons = {s["donor"]: s["reason"] for s in run.skipped}
    assert set(reasons) == {people[1].pk, people[2].pk}
    assert "has no address" in reasons[people[2].pk]
    assert "opted out of e-mail" in reasons[people[1].pk]


def test_a_run_killed_half_way_and_started_again_issues_exactly_one_statement_each(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail

    from receipts import statements

    monkeypatch.setattr(statements, "CHUNK", 3)
    people = _gifts(donors=10, each=2)

    class Killed(BaseException):
        pass

    def die_after_four(done, total):
        if done == 4:
            raise Killed

    run = statement_run_create(year=2025, jurisdiction="CA", by=None)
    with pytest.raises(Killed), django_capture_on_commit_callbacks(execute=True):
        statement_run_execute(run=run, progress=die_after_four)
    assert Receipt.objects.count() == 4
    assert Receipt.objects.exclude(pdf_sha256="").count() == 3  # the 4th was never queued
    with django_capture_on_commit_callbacks(execute=True):
        again = statement_run_execute(
            run=statement_run_create(year=2025, jurisdiction="CA", by=None)
        )
    assert again.issued == 6
    assert not Receipt.objects.filter(pdf_sha256="").exists()  # the 4th drawn by the restart
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    per_donor = sorted(Receipt.objects.values_list("donor_id", flat=True))
    assert per_donor == sorted(p.pk for p in people)  # exactly one each
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 11))  # and no gap in the numbers


def test_a_stop_request_stops_the_run_and_a_restart_finishes_it(monkeypatch):
    from receipts import statements

    monkeypatch.setattr(statements, "CHUNK", 3)
    people = _gifts(donors=7, each=1)
    run = statement_run_create(year=2025, jurisdiction="CA", by=None)

    def stop_at_three(done, total):
        if done == 3:
            StatementRun.objects.filter(pk=run.pk).update(stop_requested=True)

    run = statement_run_execute(run=run, progress=stop_at_three)
    assert run.status == "stopped" and Receipt.objects.count() == 3
    StatementRun.objects.filter(pk=run.pk).update(stop_requested=False)
    statement_run_execute(run=StatementRun.objects.get(pk=run.pk))
    assert Receipt.objects.count() == len(people)


def test_the_command_prints_what_it_did(db):
    _gifts(donors=2, each=1)
    out = io.StringIO()
    call_command("issue_statements", "--year", "2025", "--jurisdiction", "CA", "--dry-run",
                 stdout=out, verbosity=0)  # fmt: skip
    assert "2 statements would be issued for 2 donors" in out.getvalue()
    assert not Receipt.objects.exists()


def test_finance_runs_statements_from_the_staff_page(
    finance_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    _gifts(donors=2, each=1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = finance_client.post(reverse("statement_runs"),
                                     {"year": "2025", "jurisdiction": "CA"})  # fmt: skip
    run = StatementRun.objects.get()
    assert answer["Location"] == reverse("statement_run", args=[run.pk])
    page = finance_client.get(answer["Location"]).content.decode()
    assert "2 / 2 donors" in page and "Done" in page
    assert Receipt.objects.filter(kind="statement").count() == 2


def test_a_future_year_is_refused_on_the_form(finance_client):
    from django.urls import reverse

    answer = finance_client.post(reverse("statement_runs"), {"year": "2099", "jurisdiction": "CA"})
    assert "has not begun" in answer.content.decode() and not StatementRun.objects.exists()


def test_fundraising_staff_cannot_start_a_run(fundraising_client):
    from django.urls import reverse

    answer = fundraising_client.post(
        reverse("statement_runs"), {"year": "2025", "jurisdiction": "CA"}
    )
    assert answer.status_code == 403


def test_a_gift_receipted_while_the_run_is_on_its_chunk_is_skipped_and_the_run_goes_on():
    """The run reads a chunk of donors and gifts at once; another writer may receipt one
    of those gifts before the run reaches its donor. The run skips that donor, saying why."""
    from django.db.models.signals import post_save

    people = _gifts(donors=3, each=1)
    gift = people[1].gifts.get()

    def meanwhile(sender, instance, created, **kwargs):
        if created and instance.donor_id == people[0].pk:
            post_save.disconnect(meanwhile, sender=Receipt)
            receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None, deliver=False)

    post_save.connect(meanwhile, sender=Receipt)
    try:
        run = statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    finally:
        post_save.disconnect(meanwhile, sender=Receipt)
    assert (run.status, run.issued) == ("done", 2)
    statements = Receipt.objects.filter(kind="statement")
    assert sorted(statements.values_list("donor", flat=True)) == [people[0].pk, people[2].pk]
    ((skipped),) = run.skipped
    assert skipped["donor"] == people[1].pk
    assert f"Gift #{gift.pk} is already on a receipt in force" in skipped["reason"]


def test_finance_prints_the_statements_that_go_by_post_from_the_run_page(
    finance_client, client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.urls import reverse
    from pypdf import PdfReader

    from receipts import views
    from tests.factories import UserFactory

    monkeypatch.setattr(views, "POSTED_PER_PDF", 2)
    emailed, opted_out = DonorFactory(email="e@example.net"), DonorFactory(receipts_by_email=False)
    unaddressed = [DonorFactory(email=""), DonorFactory(email="")]
    for donor in (emailed, opted_out, *unaddressed):
        posted_gift(donor=donor, amount=5_000, currency="CAD", on=dt.date(2025, 5, 5))
    with django_capture_on_commit_callbacks(execute=True):  # drawn (and e-mailed) as queued
        run = statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    page = finance_client.get(reverse("statement_run", args=[run.pk])).content.decode()
    assert "To post (3)" in page and "statements 1 to 2" in page and "statements 3 to 3" in page
    posted = Receipt.objects.filter(donor__in=[opted_out, *unaddressed]).order_by("number")
    printed = []
    for part in (1, 2):
        answer = finance_client.get(reverse("statement_run_to_post", args=[run.pk, part]))
        printed += [page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages]
    assert len(printed) == 3
    for text, receipt in zip(printed, posted, strict=True):  # one page each, in number order
        assert receipt.receipt_number in text and receipt.donor_name in text
    assert not any(Receipt.objects.get(donor=emailed).receipt_number in t for t in printed)
    assert finance_client.get(reverse("statement_run_to_post", args=[run.pk, 3])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("statement_run_to_post", args=[run.pk, 1])).status_code == 403

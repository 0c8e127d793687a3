"""The year-end run: one statement per donor, restartable, reporting what it skipped."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import F

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
    notes = {n.donor_id: (n.reason, n.detail) for n in run.notes.all()}
    assert notes == {
        people[1].pk: ("opted_out", ""),
        people[2].pk: ("refused", f"{people[2]} has no address: a Canadian receipt must show it"),
    }


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
    run = statement_run_execute(run=StatementRun.objects.get(pk=run.pk))
    assert Receipt.objects.count() == len(people)
    # The run went on where it was: its figures count both parts.
    assert (run.status, run.total, run.done, run.issued) == ("done", 7, 7, 7)
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.issued) == ("done", 7, 7, 7)


def test_a_restarted_run_keeps_its_notes_on_issued_statements_and_looks_again_at_the_skipped(
    monkeypatch,
):
    """The first part issued a statement to post (no e-mail) and skipped a donor without an
    address; the donor's address is then mended and the run started again."""
    from receipts import statements

    monkeypatch.setattr(statements, "CHUNK", 2)
    unaddressed, no_email, *others = _gifts(donors=5, each=1)
    unaddressed.address_line1 = unaddressed.city = ""
    unaddressed.save()
    no_email.email = ""
    no_email.save()
    run = statement_run_create(year=2025, jurisdiction="CA", by=None)

    def stop_at_two(done, total):
        if done == 2:
            StatementRun.objects.filter(pk=run.pk).update(stop_requested=True)

    run = statement_run_execute(run=run, progress=stop_at_two)
    assert (run.status, run.issued) == ("stopped", 1)
    assert sorted(run.notes.values_list("reason", flat=True)) == ["no_email", "refused"]
    unaddressed.address_line1, unaddressed.city = "1 Queen St", "Toronto"
    unaddressed.save()
    StatementRun.objects.filter(pk=run.pk).update(stop_requested=False)
    run = statement_run_execute(run=StatementRun.objects.get(pk=run.pk))
    assert (run.status, run.total, run.done, run.issued) == ("done", 5, 5, 5)
    assert list(run.notes.values_list("donor", "reason")) == [(no_email.pk, "no_email")]
    assert Receipt.objects.filter(donor=unaddressed).count() == 1


def test_an_older_execution_of_a_restarted_run_stops_and_writes_nothing_over_it(monkeypatch):
    """A run thought dead is started again while its first execution is in fact alive: the
    first one finds a later attempt at its next save and stops, leaving the run to it."""
    from receipts import statements

    monkeypatch.setattr(statements, "CHUNK", 2)
    people = _gifts(donors=6, each=1)
    run = statement_run_create(year=2025, jurisdiction="CA", by=None)

    def restarted_at_one(done, total):
        if done == 1:  # what statement_run_execute does first, in another worker
            StatementRun.objects.filter(pk=run.pk).update(attempt=F("attempt") + 1, done=0)

    first = statement_run_execute(run=run, progress=restarted_at_one)
    assert Receipt.objects.count() == 2  # its first chunk, then it stopped
    stored = StatementRun.objects.get(pk=run.pk)
    assert (stored.status, stored.done, stored.finished_at) == ("running", 0, None)
    assert first.attempt == 1 and stored.attempt == 2
    statement_run_execute(run=stored)
    assert sorted(Receipt.objects.values_list("donor", flat=True)) == sorted(p.pk for p in people)


def test_a_run_whose_worker_died_is_shown_stalled_and_finance_starts_it_again(
    finance_client, django_capture_on_commit_callbacks
):
    from django.urls import reverse
    from django.utils import timezone

    _gifts(donors=3, each=1)
    run = statement_run_create(year=2025, jurisdiction="CA", by=None)
    StatementRun.objects.filter(pk=run.pk).update(status="running")  # its worker then died
    page = finance_client.get(reverse("statement_run", args=[run.pk])).content.decode()
    assert "Stop after the current donor" in page and "has not moved" not in page
    control = reverse("statement_run_control", args=[run.pk])
    finance_client.post(control, {"do": "restart"})  # refused: it may still be working
    assert StatementRun.objects.get(pk=run.pk).status == "running"
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    StatementRun.objects.filter(pk=run.pk).update(updated_at=an_hour_ago)
    page = finance_client.get(reverse("statement_run", args=[run.pk])).content.decode()
    assert "has not moved since" in page and "Start again" in page
    listed = finance_client.get(reverse("statement_runs")).content.decode()
    assert "(stalled: its worker stopped)" in listed
    assert 'http-equiv="refresh"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        finance_client.post(control, {"do": "restart"})
    run.refresh_from_db()
    assert (run.status, run.issued) == ("done", 3)
    assert Receipt.objects.filter(kind="statement").count() == 3


def test_the_run_page_sums_up_its_notes_by_reason_and_gives_them_all_as_csv(
    finance_client, client, monkeypatch
):
    import csv

    from django.urls import reverse

    from receipts import views
    from tests.factories import UserFactory

    monkeypatch.setattr(views, "NOTES_PER_PAGE", 2)
    people = _gifts(donors=5, each=1)
    for donor in people[:3]:
        donor.email = ""
        donor.save()
    people[0].first_name = "=HYPERLINK(1)"  # a name typed into a web form
    people[0].save()
    people[3].receipts_by_email = False
    people[3].save()
    run = statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    url = reverse("statement_run", args=[run.pk])
    page = " ".join(finance_client.get(url).content.decode().split())
    assert "Skipped or to note (4)" in page
    assert 'No e-mail address: goes by post</a></td><td class="num">3<' in page
    assert 'Opted out of e-mail: goes by post</a></td><td class="num">1<' in page
    assert "Page 1 of 2 · donors 1–2 of 4" in page
    second = " ".join(finance_client.get(url + "?page=2").content.decode().split())
    assert "donors 3–4 of 4" in second
    page = " ".join(finance_client.get(url + "?reason=opted_out").content.decode().split())
    assert people[3].display_name in page and people[0].display_name not in page
    assert "Page 1 of" not in page
    found = finance_client.get(url, {"q": people[1].display_name}).content.decode()
    assert people[1].display_name in found and people[2].display_name not in found
    answer = finance_client.get(reverse("statement_run_notes_csv", args=[run.pk]))
    rows = list(csv.reader(b"".join(answer.streaming_content).decode().splitlines()))
    assert rows[0] == ["donor", "name", "reason", "reason_text", "detail"]
    assert f"'=HYPERLINK(1) {people[0].last_name}" in [r[1] for r in rows]  # text, not a formula
    assert sorted((int(r[0]), r[2]) for r in rows[1:]) == sorted(
        [(p.pk, "no_email") for p in people[:3]] + [(people[3].pk, "opted_out")]
    )
    client.force_login(UserFactory())
    assert client.get(reverse("statement_run_notes_csv", args=[run.pk])).status_code == 403


def test_the_command_prints_what_it_did(db):
    _gifts(donors=2, each=1)
    out = io.StringIO()
    call_command("issue_statements", "--year", "2025", "--jurisdiction", "CA", "--dry-run",
                 stdout=out, verbosity=0)  # fmt: skip
    assert "2 statements would be issued for 2 donors" in out.getvalue()
    assert not Receipt.objects.exists()


def test_the_command_sums_up_its_notes_and_lists_them(db, monkeypatch):
    from receipts.management.commands import issue_statements

    monkeypatch.setattr(issue_statements, "NOTES_SHOWN", 1)
    people = _gifts(donors=3, each=1)
    for donor in people:
        donor.email = ""
        donor.save()
    out = io.StringIO()
    call_command("issue_statements", "--year", "2025", "--jurisdiction", "CA",
                 stdout=out, verbosity=0)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[0] == "3 statements issued for 3 donors."
    assert lines[1] == "  0 e-mailed, 0 waiting to be e-mailed, 0 failed, 3 by post, 0 void since"
    assert lines[2] == "  3 × No e-mail address: goes by post"
    assert lines[3].startswith(f"  donor #{people[0].pk} {people[0].display_name}: No e-mail")
    assert lines[4] == "  … and 2 more: --verbosity 2 lists them all."


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
    ((skipped),) = run.notes.all()
    assert (skipped.donor_id, skipped.reason) == (people[1].pk, "changed")
    assert f"Gift #{gift.pk} is already on a receipt in force" in skipped.detail


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

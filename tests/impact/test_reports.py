"""Reports for funders: drafted, previewed and edited by staff, frozen when published (the
PDF never changes afterwards), visible only to the funder's own people, and drafted every
quarter without anything reaching a funder until someone publishes it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from donors.models import Donor
from impact.figures import report_figures
from impact.models import Observation, Report, ReportVersion
from impact.observations import ObservationIn, observations_record
from impact.services import report_create, report_publish, reports_draft_quarterly
from sponsorships.models import SponsorContact
from sponsorships.services import payment_record
from tests.conftest import login_with_second_factor
from tests.factories import SponsorFactory, UserFactory, agreement, posted_gift

pytestmark = pytest.mark.django_db
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


def _observe(programme, subject, metric, month, value, external_id=""):
    start = dt.date(2026, month, 1)
    end = (dt.date(2026, month + 1, 1) if month < 12 else dt.date(2027, 1, 1)) - dt.timedelta(1)
    item = ObservationIn(
        subject=programme[subject].key, metric=programme[metric].key, period_start=start,
        period_end=end, value=Decimal(value), external_id=external_id,
    )  # fmt: skip
    return observations_record(items=[item], source="api:test")


@pytest.fixture
def funded(programme, django_capture_on_commit_callbacks):
    """A sponsor of the teen movement who paid $30,000 in Q3, with a contact who signs in;
    the movement measured in July to September."""
    sponsor = SponsorFactory(name="Harbor Trust Bank")
    deal = agreement(sponsor=sponsor, amount=12_000_000, campaign=programme["mat"].campaign,
                     starts_on=dt.date(2026, 1, 15), title="Teen safety partner")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(sponsor=sponsor, amount=3_000_000, currency="USD",
                       received_on=dt.date(2026, 8, 3), method="wire", by=None)  # fmt: skip
    user = UserFactory(email="ops@harbor.example")
    SponsorContact.objects.create(sponsor=sponsor, name="Olive Ops", email=user.email,
                                  role=SponsorContact.Role.VIEWER, user=user)  # fmt: skip
    for month, teens in ((7, 40_000), (8, 50_000), (9, 60_000)):
        _observe(programme, "mat", "teens", month, teens, f"teens-{month}")
        _observe(programme, "mat", "followers", month, 3_000_000 + month * 1000)
    mail.outbox.clear()
    return {"sponsor": sponsor, "agreement": deal, "user": user}


def _report(funded) -> Report:
    report = report_create(sponsor=funded["sponsor"], period_start=Q3[0], period_end=Q3[1])
    report.sections.update(heading="Thank you", body="**150,000** teens. <script>x()</script>")
    return report


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _publish(report, capture):
    with capture(execute=True):
        version = report_publish(report=report)
    version.refresh_from_db()
    return version


def test_a_draft_starts_from_what_the_funder_paid_for(funded, programme):
    report = _report(funded)
    assert list(report.subjects.all()) == [programme["mat"]]
    assert set(report.metrics.all()) == {programme["teens"], programme["followers"]}
    data = report_figures(report)
    [teens] = [o for o in data["outcomes"] if o["key"] == "teens_reached"]
    [followers] = [o for o in data["outcomes"] if o["key"] == "model_followers"]
    assert teens["total"] == "150000" and followers["total"] == "3009000"  # sum; latest
    assert teens["trend"][-1] == {"label": "Q3 2026", "value": "150000"}
    assert data["giving"]["received"] == [{"currency": "USD", "amount": 3_000_000}]
    [whole, theirs] = data["ratios"]
    assert (whole["amount"], theirs["amount"]) == (20, 20)  # $30,000 / 150,000 teens
    assert "<script>" not in data["narrative"][0]["html"]
    assert "<strong>150,000</strong>" in data["narrative"][0]["html"]


def test_publishing_freezes_the_report_and_the_pdf_never_changes(
    funded, programme, django_capture_on_commit_callbacks
):
    report = _report(funded)
    version = _publish(report, django_capture_on_commit_callbacks)
    pdf = version.pdf.open("rb").read()
    text = _text(pdf)
    for said in ["Impact report for Harbor Trust Bank, Q3 2026", "$30,000.00",
                 "150,000 teens", "Cost per teen reached", "$0.20", "How each figure was found",
                 "Thank you"]:  # fmt: skip
        assert said in text, said
    assert "x()" not in text
    reader = PdfReader(io.BytesIO(pdf))
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged for screen readers
    assert reader.trailer["/Root"]["/Lang"] == "en"

    # The books and the measurements change afterwards...
    _observe(programme, "mat", "teens", 9, 99_000, "teens-9")
    Observation.objects.filter(external_id="teens-7").update(value=1)
    posted_gift(amount=500_000, on=dt.date(2026, 8, 10), campaign=programme["mat"].campaign)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(sponsor=funded["sponsor"], amount=1_000_000, currency="USD",
                       received_on=dt.date(2026, 9, 1), method="wire", by=None)  # fmt: skip
    # ...the published version does not, nor does drawing it again.
    from impact.services import report_deliver

    report_deliver(version=version)
    version.refresh_from_db()
    assert version.pdf.open("rb").read() == pdf
    stored = ReportVersion.objects.get(pk=version.pk)
    assert stored.data["giving"]["received"] == [{"currency": "USD", "amount": 3_000_000}]
    client_pdf = _portal_client(funded).get(reverse("sponsor_report_pdf", args=[version.pk]))
    assert b"".join(client_pdf.streaming_content) == pdf

    # A new version shows the new figures; the old one stays.
    second = _publish(report, django_capture_on_commit_callbacks)
    assert second.number == 2 and second.pdf.open("rb").read() != pdf
    assert "$40,000.00" in _text(second.pdf.open("rb").read())
    assert ReportVersion.objects.get(pk=version.pk).pdf.open("rb").read() == pdf


def test_the_database_refuses_to_change_or_delete_a_published_version(
    funded, django_capture_on_commit_callbacks
):
    version = _publish(_report(funded), django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        version.title = "Better title"
        version.save()
    with pytest.raises(ValidationError):
        version.delete()
    for change in ({"html": "<p>nicer</p>"}, {"data": {}}, {"pdf_sha256": "0" * 64}):
        with pytest.raises(IntegrityError), transaction.atomic():  # below the model: SQL
            ReportVersion.objects.filter(pk=version.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportVersion.objects.filter(pk=version.pk).delete()
    assert ReportVersion.objects.get(pk=version.pk).html == version.html


def test_publishing_emails_the_contacts_once_with_the_pdf(
    funded, django_capture_on_commit_callbacks
):
    version = _publish(_report(funded), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == ["ops@harbor.example"] and version.title in message.subject
    assert "/sponsor/reports/" in message.body
    # From and signed by the organisation, never by the funder it is written to.
    from receipts.models import Organisation

    org = Organisation.objects.get(pk=1).name
    assert message.from_email.startswith(f"{org} <")
    assert message.body.rstrip().endswith(f"With thanks,\n{org}")
    assert version.funder_name not in message.body.rstrip().splitlines()[-1]
    assert message.attachments[0][1] == version.pdf.open("rb").read()
    from impact.tasks import deliver_report

    deliver_report.enqueue(version.pk)  # a retried task
    assert len(mail.outbox) == 1


def _portal_client(funded):
    from django.test import Client

    client = Client()
    client.force_login(funded["user"])
    return client


def test_a_sponsor_sees_only_reports_published_for_its_own_organisation(
    funded, programme, django_capture_on_commit_callbacks, client
):
    ours = _publish(_report(funded), django_capture_on_commit_callbacks)
    draft = report_create(sponsor=funded["sponsor"], period_start=dt.date(2026, 4, 1),
                          period_end=dt.date(2026, 6, 30))  # fmt: skip
    rival = SponsorFactory(name="Rival Records")
    agreement(sponsor=rival, campaign=programme["mat"].campaign, title="Rival deal")
    theirs = _publish(report_create(sponsor=rival, period_start=Q3[0], period_end=Q3[1]),
                      django_capture_on_commit_callbacks)  # fmt: skip
    portal = _portal_client(funded)
    listing = portal.get(reverse("sponsor_reports")).content.decode()
    assert ours.title in listing and theirs.title not in listing and draft.title not in listing
    assert portal.get(reverse("sponsor_report", args=[ours.pk])).status_code == 200
    for name in ("sponsor_report", "sponsor_report_pdf"):
        assert portal.get(reverse(name, args=[theirs.pk])).status_code == 404
    # ...and the other way round; someone who is no sponsor's contact sees none.
    other = UserFactory()
    SponsorContact.objects.create(sponsor=rival, name="R", email=other.email, user=other)
    client.force_login(other)
    assert client.get(reverse("sponsor_report", args=[ours.pk])).status_code == 404
    assert client.get(reverse("sponsor_report", args=[theirs.pk])).status_code == 200
    client.force_login(UserFactory())
    assert client.get(reverse("sponsor_reports")).status_code == 404
    assert client.get(reverse("sponsor_report", args=[ours.pk])).status_code == 404


def test_a_major_donor_sees_their_own_report_and_no_one_else_s(
    programme, django_capture_on_commit_callbacks, client
):
    fund = programme["prize"].fund
    major = Donor.objects.create(first_name="Mira", last_name="Major", email="mira@example.org",
                                 user=UserFactory(email="mira@example.org"))  # fmt: skip
    posted_gift(donor=major, amount=2_500_000, fund=fund, on=dt.date(2026, 8, 1))
    report = report_create(donor=major, period_start=Q3[0], period_end=Q3[1])
    assert list(report.subjects.all()) == [programme["prize"]]
    version = _publish(report, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["mira@example.org"]
    assert "$25,000.00" in _text(version.pdf.open("rb").read())
    client.force_login(major.user)
    assert client.get(reverse("my_report", args=[version.pk])).status_code == 200
    assert client.get(reverse("my_report_pdf", args=[version.pk])).status_code == 200
    other = Donor.objects.create(first_name="O", last_name="Ther", user=UserFactory())
    client.force_login(other.user)
    assert client.get(reverse("my_report", args=[version.pk])).status_code == 404
    assert client.get(reverse("my_report_pdf", args=[version.pk])).status_code == 404
    assert version.title not in client.get(reverse("my_reports")).content.decode()


def test_the_quarterly_schedule_drafts_once_and_sends_nothing(funded, programme):
    ended = agreement(sponsor=SponsorFactory(name="Past Partner"), starts_on=dt.date(2025, 1, 1),
                      ends_on=dt.date(2025, 12, 31), title="Over")  # fmt: skip
    drafted = reports_draft_quarterly(today=dt.date(2026, 11, 25))
    assert [r.sponsor for r in drafted] == [funded["sponsor"]]
    assert (drafted[0].period_start, drafted[0].period_end) == Q3
    assert drafted[0].title == "Impact report for Harbor Trust Bank, Q3 2026"
    assert reports_draft_quarterly(today=dt.date(2026, 12, 1)) == []  # same quarter: once
    assert not ReportVersion.objects.exists() and mail.outbox == []
    assert not Report.objects.filter(sponsor=ended.sponsor).exists()
    from impact.tasks import draft_quarterly_reports

    assert draft_quarterly_reports.enqueue().return_value == 0  # today's quarter: Q4 not over


def test_staff_make_edit_and_publish_a_report_from_the_pages(
    funded, fundraising_user, client, django_capture_on_commit_callbacks
):
    login_with_second_factor(client, fundraising_user)
    response = client.post(reverse("impact_report_new"), {
        "sponsor": funded["sponsor"].pk, "period_start": "2026-07-01", "period_end": "2026-09-30",
    })  # fmt: skip
    report = Report.objects.get()
    assert response.url == reverse("impact_report", args=[report.pk])
    page = client.get(response.url).content.decode()
    assert "150,000 teens" in page and "Cost per teen reached" in page
    assert "e-mails its PDF to ops@harbor.example" in page
    section = report.sections.get()
    form = {
        "title": "Our quarter together", "metrics": [m.pk for m in report.metrics.all()],
        "subjects": [s.pk for s in report.subjects.all()],
        "sections-TOTAL_FORMS": 2, "sections-INITIAL_FORMS": 1, "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 1000, "sections-0-id": section.pk,
        "sections-0-report": report.pk, "sections-0-position": 1,
        "sections-0-heading": "Hello", "sections-0-body": "It *worked*.",
        "sections-1-position": 2, "sections-1-heading": "Next", "sections-1-body": "More.",
    }  # fmt: skip
    assert client.post(reverse("impact_report", args=[report.pk]), form).status_code == 302
    page = client.get(reverse("impact_report", args=[report.pk])).content.decode()
    assert "It <em>worked</em>." in page and "Our quarter together" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("impact_report_publish", args=[report.pk]))
    version = ReportVersion.objects.get()
    assert version.title == "Our quarter together" and version.pdf_sha256
    assert [s["heading"] for s in version.data["narrative"]] == ["Hello", "Next"]


def test_read_only_and_finance_staff_cannot_publish(funded, finance_client):
    report = _report(funded)
    assert finance_client.get(reverse("impact_report", args=[report.pk])).status_code == 200
    response = finance_client.post(reverse("impact_report_publish", args=[report.pk]))
    assert response.status_code == 403 and not ReportVersion.objects.exists()
    assert finance_client.post(reverse("impact_report", args=[report.pk]),
                               {"title": "x"}).status_code == 403  # fmt: skip

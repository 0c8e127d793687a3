"""Writes for impact: integration tokens, and reports (drafting, publishing, delivering)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from backoffice.branding import current_brand, sender
from backoffice.documents import store_pdf_once
from backoffice.permissions import require_permission
from donors.models import Gift, GiftAllocation
from donors.selectors import campaigns_related
from impact.figures import quarter_bounds, quarter_of, report_figures
from impact.models import Integration, Metric, NarrativeSection, Report, ReportVersion, Subject
from impact.rendering import report_body_html, report_pdf
from sponsorships.models import Agreement, Sponsor

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


def integration_rotate(*, integration: Integration, by) -> str:
    """A new token for the integration; the old one stops working at once."""
    require_permission(by, "impact.change_integration", to="make a new API token")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    Integration.objects.filter(pk=integration.pk).update(
        token_sha256=Integration.digest(token), token_prefix=token[:12], revoked_at=None
    )
    integration.refresh_from_db()
    return token


def integration_revoke(*, integration: Integration, by) -> Integration:
    require_permission(by, "impact.change_integration", to="revoke an API token")
    if integration.revoked_at is not None:
        raise ValidationError(f"{integration} was revoked already.")
    Integration.objects.filter(pk=integration.pk, revoked_at=None).update(revoked_at=timezone.now())
    integration.refresh_from_db()
    return integration


# --- reports -------------------------------------------------------------------------------


def subjects_funded_by(*, sponsor=None, donor=None, start: dt.date, end: dt.date):
    """The subjects whose fund or campaign (or a campaign an appeal belongs to) the funder's
    agreements running in the period, or its gifts in the period, went to."""
    if sponsor is not None:
        agreements = Agreement.objects.filter(sponsor=sponsor, status__in=Agreement.PLEDGED,
                                              starts_on__lte=end, ends_on__gte=start)  # fmt: skip
        funds = set(agreements.exclude(fund=None).values_list("fund_id", flat=True))
        campaigns = set(agreements.exclude(campaign=None).values_list("campaign_id", flat=True))
    else:
        gifts = Gift.objects.filter(donor=donor, status=Gift.Status.POSTED,
                                    received_on__gte=start, received_on__lte=end)  # fmt: skip
        funds = set(GiftAllocation.objects.filter(gift__in=gifts)
                    .values_list("fund_id", flat=True))  # fmt: skip
        campaigns = set(gifts.exclude(campaign=None).values_list("campaign_id", flat=True))
    return Subject.objects.filter(is_active=True).filter(
        Q(fund_id__in=funds) | Q(campaign_id__in=campaigns_related(campaigns, upwards=True))
    )


@transaction.atomic
def report_create(*, sponsor=None, donor=None, period_start: dt.date, period_end: dt.date,
                  title: str = "", by=None, scheduled: bool = False) -> Report:  # fmt: skip
    """A draft report, its subjects those the funder's money went to and its metrics every
    active one measured for them; staff adjust both and write the narrative."""
    funder_name = sponsor.name if sponsor is not None else (donor.display_name if donor else "")
    report = Report(
        sponsor=sponsor, donor=donor, period_start=period_start, period_end=period_end,
        title=title or f"Impact report for {funder_name}, {period_label(period_start, period_end)}",
        created_by=by, drafted_by_schedule=scheduled,
    )  # fmt: skip
    report.full_clean()
    report.save()
    subjects = list(subjects_funded_by(sponsor=sponsor, donor=donor, start=period_start,
                                       end=period_end))  # fmt: skip
    report.subjects.set(subjects)
    report.metrics.set(Metric.objects.filter(is_active=True, observations__subject__in=subjects)
                       .distinct())  # fmt: skip
    NarrativeSection.objects.create(
        report=report,
        position=1,
        heading="A word from our team",
        body="Thank you. *Write here what this period meant, in your own words.*",
    )
    return report


def period_label(start: dt.date, end: dt.date) -> str:
    year, quarter = quarter_of(start)
    if (start, end) == quarter_bounds(year, quarter):
        return f"Q{quarter} {year}"
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{start:%-d %b %Y} – {end:%-d %b %Y}"


@transaction.atomic
def report_publish(*, report: Report, by=None) -> ReportVersion:
    """Freeze the report as it stands: its figures and its page are stored with the new
    version (numbered after the last), then its PDF is drawn and the funder's contacts are
    e-mailed in a task. Earlier versions stay as they were."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    data = report_figures(report)
    last = report.versions.aggregate(n=Max("number"))["n"] or 0
    version = ReportVersion.objects.create(
        report=report, number=last + 1, title=report.title, funder_name=report.funder_name,
        period_start=report.period_start, period_end=report.period_end, data=data,
        html=report_body_html(data), published_at=timezone.now(), published_by=by,
    )  # fmt: skip
    from impact.tasks import deliver_report

    transaction.on_commit(lambda: deliver_report.enqueue(version.pk))
    return version


def report_recipients(report: Report) -> list[str]:
    """Who is e-mailed a published version: the sponsor's contacts, or the donor."""
    if report.sponsor_id:
        return sorted(set(report.sponsor.contacts.values_list("email", flat=True)))
    return [report.donor.email] if report.donor.email else []


def report_deliver(*, version: ReportVersion) -> ReportVersion:
    """Draw the version's PDF once and e-mail it to the funder's contacts once; running it
    again (a retried task) does neither twice."""
    version = ReportVersion.objects.select_related("report__sponsor", "report__donor").get(
        pk=version.pk
    )
    if not version.pdf_sha256:
        pdf = report_pdf(title=version.title, body_html=version.html)
        store_pdf_once(version, content=pdf, filename=f"impact-report-{version.report_id}-"
                       f"v{version.number}.pdf")  # fmt: skip
    to = report_recipients(version.report)
    if version.emailed_at or not to:
        return version
    # Claimed before sending: two workers at once send one e-mail, not two.
    if not ReportVersion.objects.filter(pk=version.pk, emailed_at=None).update(
        emailed_at=timezone.now()
    ):
        return version
    portal = reverse("sponsor_reports") if version.report.sponsor_id else reverse("my_reports")
    message = EmailMessage(
        subject=f"Your impact report: {version.title}",
        body=render_to_string("impact/email/published.txt", {
            "version": version, "portal_url": settings.SITE_URL.rstrip("/") + portal,
            "brand": current_brand()}),
        to=to, from_email=sender(),
    )  # fmt: skip
    with version.pdf.open("rb") as pdf:
        message.attach(f"{version.title}.pdf", pdf.read(), "application/pdf")
    message.send()
    return version


def reports_draft_quarterly(*, today: dt.date | None = None) -> list[Report]:
    """For every agreement running in the quarter that just ended, a draft report for its
    sponsor (one per sponsor and quarter, however often this runs). Nothing is sent: staff
    review and publish."""
    today = today or timezone.localdate()
    year, quarter = quarter_of(today)
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    start, end = quarter_bounds(year, quarter)
    sponsors = (
        Sponsor.objects.filter(agreements__status__in=Agreement.PLEDGED,
                               agreements__starts_on__lte=end, agreements__ends_on__gte=start)
        .exclude(impact_reports__drafted_by_schedule=True,
                 impact_reports__period_start=start, impact_reports__period_end=end)
        .distinct().order_by("name")
    )  # fmt: skip
    drafted = []
    for sponsor in sponsors:
        try:
            drafted.append(report_create(sponsor=sponsor, period_start=start, period_end=end,
                                         scheduled=True))  # fmt: skip
        except IntegrityError:
            continue  # drafted by a run at the same moment
    return drafted

"""Demo impact data (after the donors' and sponsorships' seeds): what the movement measures,
three years of monthly observations from its AI reach tracker, the quarterly drafts, and two
published reports for the music-award sponsor, so that `make demo` shows a complete one in
the sponsor portal."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model

from donors.models import Campaign, Fund
from impact.figures import quarter_bounds, quarter_of
from impact.models import Metric, NarrativeSection, Report, Subject
from impact.observations import ObservationIn, observations_record
from impact.services import (
    integration_create,
    report_create,
    report_deliver,
    report_publish,
    reports_draft_quarterly,
)
from sponsorships.models import Sponsor

MONTHS = 36
# key, name, unit, combine, cost label, method
METRICS = [
    ("teens_reached", "Teens reached with educational content", "teens", "sum",
     "Cost per teen reached", "Unique accounts of 13 to 19 year-olds that watched at least one "
     "lesson of the movement's content, counted once a month by the AI reach tracker."),
    ("model_followers", "Followers of participating models", "followers", "latest", "",
     "Followers of the participating models' public accounts on the last day measured."),
    ("peak_daily_reach", "Peak daily reach", "teens in a day", "max", "",
     "The most teens reached with lessons on a single day, by the AI reach tracker."),
    ("shares", "Shares of movement content", "shares", "sum", "",
     "Shares and reposts of the movement's and the award's posts, from the platforms' APIs."),
    ("friends_activated", "Friends activated by fans", "friends", "sum",
     "Cost per friend activated", "Friends a fan brought through their referral link who then "
     "shared, gave or signed up: the measure fans are rewarded by."),
    ("songs_submitted", "Songs submitted to the award", "songs", "sum", "",
     "Eligible songs entered in the Human Freedom Music Awards, counted when accepted."),
]  # fmt: skip

# key, name, kind, campaign code, fund code
SUBJECTS = [
    ("mat", "Models Against Trafficking", "campaign", "mat", "MAT"),
    ("hfma", "Human Freedom Music Awards", "campaign", "hfma", None),
    ("hfma-prize", "Music award prize pool", "fund", None, "HFMA-PRIZE"),
    ("entry-unchained", "“Unchained” by Aria Stone", "award_entry", "hfma", None),
    ("entry-not-for-sale", "“Not For Sale” by The Lanterns", "award_entry", "hfma", None),
]

# subject -> metric -> (monthly start value, monthly growth); noise is added per month
SERIES = {
    "mat": {"teens_reached": (90_000, 0.035), "model_followers": (3_200_000, 0.012),
            "peak_daily_reach": (9_000, 0.03), "shares": (25_000, 0.03)},
    "hfma": {"shares": (8_000, 0.05), "friends_activated": (1_200, 0.06),
             "songs_submitted": (4, 0.05)},
    "entry-unchained": {"shares": (1_500, 0.04), "friends_activated": (220, 0.05)},
    "entry-not-for-sale": {"shares": (900, 0.05), "friends_activated": (140, 0.06)},
}  # fmt: skip

NARRATIVE = [
    ("What your support made possible",
     "Thanks to you, the **Human Freedom Music Awards** kept growing this quarter: more "
     "artists entered songs about freedom, and fans brought their friends into the fight "
     "against trafficking.\n\n- Every song entered is shared by its artist and their fans\n"
     "- Fans are rewarded for the friends they activate, not just for likes"),
    ("Looking ahead",
     "The next round opens in February. Your instalments fund the prize pool that artists "
     "compete for; [see the rules](https://example.org/hfma/rules)."),
]  # fmt: skip


def _months_before(today: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The `count` whole months before `today`'s month, oldest first."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        start = dt.date(year, month, 1)
        following = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        months.append((start, following - dt.timedelta(days=1)))
    return months[::-1]


def seed_impact(*, today: dt.date, seed: int = 2020) -> dict:
    """Returns the demo integration's token and the published reports. Refuses to run twice."""
    if Metric.objects.exists():
        raise ValueError("Demo impact data is already loaded.")
    rng = random.Random(seed)
    fundraiser = get_user_model().objects.filter(email="fundraising@example.org").first()
    for key, name, unit, combine, cost, method in METRICS:
        Metric.objects.create(key=key, name=name, unit=unit, combine=combine, cost_label=cost,
                              method=method)  # fmt: skip
    for key, name, kind, campaign, fund in SUBJECTS:
        Subject.objects.create(
            key=key, name=name, kind=kind,
            campaign=Campaign.objects.get(code=campaign) if campaign else None,
            fund=Fund.objects.get(code=fund) if fund else None,
        )  # fmt: skip
    integration, token = integration_create(name="AI reach tracker", key="reach-tracker",
                                            by=fundraiser)  # fmt: skip
    items = []
    for n, (start, end) in enumerate(_months_before(today, MONTHS)):
        for subject, metrics in SERIES.items():
            for metric, (base, growth) in metrics.items():
                value = base * (1 + growth) ** n * rng.uniform(0.85, 1.15)
                items.append(ObservationIn(
                    subject=subject, metric=metric, period_start=start, period_end=end,
                    value=Decimal(round(value)), external_id=f"{subject}/{metric}/{start:%Y-%m}",
                ))  # fmt: skip
    observations_record(items=items, source=integration.source)

    # The quarterly schedule drafts last quarter for every running agreement; the music
    # award's sponsor gets its draft written and published, and the quarter before too.
    drafts = reports_draft_quarterly(today=today)
    sponsor = Sponsor.objects.get(name="Soundwave Music Group")
    year, quarter = quarter_of(today)
    year, quarter = (year, quarter - 2) if quarter > 2 else (year - 1, quarter + 2)
    start, end = quarter_bounds(year, quarter)
    earlier = report_create(sponsor=sponsor, period_start=start, period_end=end, by=fundraiser)
    latest = next(r for r in drafts if r.sponsor_id == sponsor.pk)
    published = []
    for report in (earlier, latest):
        _write_narrative(report)
        version = report_publish(report=report, by=fundraiser)
        published.append(report_deliver(version=version))
    return {"token": token, "published": published, "drafts": len(drafts) - 1}


def _write_narrative(report: Report) -> None:
    report.sections.all().delete()
    for position, (heading, body) in enumerate(NARRATIVE, start=1):
        NarrativeSection.objects.create(report=report, position=position, heading=heading,
                                        body=body)  # fmt: skip

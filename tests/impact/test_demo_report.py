"""`make demo` publishes a complete report for the music-award sponsor. Every figure in it is
checked here against plain SQL written for this test, not against the code that made it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from donors.demo import seed_demo
from impact.demo import seed_impact
from impact.models import Metric, Report, ReportVersion
from sponsorships.demo import seed_sponsorships

TODAY = dt.date(2026, 11, 25)
POSTED = "'posted'"
PLEDGED = "('signed', 'active', 'completed')"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, seeded once for this module's tests (they only read it, or write inside
    their own transaction)."""
    media = tmp_path_factory.mktemp("media")
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, TASKS=immediate):
        # Rolled back at the end: published reports cannot be deleted, not even by a flush.
        outer = transaction.atomic()
        outer.__enter__()
        try:
            seed_demo(today=TODAY, donors=60, gifts=400)
            seed_sponsorships(today=TODAY)
            done = seed_impact(today=TODAY)
            done["pdfs"] = [v.pdf.open("rb").read() for v in done["published"]]
            yield done
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def sql(query: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def one(query: str, *params):
    return sql(query, *params)[0][0]


def number(value) -> Decimal:
    return Decimal(str(value)) if value is not None else None


@pytest.fixture
def latest(demo, db):
    version = ReportVersion.objects.get(pk=demo["published"][-1].pk)
    assert (version.period_start, version.period_end) == (dt.date(2026, 7, 1),
                                                          dt.date(2026, 9, 30))  # fmt: skip
    return version


def _sponsor_id(version):
    return version.report.sponsor_id


def test_what_the_sponsor_gave_and_what_was_received(latest):
    data, sponsor = latest.data, _sponsor_id(latest)
    start, end = latest.period_start, latest.period_end
    due = sql(f"""SELECT a.currency, SUM(i.amount - i.written_off_amount)
        FROM sponsorships_instalment i JOIN sponsorships_agreement a ON a.id = i.agreement_id
        WHERE a.sponsor_id = %s AND a.status IN {PLEDGED} AND i.due_on BETWEEN %s AND %s
        GROUP BY a.currency""", sponsor, start, end)  # fmt: skip
    assert data["giving"]["committed"] == [{"currency": c, "amount": a} for c, a in due]
    got = sql("""SELECT currency, SUM(amount) FROM sponsorships_sponsorpayment
        WHERE sponsor_id = %s AND received_on BETWEEN %s AND %s GROUP BY currency""",
              sponsor, start, end)  # fmt: skip
    assert data["giving"]["received"] == [{"currency": c, "amount": a} for c, a in got]
    assert got, "the demo sponsor paid something in the quarter"
    for agreement in data["giving"]["agreements"]:
        paid = one("""SELECT COALESCE(SUM(pa.amount), 0) FROM sponsorships_paymentapplication pa
            JOIN sponsorships_sponsorpayment p ON p.id = pa.payment_id
            JOIN sponsorships_instalment i ON i.id = pa.instalment_id
            JOIN sponsorships_agreement a ON a.id = i.agreement_id
            WHERE a.title = %s AND a.sponsor_id = %s AND p.received_on <= %s""",
                   agreement["title"], sponsor, end)  # fmt: skip
        assert agreement["paid_to_date"] == paid


def test_where_the_money_went_by_fund_and_campaign(latest):
    rows = latest.data["allocation"]["rows"]
    for kind, table in (("fund", "donors_fund"), ("campaign", "donors_campaign")):
        expected = sql(f"""SELECT t.name, p.currency, SUM(pa.amount)
            FROM sponsorships_paymentapplication pa
            JOIN sponsorships_sponsorpayment p ON p.id = pa.payment_id
            JOIN sponsorships_instalment i ON i.id = pa.instalment_id
            JOIN sponsorships_agreement a ON a.id = i.agreement_id
            JOIN {table} t ON t.id = a.{kind}_id
            WHERE p.sponsor_id = %s AND p.received_on BETWEEN %s AND %s
            GROUP BY t.name, p.currency ORDER BY t.name""",
                       _sponsor_id(latest), latest.period_start, latest.period_end)  # fmt: skip
        assert [(r["name"], r["currency"], r["amount"]) for r in rows if r["kind"] == kind] \
            == expected  # fmt: skip
    assert sum(r["amount"] for r in rows if r["kind"] != "campaign") == sum(
        x["amount"] for x in latest.data["giving"]["received"]
    )


def _observed(metric_key: str, report_id: int, start, end) -> list[tuple]:
    return sql("""SELECT o.subject_id, o.period_end, o.id, o.value FROM impact_observation o
        JOIN impact_metric m ON m.id = o.metric_id
        JOIN impact_report_subjects rs ON rs.subject_id = o.subject_id AND rs.report_id = %s
        WHERE m.key = %s AND o.period_end BETWEEN %s AND %s""",
               report_id, metric_key, start, end)  # fmt: skip


def _expected(combine: str, report_id: int, key: str, start, end):
    if combine in ("sum", "max"):
        value = one(f"""SELECT {combine.upper()}(o.value) FROM impact_observation o
            JOIN impact_metric m ON m.id = o.metric_id
            JOIN impact_report_subjects rs ON rs.subject_id = o.subject_id AND rs.report_id = %s
            WHERE m.key = %s AND o.period_end BETWEEN %s AND %s""",
                    report_id, key, start, end)  # fmt: skip
    else:  # each subject's observation with the latest period end in the span, added up
        value = one("""SELECT SUM(o.value) FROM impact_observation o
            JOIN impact_metric m ON m.id = o.metric_id
            JOIN impact_report_subjects rs ON rs.subject_id = o.subject_id AND rs.report_id = %s
            WHERE m.key = %s AND o.period_end = (
                SELECT MAX(o2.period_end) FROM impact_observation o2
                WHERE o2.metric_id = o.metric_id AND o2.subject_id = o.subject_id
                  AND o2.period_end BETWEEN %s AND %s)""", report_id, key, start, end)  # fmt: skip
    return number(value)


def test_every_outcome_total_subject_and_quarter_of_the_trend(latest):
    report_id = latest.report_id
    outcomes = latest.data["outcomes"]
    assert {o["combine"] for o in outcomes} >= {"sum"}
    for outcome in outcomes:
        combine = Metric.objects.get(key=outcome["key"]).combine
        start, end = latest.period_start, latest.period_end
        assert number(outcome["total"]) == _expected(combine, report_id, outcome["key"], start,
                                                     end), outcome["key"]  # fmt: skip
        for point in outcome["trend"]:
            quarter, year = int(point["label"][1]), int(point["label"][3:])
            q_start = dt.date(year, 3 * quarter - 2, 1)
            q_end = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
                     - dt.timedelta(days=1))  # fmt: skip
            assert number(point["value"]) == _expected(combine, report_id, outcome["key"],
                                                       q_start, q_end), point  # fmt: skip
        assert outcome["observations"] == len(_observed(outcome["key"], report_id, start, end))


def test_the_maximum_and_latest_rules_on_the_movement_s_measures(latest):
    """The music award's report only adds up; a report on the teen movement also shows a
    peak (maximum) and a level (the latest followers), checked the same way."""
    from impact.figures import report_figures
    from impact.models import Subject

    report = Report.objects.create(
        sponsor=latest.report.sponsor, title="Movement",
        period_start=latest.period_start, period_end=latest.period_end,
    )  # fmt: skip
    report.subjects.set(Subject.objects.filter(key="mat"))
    report.metrics.set(Metric.objects.all())
    data = report_figures(report)
    combines = set()
    for outcome in data["outcomes"]:
        combine = Metric.objects.get(key=outcome["key"]).combine
        if outcome["total"] is None:
            continue
        combines.add(combine)
        assert number(outcome["total"]) == _expected(
            combine, report.pk, outcome["key"], report.period_start, report.period_end
        ), outcome["key"]
        for point in outcome["trend"][-4:]:
            quarter, year = int(point["label"][1]), int(point["label"][3:])
            q_start = dt.date(year, 3 * quarter - 2, 1)
            q_end = (dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
                     - dt.timedelta(days=1))  # fmt: skip
            assert number(point["value"]) == _expected(combine, report.pk, outcome["key"],
                                                       q_start, q_end), point  # fmt: skip
    assert combines == {"sum", "max", "latest"}


def _pool(report_id: int, start, end, sponsor_id=None) -> dict[str, int]:
    """Money received in the span for the report's subjects, each gift or payment once."""
    campaigns = """WITH RECURSIVE c(id) AS (
            SELECT s.campaign_id FROM impact_subject s
            JOIN impact_report_subjects rs ON rs.subject_id = s.id AND rs.report_id = %s
            WHERE s.campaign_id IS NOT NULL
            UNION SELECT k.id FROM donors_campaign k JOIN c ON k.parent_id = c.id)
        SELECT id FROM c"""
    funds = """SELECT s.fund_id FROM impact_subject s JOIN impact_report_subjects rs
        ON rs.subject_id = s.id AND rs.report_id = %s WHERE s.fund_id IS NOT NULL"""
    totals: dict[str, int] = {}
    if sponsor_id is None:
        for currency, amount in sql(f"""SELECT currency, SUM(amount - refunded_amount)
                FROM donors_gift WHERE status = {POSTED} AND received_on BETWEEN %s AND %s
                AND campaign_id IN ({campaigns}) GROUP BY currency""",
                                    start, end, report_id):  # fmt: skip
            totals[currency] = totals.get(currency, 0) + int(amount)
        for currency, amount in sql(f"""SELECT g.currency,
                SUM(ga.amount * (g.amount - g.refunded_amount) / g.amount)
                FROM donors_giftallocation ga JOIN donors_gift g ON g.id = ga.gift_id
                WHERE g.status = {POSTED} AND g.received_on BETWEEN %s AND %s
                AND ga.fund_id IN ({funds})
                AND (g.campaign_id IS NULL OR g.campaign_id NOT IN ({campaigns}))
                GROUP BY g.currency""", start, end, report_id, report_id):  # fmt: skip
            totals[currency] = totals.get(currency, 0) + int(amount)
    for currency, amount in sql(f"""SELECT p.currency, SUM(pa.amount)
            FROM sponsorships_paymentapplication pa
            JOIN sponsorships_sponsorpayment p ON p.id = pa.payment_id
            JOIN sponsorships_instalment i ON i.id = pa.instalment_id
            JOIN sponsorships_agreement a ON a.id = i.agreement_id
            WHERE p.received_on BETWEEN %s AND %s AND (%s IS NULL OR p.sponsor_id = %s)
            AND (a.fund_id IN ({funds}) OR a.campaign_id IN ({campaigns}))
            GROUP BY p.currency""",
            start, end, sponsor_id, sponsor_id, report_id, report_id,
        ):  # fmt: skip
        totals[currency] = totals.get(currency, 0) + int(amount)
    return {c: a for c, a in totals.items() if a}


def test_the_cost_per_unit_and_the_sponsors_money_per_unit(latest):
    start, end = latest.period_start, latest.period_end
    ratios = latest.data["ratios"]
    assert ratios, "the demo's music award has a costed metric"
    pool = _pool(latest.report_id, start, end)
    theirs = _pool(latest.report_id, start, end, sponsor_id=_sponsor_id(latest))
    for ratio in ratios:
        measure = Decimal(ratio["measure"])
        if ratio["scope"] == "all":
            if len(pool) == 1:
                [(currency, money)] = pool.items()
                assert (ratio["currency"], ratio["money"]) == (currency, money)
                assert ratio["amount"] == int((money / measure).to_integral_value("ROUND_HALF_UP"))
            else:  # several currencies: not added up without exchange rates
                assert ratio["amount"] is None and len(pool) > 1
        else:
            assert ratio["money"] == theirs[ratio["currency"]]
            assert ratio["amount"] == int(
                (ratio["money"] / measure).to_integral_value("ROUND_HALF_UP")
            )


def test_the_pdf_says_the_figures_and_the_portal_shows_the_same_page(demo, latest, client):
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(demo["pdfs"][-1])).pages
    )
    data = latest.data
    assert data["title"].split(",")[0] in text and "How each figure was found" in text
    from backoffice.money import format_money

    for line in data["giving"]["received"]:
        assert format_money(line["amount"], line["currency"]) in text
    for outcome in data["outcomes"]:
        assert outcome["name"] in text
        assert f"{Decimal(outcome['total']):,.0f}" in text
    for ratio in data["ratios"]:
        if ratio["amount"] is not None:
            assert format_money(ratio["amount"], ratio["currency"]) in text
    assert "What your support made possible" in text

    client.force_login(latest.report.sponsor.contacts.get().user)
    page = client.get(reverse("sponsor_report", args=[latest.pk])).content.decode()
    assert latest.html in page
    listing = client.get(reverse("sponsor_reports")).content.decode()
    assert all(v.title in listing for v in demo["published"])

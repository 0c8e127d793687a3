"""Every figure of a funder's report, computed from the books and the observations, as plain
JSON (amounts in minor units, metric values as decimal strings). Publishing stores exactly
this, so a published report never depends on later changes.

Each figure names the footnote that says how it was computed; `_Notes` numbers them in the
order they appear."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from backoffice.money import format_money
from donors.models import Gift, GiftAllocation
from donors.selectors import campaigns_related
from impact.models import Metric, Observation, Report, Subject
from impact.narrative import markdown_to_html
from sponsorships.models import Agreement, Instalment, PaymentApplication, SponsorPayment

TREND_QUARTERS = 12
FORMAT_VERSION = 1


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    following = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, following - dt.timedelta(days=1)


def quarters_ending(day: dt.date, count: int) -> list[tuple[int, int]]:
    year, quarter = quarter_of(day)
    out = []
    for _ in range(count):
        out.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out[::-1]


class _Notes:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> int:
        self.items.append(text)
        return len(self.items)


def _by_currency(rows, key: str = "currency") -> list[dict]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row[key]] += int(row["total"] or 0)
    return [{"currency": c, "amount": a} for c, a in sorted(totals.items()) if a]


def _span(field: str, start: dt.date, end: dt.date) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lte": end})


# A posted gift's kept amount (less refunds), and an allocation's kept share of it.
KEPT = F("amount") - F("refunded_amount")
KEPT_SHARE = F("amount") * (F("gift__amount") - F("gift__refunded_amount")) / F("gift__amount")


def _period_words(start: dt.date, end: dt.date) -> str:
    return f"{start:%-d %B %Y} to {end:%-d %B %Y}"


# --- money from the funder ---------------------------------------------------------------


def _sponsor_giving(report: Report, notes: _Notes) -> dict:
    start, end, words = (
        report.period_start,
        report.period_end,
        _period_words(report.period_start, report.period_end),
    )
    pledged = (
        Instalment.objects.filter(agreement__sponsor=report.sponsor_id,
                                  agreement__status__in=Agreement.PLEDGED)
        .filter(_span("due_on", start, end))
        .values(currency=F("agreement__currency"))
        .annotate(total=Sum(F("amount") - F("written_off_amount")))
    )  # fmt: skip
    received = (
        SponsorPayment.objects.filter(sponsor=report.sponsor_id)
        .filter(_span("received_on", start, end))
        .values("currency")
        .annotate(total=Sum("amount"))
    )
    agreements = []
    running = Agreement.objects.filter(
        sponsor=report.sponsor_id, status__in=Agreement.PLEDGED, starts_on__lte=end,
        ends_on__gte=start,
    ).order_by("starts_on", "id")  # fmt: skip
    for agreement in running:
        paid = PaymentApplication.objects.filter(
            instalment__agreement=agreement, payment__received_on__lte=end
        ).aggregate(total=Sum("amount"))["total"]
        agreements.append({
            "title": agreement.title, "amount": agreement.amount,
            "currency": agreement.currency, "starts_on": agreement.starts_on.isoformat(),
            "ends_on": agreement.ends_on.isoformat(), "paid_to_date": int(paid or 0),
        })  # fmt: skip
    return {
        "committed": _by_currency(pledged),
        "committed_label": "Due in the period under your agreements",
        "committed_note": notes.add(
            f"Instalments falling due from {words} under your signed, running or completed "
            "agreements, less any amount written off."
        ),
        "received": _by_currency(received),
        "received_note": notes.add(
            f"Payments from you recorded as received from {words}, by the date received."
        ),
        "agreements": agreements,
        "agreements_note": notes.add(
            f"Agreements running at some time from {words}. Paid to date counts the payments "
            f"received up to {end:%-d %B %Y} and applied to each agreement's instalments."
        ),
    }


def _donor_giving(report: Report, notes: _Notes) -> dict:
    start, end = report.period_start, report.period_end
    gifts = Gift.objects.filter(donor=report.donor_id, status=Gift.Status.POSTED).filter(
        _span("received_on", start, end)
    )
    words = _period_words(start, end)
    return {
        "committed": _by_currency(gifts.values("currency").annotate(total=Sum("amount"))),
        "committed_label": "Your gifts in the period",
        "committed_note": notes.add(f"Your gifts dated from {words}, as recorded in our books."),
        "received": _by_currency(gifts.values("currency").annotate(total=Sum(KEPT))),
        "received_note": notes.add(
            "The same gifts less anything refunded to you: the money we kept to use."
        ),
        "agreements": [],
        "agreements_note": None,
    }


def _allocation(report: Report, giving: dict, notes: _Notes) -> dict:
    start, end = report.period_start, report.period_end
    rows: list[dict] = []

    def add(kind: str, name: str, currency: str, amount) -> None:
        if amount:
            rows.append({"kind": kind, "name": name, "currency": currency, "amount": int(amount)})

    if report.sponsor_id:
        applied = PaymentApplication.objects.filter(payment__sponsor=report.sponsor_id).filter(
            _span("payment__received_on", start, end)
        )
        for kind, field, nothing in (
            ("fund", "instalment__agreement__fund__name", "No fund: unrestricted"),
            ("campaign", "instalment__agreement__campaign__name", "No campaign"),
        ):
            grouped = applied.values(field, "payment__currency").annotate(total=Sum("amount"))
            for row in grouped.order_by(field):
                add(kind, row[field] or nothing, row["payment__currency"], row["total"])
        applied_total = defaultdict(int)
        for row in applied.values("payment__currency").annotate(total=Sum("amount")):
            applied_total[row["payment__currency"]] += int(row["total"] or 0)
        for line in giving["received"]:
            add("credit", "Not yet applied to an agreement (credit)", line["currency"],
                line["amount"] - applied_total[line["currency"]])  # fmt: skip
        note = notes.add(
            "Each payment is applied to the instalments of an agreement; the agreement names "
            "the fund it is restricted to and the campaign it supports. Payments received in "
            "the period, by where they were applied."
        )
    else:
        gifts = Gift.objects.filter(donor=report.donor_id, status=Gift.Status.POSTED).filter(
            _span("received_on", start, end)
        )
        allocations = GiftAllocation.objects.filter(gift__in=gifts)
        allocated = defaultdict(int)
        for row in allocations.values("fund__name", "gift__currency")\
                .annotate(total=Sum(KEPT_SHARE)).order_by("fund__name"):  # fmt: skip
            add("fund", row["fund__name"], row["gift__currency"], row["total"])
            allocated[row["gift__currency"]] += int(row["total"] or 0)
        for line in giving["received"]:
            add("fund", "Not assigned to a fund", line["currency"],
                line["amount"] - allocated[line["currency"]])  # fmt: skip
        for row in gifts.values("campaign__name", "currency").annotate(total=Sum(KEPT))\
                .order_by("campaign__name"):  # fmt: skip
            add("campaign", row["campaign__name"] or "No campaign", row["currency"], row["total"])
        note = notes.add(
            "Each gift is split between funds as you asked or as we assigned it, and may "
            "answer a campaign; a refunded gift counts only the part we kept."
        )
    return {"rows": rows, "note": note}


# --- outcomes ------------------------------------------------------------------------------


def combine_values(metric: Metric, rows: list[tuple[int, dt.date, int, Decimal]]) -> Decimal | None:
    """rows: (subject id, period end, observation id, value) of one metric."""
    if not rows:
        return None
    if metric.combine == Metric.Combine.SUM:
        return sum((r[3] for r in rows), Decimal(0))
    if metric.combine == Metric.Combine.MAX:
        return max(r[3] for r in rows)
    latest: dict[int, tuple] = {}
    for row in rows:  # each subject's latest observation (the last recorded on a tie)
        if row[0] not in latest or (row[1], row[2]) > (latest[row[0]][1], latest[row[0]][2]):
            latest[row[0]] = row
    return sum((r[3] for r in latest.values()), Decimal(0))


COMBINE_WORDS = {
    Metric.Combine.SUM: "added together",
    Metric.Combine.MAX: "the highest value",
    Metric.Combine.LATEST: "the most recent value of each subject, added across subjects",
}


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _outcomes(report: Report, subjects: list[Subject], notes: _Notes) -> list[dict]:
    start, end = report.period_start, report.period_end
    quarters = quarters_ending(end, TREND_QUARTERS)
    trend_start = quarter_bounds(*quarters[0])[0]
    names = ", ".join(s.name for s in subjects) or "no subject"
    outcomes = []
    for metric in report.metrics.order_by("name"):
        observed = list(
            Observation.objects.filter(metric=metric, subject__in=subjects)
            .filter(period_end__gte=min(start, trend_start), period_end__lte=end)
            .values_list("subject_id", "period_end", "id", "value", "source")
        )
        in_period = [r[:4] for r in observed if r[1] >= start]
        by_subject = []
        for subject in subjects:
            value = combine_values(metric, [r for r in in_period if r[0] == subject.pk])
            if value is not None:
                by_subject.append({"subject": subject.name, "value": _number(value)})
        trend = []
        for year, quarter in quarters:
            q_start, q_end = quarter_bounds(year, quarter)
            value = combine_values(metric, [r[:4] for r in observed if q_start <= r[1] <= q_end])
            trend.append({"label": f"Q{quarter} {year}", "value": _number(value)})
        sources = sorted({r[4] for r in observed if r[1] >= start})
        outcomes.append({
            "key": metric.key, "name": metric.name, "unit": metric.unit,
            "combine": metric.combine, "total": _number(combine_values(metric, in_period)),
            "by_subject": by_subject, "trend": trend, "observations": len(in_period),
            "note": notes.add(
                f"{metric.method.strip()} For {names}: the {len(in_period)} observation(s) "
                f"whose measuring period ends from {_period_words(start, end)}, "
                f"{COMBINE_WORDS[metric.combine]}. Source: {', '.join(sources) or 'none'}. "
                f"The trend applies the same rule to each quarter."
            ),
        })  # fmt: skip
    return outcomes


def funding_behind(subjects: list[Subject], start: dt.date, end: dt.date, *, report=None):
    """Money received from `start` to `end` by the subjects' funds and campaigns, from every
    funder or (with `report`) from its funder only, by currency; each gift or payment counted
    once: a gift for a subject's campaign whole, otherwise its share in a subject's fund."""
    funds = {s.fund_id for s in subjects if s.fund_id}
    campaigns = campaigns_related({s.campaign_id for s in subjects if s.campaign_id}, upwards=False)
    gifts = Gift.objects.filter(status=Gift.Status.POSTED).filter(_span("received_on", start, end))
    applied = PaymentApplication.objects.filter(_span("payment__received_on", start, end))
    if report is not None:
        gifts = gifts.filter(donor=report.donor_id) if report.donor_id else gifts.none()
        applied = (applied.filter(payment__sponsor=report.sponsor_id) if report.sponsor_id
                   else applied.none())  # fmt: skip
    rows = list(gifts.filter(campaign_id__in=campaigns).values("currency")
                .annotate(total=Sum(KEPT)))  # fmt: skip
    rows += [{"currency": r["gift__currency"], "total": r["total"]} for r in
             GiftAllocation.objects.filter(fund_id__in=funds, gift__in=gifts)
             .exclude(gift__campaign_id__in=campaigns)
             .values("gift__currency").annotate(total=Sum(KEPT_SHARE))]  # fmt: skip
    rows += [{"currency": r["payment__currency"], "total": r["total"]} for r in
             applied.filter(Q(instalment__agreement__fund_id__in=funds)
                            | Q(instalment__agreement__campaign_id__in=campaigns))
             .values("payment__currency").annotate(total=Sum("amount"))]  # fmt: skip
    return {line["currency"]: line["amount"] for line in _by_currency(rows)}


def _per_unit(money: int, measure: Decimal) -> int:
    return int((Decimal(money) / measure).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money_words(amounts: dict[str, int]) -> str:
    return " + ".join(format_money(a, c, "en") for c, a in sorted(amounts.items())) or "none"


def _ratios(report: Report, subjects, outcomes, notes: _Notes) -> list[dict]:
    """For each chosen metric with a cost label: the whole cost per unit (all money behind the
    subjects, when it is in one currency: there are no exchange rates to add currencies up
    honestly), and the funder's own money per unit, which says plainly it is a share."""
    start, end = report.period_start, report.period_end
    costed = {m.key: m for m in report.metrics.exclude(cost_label="")}
    wanted = [o for o in outcomes if o["key"] in costed and o["total"]
              and Decimal(o["total"]) > 0]  # fmt: skip
    if not wanted:
        return []
    words, names = _period_words(start, end), ", ".join(s.name for s in subjects)
    pool = funding_behind(subjects, start, end)
    theirs = funding_behind(subjects, start, end, report=report)
    ratios = []
    for outcome in wanted:
        measure, label = Decimal(outcome["total"]), costed[outcome["key"]].cost_label
        what = f"{outcome['name'].lower()} in the same period ({outcome['total']})"
        base = {"key": outcome["key"], "measure": outcome["total"], "unit": outcome["unit"]}
        if len(pool) == 1:
            [(currency, money)] = pool.items()
            ratios.append({**base, "label": label, "scope": "all", "currency": currency,
                           "money": money, "amount": _per_unit(money, measure),
                           "note": notes.add(
                f"All money received from {words} for {names}, from every funder "
                f"({_money_words(pool)}), divided by {what}; rounded to the nearest cent."
            )})  # fmt: skip
        else:
            ratios.append({**base, "label": label, "scope": "all", "currency": None,
                           "money": None, "amount": None, "note": notes.add(
                f"Not shown: the money received from {words} for {names} came in several "
                f"currencies ({_money_words(pool)}) and no exchange rate is recorded to add "
                "them up." if pool else f"Not shown: no money was received for {names} from "
                f"{words}."
            )})  # fmt: skip
        for currency, money in sorted(theirs.items()):
            ratios.append({**base, "label": f"Your money per {outcome['unit'].rstrip('s')}",
                           "scope": "yours", "currency": currency, "money": money,
                           "amount": _per_unit(money, measure), "note": notes.add(
                f"Your payments received from {words} and applied to {names} "
                f"({format_money(money, currency, 'en')}), divided by {what}. Other funders' "
                "money paid for the same outcomes: this is your share of the cost, not all "
                "of it."
            )})  # fmt: skip
    return ratios


def report_figures(report: Report, *, now: dt.datetime | None = None) -> dict:
    """The whole report as data: figures, narrative (sanitised HTML) and footnotes."""
    notes = _Notes()
    subjects = list(report.subjects.order_by("kind", "name"))
    giving = _sponsor_giving(report, notes) if report.sponsor_id else _donor_giving(report, notes)
    allocation = _allocation(report, giving, notes)
    outcomes = _outcomes(report, subjects, notes)
    ratios = _ratios(report, subjects, outcomes, notes)
    return {
        "format": FORMAT_VERSION,
        "title": report.title,
        "funder": {
            "kind": "sponsor" if report.sponsor_id else "donor",
            "name": report.funder_name,
        },  # fmt: skip
        "period": {
            "start": report.period_start.isoformat(),
            "end": report.period_end.isoformat(),
        },  # fmt: skip
        "giving": giving,
        "allocation": allocation,
        "subjects": [s.name for s in subjects],
        "outcomes": outcomes,
        "ratios": ratios,
        "narrative": [
            {"heading": s.heading, "html": markdown_to_html(s.body)} for s in report.sections.all()
        ],  # fmt: skip
        "footnotes": notes.items,
        "computed_at": (now or timezone.now()).isoformat(timespec="seconds"),
    }

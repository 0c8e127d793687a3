"""A report's page, drawn from its figures (impact.figures): the same HTML body, with the
same SVG charts, in the staff preview, the sponsor portal and the PDF."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from django.template.loader import render_to_string
from django.utils import translation

from backoffice.charts import Bar, bar_chart_svg, share_bars_svg
from backoffice.money import format_money
from receipts.rendering import html_to_pdf

KIND_HEADINGS = {"fund": "By fund", "campaign": "By campaign", "credit": "Not yet applied"}


def _locale() -> str:
    return translation.to_locale(translation.get_language() or "en")


def quantity_text(value: str | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    text = format_decimal(Decimal(value), locale=_locale())
    return f"{text} {unit}".strip()


def _money_lines(lines: list[dict]) -> str:
    return " + ".join(format_money(x["amount"], x["currency"]) for x in lines) or "none"


def _outcome_view(outcome: dict) -> dict:
    bars = [Bar(label=p["label"], value=Decimal(p["value"]) if p["value"] else None,
                title=f'{p["label"]}: {quantity_text(p["value"], outcome["unit"])}')
            for p in outcome["trend"]]  # fmt: skip
    return {
        **outcome,
        "total_text": quantity_text(outcome["total"], outcome["unit"]),
        "subjects": [
            {"name": s["subject"], "text": quantity_text(s["value"], outcome["unit"])}
            for s in outcome["by_subject"]
        ],  # fmt: skip
        "chart": bar_chart_svg(
            bars, caption=f"{outcome['name']} by quarter", height=160, table=False
        ),  # the report lists the figures itself
        "trend_text": [(p["label"], quantity_text(p["value"])) for p in outcome["trend"]],
    }


def report_context(data: dict) -> dict:
    """What the body template shows, every figure formatted for the reader."""
    giving = data["giving"]
    allocation = []
    for kind in ("fund", "campaign", "credit"):
        rows = [r for r in data["allocation"]["rows"] if r["kind"] == kind]
        if rows:
            bars = [Bar(label=r["name"], value=r["amount"],
                        title=format_money(r["amount"], r["currency"])) for r in rows]  # fmt: skip
            allocation.append(
                {
                    "heading": KIND_HEADINGS[kind],
                    "rows": rows,
                    "chart": share_bars_svg(bars, caption=KIND_HEADINGS[kind]),
                }
            )
    ratios = [
        {
            **r,
            "text": "not shown"
            if r["amount"] is None
            else format_money(r["amount"], r["currency"]),
            "money_text": "" if r["money"] is None else format_money(r["money"], r["currency"]),
            "measure_text": quantity_text(r["measure"], r["unit"]),
        }
        for r in data["ratios"]
    ]
    return {
        "data": data,
        "committed_text": _money_lines(giving["committed"]),
        "received_text": _money_lines(giving["received"]),
        "agreements": [
            {
                **a,
                "amount_text": format_money(a["amount"], a["currency"]),
                "paid_text": format_money(a["paid_to_date"], a["currency"]),
            }
            for a in giving["agreements"]
        ],  # fmt: skip
        "allocation": allocation,
        "outcomes": [_outcome_view(o) for o in data["outcomes"]],
        "ratios": ratios,
    }


def report_body_html(data: dict) -> str:
    return render_to_string("impact/report_body.html", report_context(data))


def report_pdf(*, title: str, body_html: str) -> bytes:
    """The PDF of a published body: tagged PDF/UA-1 (structure, language and title for
    screen readers), in the project's fonts."""
    html = render_to_string("impact/pdf/report.html", {"title": title, "body": body_html})
    return html_to_pdf(html, pdf_variant="pdf/ua-1")

"""Every staff page, walked as finance and as fundraising staff would: each admin list, add
and change page (one object of each model), then every page a link leads to from there.
No page fails or forbids what its own menu offered, none says "minor units", and no amount
the books hold is shown as a bare integer."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import Resolver404, resolve, reverse

from accounts.models import User
from tests.conftest import login_with_second_factor

OUR_APPS = {"donors", "payments", "receipts", "sponsorships", "reconciliation", "impact",
            "ledger", "accounts"}  # fmt: skip
NOT_MONEY = {("ledger", "entry", "source_id"), ("ledger", "monthbalance", "fund_key")}
# Links a walk must not follow: they sign out, download files or change something.
SKIP = re.compile(r"logout|/delete/|\.(pdf|csv|xlsx|zip|xml|iif)$|/download|/export|/media/|"
                  r"/static/|/api/|/stripe/webhook|/jsi18n/|\?_popup|/history/\d")  # fmt: skip
HREF = re.compile(r'href="([^"#]+)"')
# An integer alone in a cell, or a figure written into a sentence ("2000 refunded").
BARE_NUMBER = re.compile(
    r">\s*(\d[\d,]{2,})\s*<|(?<![\w#$€£.,/-])(\d{4,})(?= (?:refunded|paid|due|owed))"
)
PER_ROUTE = 2
# The staff's own pages (not the admin's) and what each asks of the person: the walk must
# reach every one the role may open, by following links as a person would.
CUSTOM_PAGES = {
    "home": None, "gift_import_new": "donors.add_giftimport",
    "gift_import_detail": "donors.view_giftimport",
    "waiting_for_receipt": "receipts.view_receipt", "receipt_preview": "receipts.view_receipt",
    "statement_runs": "receipts.view_statementrun", "statement_run": "receipts.view_statementrun",
    "sponsorships_overview": "sponsorships.view_agreement",
    "agreement_page": "sponsorships.view_agreement",
    "reconciliation": "payments.view_payout", "payout_page": "payments.view_payout",
    "bank_lines": "reconciliation.view_bankline", "periods": "reconciliation.view_period",
    "period_page": "reconciliation.view_period", "ledger_home": "ledger.view_entry",
    "ledger_account": "ledger.view_entry", "ledger_entry": "ledger.view_entry",
    "trial_balance": "ledger.view_entry", "impact_overview": "impact.view_report",
    "impact_report_new": "impact.add_report", "impact_report": "impact.view_report",
    "impact_version": "impact.view_report",
}  # fmt: skip
MAX_PAGES = 400


def _money_values() -> set[int]:
    """Every amount the world holds, from 10.00 up (smaller ones collide with counts)."""
    values: set[int] = set()
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for field in model._meta.concrete_fields:
            key = (model._meta.app_label, model._meta.model_name, field.name)
            if isinstance(field, models.BigIntegerField) and key not in NOT_MONEY:
                found = model._default_manager.values_list(field.name, flat=True).distinct()
                values |= {abs(v) for v in found if v is not None and abs(v) >= 1000}

    return values


def _admin_pages(user) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(request):
            pages.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return pages


def _route(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return match.view_name or match.route


def _walk(client, start: list[str]) -> tuple[dict[str, str], set[str]]:
    from ledger.models import Account

    amounts = _money_values()
    codes = {int(c) for c in Account.objects.values_list("code", flat=True) if c.isdigit()}
    # Alone in a cell, a year or an account code may look like an amount; in a sentence
    # ("2000 refunded") it is one.
    in_cells = amounts - set(range(1990, 2101)) - codes
    problems: dict[str, str] = {}
    seen: set[str] = set()
    per_route: Counter = Counter()
    came_from: dict[str, str] = {}
    queue = list(dict.fromkeys(start))
    routes: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        routes.add(_route(urlsplit(url).path))
        answer = client.get(url)
        if answer.status_code in (301, 302):
            target = answer["Location"]
            if "/accounts/login" in target:
                problems[url] = f"sent to sign in ({target})"
            continue
        if answer.status_code != 200:
            problems[url] = f"answered {answer.status_code} (linked from {came_from.get(url)})"
            continue
        if not answer.get("Content-Type", "").startswith("text/html"):
            continue
        html = answer.content.decode()
        if "minor unit" in html.lower():
            problems[url] = "says 'minor units'"
        if heads := re.findall(r"<th[^>]*>(?:<[^>]+>|\s)*([\w ]+ display)\b", html, re.I):
            problems[url] = f"a column headed {heads[0]!r}"
        bare = []
        for match in BARE_NUMBER.finditer(html):
            cell, sentence = match.groups()
            if sentence and int(sentence) in amounts:
                bare.append(sentence)
            elif cell and int(cell.replace(",", "")) in in_cells:
                tag = html[html.rfind("<", 0, match.start() + 1) : match.start() + 1]
                if not (tag.startswith("<a ") and f"/{cell}/" in tag):  # a record's number
                    bare.append(cell)
        if bare:
            problems[url] = f"amounts as bare integers: {sorted(set(bare))[:5]}"
        for href in HREF.findall(html):
            link = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(link)
            if parts.netloc not in ("", "testserver") or SKIP.search(link):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            route = _route(parts.path)
            if link not in seen and per_route[route] < PER_ROUTE:
                per_route[route] += 1
                came_from.setdefault(link, url)
                queue.append(link)
    return problems, routes


@pytest.mark.parametrize("email", ["finance@example.org", "fundraising@example.org"])
def test_every_staff_page_opens_and_shows_money_as_money(world, client, email):
    user = User.objects.get(email=email)
    login_with_second_factor(client, user)
    pages = ["/"] + _admin_pages(user)
    problems, routes = _walk(client, pages)
    may_open = {name for name, perm in CUSTOM_PAGES.items() if perm is None or user.has_perm(perm)}
    assert may_open - routes == set()  # every page of theirs, reached by its links
    assert len(routes) > 100, len(routes)  # the walk really went through the back office
    assert not problems, "\n".join(f"{url}: {said}" for url, said in sorted(problems.items()))

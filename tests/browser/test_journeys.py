"""Whole jobs, done as people do them, in Chromium: finance enters and closes a deposit,
fundraising records a sponsorship, a donor fetches a receipt, a sponsor reads a report."""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from accounts.mfa import totp_code_now
from donors.models import Donor, Fund

pytestmark = pytest.mark.browser


def _sign_in_staff(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    for _ in range(2):  # a code is used once: an earlier journey may have just used this one
        page.fill("input[name=code]", totp_code_now(DEMO_TOTP_SECRET))
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        if "/2fa/" not in page.url:
            break
        time.sleep(30 - time.time() % 30 + 1)  # the next code
    page.wait_for_url(f"{url}/")


def _sign_in_with_code(page, url: str, email: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_role("link", name=re.compile("code", re.I)).first.click()
    page.fill("input[name=email]", email)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    body = mail.outbox[-1].body
    code = body.split("browser window.")[1].strip().splitlines()[0].strip()
    page.fill("input[name=code]", code)
    page.click("form button[type=submit]")


def _choose(page, select_id: str, text: str) -> None:
    """Pick `text` in one of the admin's autocomplete (select2) fields."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.locator(".select2-results__option", has_text=text).first.click()


def _usd_this_month(page, url: str) -> Decimal:
    page.goto(f"{url}/")
    card = page.locator(".card", has_text="USD this month").locator(".big").inner_text()
    return Decimal(re.sub(r"[^\d.]", "", card))


def test_finance_enters_a_batch_of_three_gifts_splits_one_closes_it_and_sees_the_totals(
    page, journey_world
):
    url = journey_world.url
    _sign_in_staff(page, url, "finance@example.org")
    before = _usd_this_month(page, url)
    today = timezone.localdate().isoformat()

    page.goto(f"{url}/admin/donors/giftbatch/add/")
    page.fill("input[name=reference]", "DEP-JOURNEY-1")
    page.fill("input[name=deposited_on]", today)
    page.select_option("select[name=method]", "cheque")
    page.fill("input[name=currency]", "USD")
    page.fill("input[name=expected_count]", "3")
    page.fill("input[name=expected_total_text]", "350.00")
    page.click("input[name=_continue]")
    page.wait_for_selector("text=Gifts on the slip")

    donors = Donor.objects.filter(merged_into=None).exclude(last_name="").order_by("pk")[:3]
    for i, (donor, amount) in enumerate(zip(donors, ["100.00", "200.00", "50.00"], strict=True)):
        _choose(page, f"id_gifts-{i}-donor", donor.last_name)
        page.fill(f"input[name=gifts-{i}-amount_text]", amount)
        page.select_option(f"select[name=gifts-{i}-fund]", str(Fund.objects.get(code="GEN").pk))
        page.fill(f"input[name=gifts-{i}-received_on]", today)
        page.select_option(f"select[name=gifts-{i}-method]", "cheque")
    page.click("input[name=_continue]")
    page.wait_for_selector("text=✓ 3 · $350.00")

    # The $200.00 cheque is for two funds: split it on the gift's page before closing.
    page.locator("tr", has_text="$200.00").locator(
        "a.inlineviewlink, a.inlinechangelink"
    ).first.click()
    page.fill("input[name=allocations-0-amount_text]", "150.00")
    page.click("text=Add another Gift allocation")
    _choose(page, "id_allocations-1-fund", "HFMA-PRIZE")
    page.fill("input[name=allocations-1-amount_text]", "50.00")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto(f"{url}/admin/donors/giftbatch/?q=DEP-JOURNEY-1")
    page.get_by_role("link", name="DEP-JOURNEY-1").first.click()
    page.click("text=Close batch and post its gifts")
    page.wait_for_selector("text=is closed; its gifts are posted")
    assert _usd_this_month(page, url) == before + Decimal("350.00")
    page.goto(f"{url}/")
    by_fund = page.locator("h2:has-text('Gifts posted by fund') + p + table").inner_text()
    assert "Human Freedom Music Awards prize pool" in by_fund


def test_fundraising_records_an_agreement_with_a_benefit_and_its_schedule(page, journey_world):
    from sponsorships.models import Agreement

    url = journey_world.url
    _sign_in_staff(page, url, "fundraising@example.org")
    page.goto(f"{url}/admin/sponsorships/agreement/add/")
    _choose(page, "id_sponsor", "Soundwave")
    page.fill("input[name=title]", "HFMA 2027 stage sponsorship")
    page.fill("input[name=currency]", "USD")
    page.fill("input[name=amount_text]", "12000.00")
    start = timezone.localdate().replace(day=1) + dt.timedelta(days=40)
    page.fill("input[name=starts_on]", start.replace(day=1).isoformat())
    page.fill("input[name=ends_on]", (start.replace(day=1) + dt.timedelta(days=360)).isoformat())
    page.select_option("select[name=status]", "signed")
    page.fill("input[name=benefits-0-description]", "Logo on the award stage")
    page.fill("input[name=benefits-0-fair_market_value_text]", "150.00")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto(f"{url}/admin/sponsorships/agreement/?q=HFMA+2027")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "schedule_quarterly")
    page.click("button[name=index]")
    page.wait_for_selector("text=quarterly schedule built")
    agreement = Agreement.objects.get(title="HFMA 2027 stage sponsorship")
    assert agreement.amount == 1_200_000 and agreement.benefits.get().fair_market_value == 15_000
    page.goto(f"{url}/sponsorships/agreements/{agreement.pk}/")
    text = page.inner_text("main")
    assert text.count("$3,000.00") >= 4 and "Logo on the award stage" in text


def test_a_donor_signs_in_with_a_code_and_downloads_a_receipt(page, journey_world):
    url = journey_world.url
    _sign_in_with_code(page, url, "donor@example.org")
    _download_a_receipt(page, url)


def test_a_donor_from_a_stripe_checkout_signs_in_with_a_code_and_gets_the_receipt(
    page, journey_world
):
    """Nobody linked this donor to a sign-in: the code request makes it."""
    from donors.models import Gift
    from receipts.services import receipt_issue

    gift = Gift.objects.get(donor__email="riley.fan@example.net")
    assert gift.donor.user is None
    receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=None)  # finance issues it
    url = journey_world.url
    _sign_in_with_code(page, url, "riley.fan@example.net")
    page.wait_for_url(f"{url}/me/")
    assert "Thank you, Riley Brooks" in page.inner_text("main")
    _download_a_receipt(page, url)


def _download_a_receipt(page, url: str) -> None:
    page.wait_for_url(f"{url}/me/")
    link = page.get_by_role("link", name=re.compile("receipt|PDF|Download", re.I)).first
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_sponsor_opens_a_published_impact_report(page, journey_world):
    url = journey_world.url
    _sign_in_with_code(page, url, "sponsor@example.org")
    page.goto(f"{url}/sponsor/reports/")
    page.get_by_role("link", name=re.compile("Impact report for")).first.click()
    text = page.inner_text("main")
    assert "Impact report for" in text and re.search(r"\d", text)

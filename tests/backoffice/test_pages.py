"""Staff pages: what they show, and a number of queries that does not grow with the rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donors.models import Gift
from tests.conftest import login_with_second_factor
from tests.factories import CampaignFactory, DonorFactory, FundFactory, UserFactory, posted_gift

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "/",
    "/admin/donors/gift/",
    "/admin/donors/gift/?received=2026",
    "/admin/donors/gift/?q=Silva",
    "/admin/donors/donor/",
    "/admin/donors/giftbatch/",
    "/admin/donors/recurringplan/",
    "/admin/donors/possibleduplicate/",
]


def _gifts(n: int) -> None:
    fund, campaign = FundFactory(), CampaignFactory()
    for i in range(n):
        posted_gift(amount=1000 + i, campaign=campaign if i % 2 else None, fund=fund,
                    on=timezone.localdate() - dt.timedelta(days=i * 20))  # fmt: skip


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", LIST_PAGES)
def test_list_pages_run_a_constant_number_of_queries(admin_client_mfa, path):
    _gifts(3)
    few = _queries(admin_client_mfa, path)
    _gifts(30)
    assert _queries(admin_client_mfa, path) == few


def test_the_staff_home_shows_totals_by_fund_and_campaign_and_a_chart(admin_client_mfa):
    general, award = FundFactory(code="GEN", name="General"), FundFactory(code="AW", name="Prize")
    hfma = CampaignFactory(name="Music award")
    today = timezone.localdate()
    posted_gift(amount=12_345, fund=general, on=today)
    posted_gift(amount=50_000, fund=award, campaign=hfma, on=today)
    posted_gift(
        amount=999_99, fund=general, on=today.replace(month=1, day=1) - dt.timedelta(days=1)
    )
    posted_gift(amount=7_000, currency="EUR", fund=general, on=today)
    page = admin_client_mfa.get("/").content.decode()
    assert "$623.45" in page  # this month in USD
    assert "€70.00" in page
    assert "Music award" in page and "Prize" in page
    assert "<svg" in page and "Posted gifts per month in USD" in page
    by_fund = page.split("Gifts posted by fund")[1].split("Gifts posted by campaign")[0]
    assert "$999.99" not in by_fund  # last year's gift is not in this year


def test_the_gift_list_does_not_count_the_whole_table(admin_client_mfa):
    _gifts(3)
    with CaptureQueriesContext(connection) as captured:
        admin_client_mfa.get("/admin/donors/gift/")
    counts = [
        q["sql"] for q in captured if "COUNT(" in q["sql"].upper() and "donors_gift" in q["sql"]
    ]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def test_adding_a_gift_in_the_admin_refuses_a_split_that_does_not_add_up(admin_client_mfa):
    donor, fund = DonorFactory(), FundFactory()
    data = {
        "donor": donor.pk, "amount_text": "50.00", "currency": "USD", "received_on": "2026-11-02",
        "method": "cheque", "fmv_text": "",
        "allocations-TOTAL_FORMS": "1", "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "1", "allocations-MAX_NUM_FORMS": "1000",
        "allocations-0-fund": fund.pk, "allocations-0-amount_text": "40.00",
    }  # fmt: skip
    response = admin_client_mfa.post(reverse("admin:donors_gift_add"), data)
    assert response.status_code == 200
    assert "adds up to $40.00 but the gift is $50.00" in response.content.decode()
    assert Gift.objects.count() == 0
    data["allocations-0-amount_text"] = "50.00"
    response = admin_client_mfa.post(reverse("admin:donors_gift_add"), data)
    assert response.status_code == 302
    gift = Gift.objects.get()
    assert (gift.amount, gift.status, gift.allocations.get().amount) == (5000, "posted", 5000)


def test_the_admin_form_names_a_zero_amount_and_an_unknown_currency(admin_client_mfa):
    donor, fund = DonorFactory(), FundFactory()
    data = {
        "donor": donor.pk, "amount_text": "0", "currency": "ZZZ", "received_on": "2026-11-02",
        "method": "cheque", "allocations-TOTAL_FORMS": "1", "allocations-INITIAL_FORMS": "0",
        "allocations-MIN_NUM_FORMS": "1", "allocations-MAX_NUM_FORMS": "1000",
        "allocations-0-fund": fund.pk, "allocations-0-amount_text": "0",
    }  # fmt: skip
    response = admin_client_mfa.post(reverse("admin:donors_gift_add"), data)
    errors = response.context["adminform"].form.errors
    assert "Unknown currency" in str(errors["currency"])
    assert Gift.objects.count() == 0


def test_a_posted_gift_shows_its_money_read_only_in_the_admin(admin_client_mfa):
    gift = posted_gift(amount=2500)
    page = admin_client_mfa.get(reverse("admin:donors_gift_change", args=[gift.pk])).content
    assert b'name="amount_text"' not in page and b"$25.00" in page


def test_a_donor_sees_only_their_own_gifts_and_others_get_404(client):
    mine, theirs = DonorFactory(), DonorFactory()
    posted_gift(donor=mine, amount=4_200)
    posted_gift(donor=theirs, amount=9_900)
    user = UserFactory()
    mine.user = user
    mine.save()
    client.force_login(user)
    page = client.get(reverse("my_gifts")).content.decode()
    assert "$42.00" in page and "$99.00" not in page
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("my_gifts")).status_code == 404


def test_the_donor_page_runs_a_constant_number_of_queries(client):
    donor = DonorFactory(user=UserFactory())
    client.force_login(donor.user)
    posted_gift(donor=donor)
    few = _queries(client, reverse("my_gifts"))
    for _ in range(10):
        posted_gift(donor=donor, fund=FundFactory(code="MAT", name="Programme"))
    assert _queries(client, reverse("my_gifts")) == few


def test_closing_a_batch_from_its_page(finance_client, finance_user):
    from donors.services import batch_open

    batch = batch_open(reference="DEP-9", deposited_on=dt.date(2026, 11, 2), currency="USD",
                       expected_count=1, expected_total=500, by=finance_user)  # fmt: skip
    url = reverse("admin:donors_giftbatch_close", args=[batch.pk])
    assert finance_client.get(url).status_code == 405
    response = finance_client.post(url, follow=True)
    assert "0 gifts entered, the slip says 1" in response.content.decode()
    donor, fund = DonorFactory(), FundFactory()
    change = reverse("admin:donors_giftbatch_change", args=[batch.pk])
    data = {
        "reference": "DEP-9", "deposited_on": "2026-11-02", "method": "cheque", "currency": "USD",
        "expected_count": "1", "expected_total_text": "5.00", "note": "",
        "gifts-TOTAL_FORMS": "1", "gifts-INITIAL_FORMS": "0", "gifts-MIN_NUM_FORMS": "0",
        "gifts-MAX_NUM_FORMS": "1000", "gifts-0-donor": donor.pk, "gifts-0-amount_text": "5.00",
        "gifts-0-fund": fund.pk, "gifts-0-received_on": "2026-11-02", "gifts-0-method": "cheque",
        "gifts-0-external_reference": "CHQ-1",
    }  # fmt: skip
    assert finance_client.post(change, data).status_code == 302
    assert batch.gifts.get().status == Gift.Status.PENDING
    finance_client.post(url)
    batch.refresh_from_db()
    assert batch.status == "closed" and batch.gifts.get().status == Gift.Status.POSTED


def test_a_read_only_user_cannot_add_gifts(client):
    from django.contrib.auth.models import Group

    viewer = UserFactory(is_staff=True)
    viewer.groups.add(Group.objects.get(name="read-only"))
    login_with_second_factor(client, viewer)
    assert client.get("/admin/donors/gift/").status_code == 200
    assert client.get(reverse("admin:donors_gift_add")).status_code == 403


def test_the_gift_list_drills_down_by_year_and_month_and_searches_exactly(admin_client_mfa):
    ana = DonorFactory(last_name="Okafor", email="ana@example.net")
    march = posted_gift(donor=ana, amount=1111, on=dt.date(2025, 3, 9), external_reference="CHQ-77")
    posted_gift(amount=2222, on=dt.date(2025, 7, 1))
    posted_gift(amount=3333, on=dt.date(2024, 7, 1))

    def listed(query: str) -> set[int]:
        response = admin_client_mfa.get(f"/admin/donors/gift/?{query}")
        return {g.pk for g in response.context["cl"].result_list}

    assert len(listed("received=2025")) == 2
    assert listed("received=2025-03") == {march.pk}
    page = admin_client_mfa.get("/admin/donors/gift/?received=2025").content.decode()
    assert "March 2025" in page and "July 2025" in page
    for term in ("CHQ-77", "ana@example.net", "ANA@example.net", "okafor", str(march.pk)):
        assert listed(f"q={term}") == {march.pk}, term


def test_a_recurring_plan_is_entered_in_major_units(admin_client_mfa):
    from donors.models import RecurringPlan

    donor, fund = DonorFactory(), FundFactory()
    data = {"donor": donor.pk, "amount_text": "15.00", "currency": "EUR", "interval": "month",
            "status": "active", "method": "card", "fund": fund.pk,
            "started_on": "2026-01-05"}  # fmt: skip
    response = admin_client_mfa.post(reverse("admin:donors_recurringplan_add"), data)
    assert response.status_code == 302
    plan = RecurringPlan.objects.get()
    assert (plan.amount, plan.currency, str(plan)) == (1500, "EUR", "€15.00 monthly")


def test_a_posted_gift_can_take_a_note_but_not_a_new_amount(admin_client_mfa):
    gift = posted_gift(amount=2500)
    url = reverse("admin:donors_gift_change", args=[gift.pk])
    data = {"campaign": "", "tribute_type": "", "tribute_name": "", "soft_credit_donor": "",
            "external_reference": "", "notes": "Thanked by phone", "amount_text": "99.00",
            "allocations-TOTAL_FORMS": "1", "allocations-INITIAL_FORMS": "1",
            "allocations-MIN_NUM_FORMS": "1", "allocations-MAX_NUM_FORMS": "1000",
            "allocations-0-id": gift.allocations.get().pk,
            "allocations-0-gift": gift.pk}  # fmt: skip
    response = admin_client_mfa.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    gift.refresh_from_db()
    assert (gift.notes, gift.amount) == ("Thanked by phone", 2500)


def test_the_home_page_and_sponsorships_name_their_totals_the_same_way(admin_client_mfa):
    from backoffice.branding import TOTALS_GLOSSARY

    home = admin_client_mfa.get("/").content.decode()
    funds = admin_client_mfa.get(reverse("sponsorships_overview")).content.decode()
    for page in (home, funds):  # each total's definition, word for word, on both pages
        assert TOTALS_GLOSSARY["gifts_posted"].replace("'", "&#x27;") in page
        assert TOTALS_GLOSSARY["received"] in page

"""`make demo`: the demo sponsor signs in with an e-mailed code and sees its agreement."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from donors.demo import seed_demo
from sponsorships.demo import SPONSOR_LOGIN, seed_sponsorships
from sponsorships.models import Agreement, Instalment, Sponsor

pytestmark = pytest.mark.django_db


def test_the_demo_sponsor_signs_in_with_a_code_and_sees_its_agreement(client):
    today = timezone.localdate()
    seed_demo(today=today, donors=40, gifts=120)
    assert seed_sponsorships(today=today) == SPONSOR_LOGIN
    assert set(Sponsor.objects.values_list("kind", flat=True)) == set(Sponsor.Kind.values)
    states = {i.state for i in Instalment.objects.select_related("agreement")}
    assert {"settled", "part paid", "overdue", "due"} <= states
    pool = Agreement.objects.get(title__contains="prize pool")
    assert pool.instalments.count() == 12
    # Its letters state the agreement's benefits and its verdict (2.75 %: substantial).
    from sponsorships.models import AcknowledgementLetter
    from sponsorships.selectors import benefit_share

    letters = AcknowledgementLetter.objects.filter(payment__sponsor=pool.sponsor, status="issued")
    assert letters and benefit_share(pool)["flagged"]
    assert all(x.benefits_value > 0 and x.substantial for x in letters)

    client.post(reverse("account_request_login_code"), {"email": SPONSOR_LOGIN})
    code = mail.outbox[-1].body.split("browser window.")[1].strip().splitlines()[0].strip()
    assert client.post(reverse("account_confirm_login_code"), {"code": code}).status_code == 302
    page = client.get("/", follow=True)
    assert page.redirect_chain[-1][0] == reverse("sponsor_portal")
    assert "Human Freedom Music Awards prize pool" in page.content.decode()

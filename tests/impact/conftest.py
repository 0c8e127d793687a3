import datetime as dt

import pytest

from donors.models import Campaign, Fund
from impact.models import Metric, Subject
from impact.services import integration_create


@pytest.fixture
def programme(db):
    """The teen-awareness campaign and the music award's prize fund, each a subject."""
    mat = Campaign.objects.create(code="mat", name="Models Against Trafficking",
                                  starts_on=dt.date(2020, 1, 10))  # fmt: skip
    prize = Fund.objects.create(code="HFMA-PRIZE", name="Music award prize pool",
                                is_restricted=True, gl_account="4200")  # fmt: skip
    return {
        "mat": Subject.objects.create(key="mat", name="Models Against Trafficking",
                                      kind=Subject.Kind.CAMPAIGN, campaign=mat),
        "prize": Subject.objects.create(key="hfma-prize", name="Music award prize pool",
                                        kind=Subject.Kind.FUND, fund=prize),
        "teens": Metric.objects.create(key="teens_reached", name="Teens reached", unit="teens",
                                       combine="sum", method="Unique teen accounts shown "
                                       "the lessons.", cost_label="Cost per teen reached"),
        "followers": Metric.objects.create(key="model_followers", name="Followers of "
                                           "participating models", unit="followers",
                                           combine="latest", method="Sum of followers."),
    }  # fmt: skip


@pytest.fixture
def token(programme):
    return integration_create(name="Measurement system", key="measure")[1]

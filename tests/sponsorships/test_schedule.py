"""Instalment schedules add up exactly, for any amount, currency and count."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.money import currency_exponent
from sponsorships.schedule import (
    Frequency,
    Remainder,
    add_months,
    schedule_dates,
    split_amount,
)

CURRENCIES = ["USD", "CAD", "EUR", "JPY", "KRW", "BHD", "ISK"]


@given(
    total=st.integers(min_value=0, max_value=10**13),
    count=st.integers(min_value=1, max_value=120),
    remainder=st.sampled_from(list(Remainder)),
    currency=st.sampled_from(CURRENCIES),
    whole_units=st.booleans(),
)
def test_a_split_adds_up_exactly_for_any_amount_currency_and_count(
    total, count, remainder, currency, whole_units
):
    unit = 10 ** currency_exponent(currency) if whole_units else 1  # whole dollars, whole yen
    amounts = split_amount(total=total, count=count, remainder=remainder, unit=unit)
    assert len(amounts) == count and sum(amounts) == total and min(amounts) >= 0
    # All but one are whole units, and they differ by at most one unit.
    assert sum(a % unit != 0 for a in amounts) <= 1
    whole = [a - a % unit for a in amounts]
    assert max(whole) - min(whole) <= unit
    # The stated rule: the larger ones come first (or last).
    ordered = amounts if remainder == Remainder.FIRST else amounts[::-1]
    assert ordered == sorted(ordered, reverse=True)


def test_the_remainder_goes_where_the_rule_says():
    assert split_amount(total=1_000_000, count=3) == [333_334, 333_333, 333_333]
    assert split_amount(total=1_000_000, count=3, remainder=Remainder.LAST) == [
        333_333, 333_333, 333_334,
    ]  # fmt: skip
    # In whole dollars: $3,333.33 each would not be whole; the odd cents go on the first.
    assert split_amount(total=1_000_000, count=3, unit=100) == [333_400, 333_300, 333_300]
    assert split_amount(total=100_000_000, count=7) == [14_285_715] * 2 + [14_285_714] * 5


def test_dates_run_every_period_and_keep_to_the_month_end():
    assert schedule_dates(starts_on=dt.date(2026, 1, 31), ends_on=dt.date(2026, 6, 30),
                          frequency=Frequency.MONTHLY) == [
        dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30),
        dt.date(2026, 5, 31), dt.date(2026, 6, 30),
    ]  # fmt: skip
    assert len(schedule_dates(starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2028, 12, 31),
                              frequency=Frequency.YEARLY)) == 3  # fmt: skip
    assert add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
    with pytest.raises(ValueError):
        schedule_dates(starts_on=dt.date(2026, 2, 1), ends_on=dt.date(2026, 1, 1),
                       frequency=Frequency.YEARLY)  # fmt: skip

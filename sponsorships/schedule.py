"""Instalment schedules: dates from the agreement's span and frequency, and amounts that
add up to the agreement's total exactly, in any currency (amounts are minor units, so a
zero-decimal currency such as JPY is no different)."""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum


class Frequency(StrEnum):
    YEARLY = "yearly"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"


class Remainder(StrEnum):
    """Where the minor units left over by an uneven split go."""

    FIRST = "first"  # on the first instalments (the sponsor pays the odd cents up front)
    LAST = "last"  # on the last ones


MONTHS = {Frequency.YEARLY: 12, Frequency.QUARTERLY: 3, Frequency.MONTHLY: 1}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule_dates(*, starts_on: dt.date, ends_on: dt.date, frequency: Frequency) -> list[dt.date]:
    """Due dates from the start, every period, while within the agreement."""
    if ends_on < starts_on:
        raise ValueError("The agreement ends before it starts.")
    step = MONTHS[Frequency(frequency)]
    dates, k = [], 0
    while (due := add_months(starts_on, k * step)) <= ends_on:
        dates.append(due)
        k += 1
    return dates


def split_amount(
    *, total: int, count: int, remainder: Remainder = Remainder.FIRST, unit: int = 1
) -> list[int]:
    """`count` amounts adding up to `total` exactly. Each is a multiple of `unit` (say 100
    for whole dollars) but one: the remainder rule puts what is left (less than `count`
    units plus less than one unit) on the first or the last instalments, one unit each,
    and the odd minor units on the first or last instalment itself."""
    if count < 1:
        raise ValueError("A schedule has at least one instalment.")
    if total < 0 or unit < 1:
        raise ValueError("The total is not negative and the unit is at least 1.")
    units, odd = divmod(total, unit)
    base, extra_units = divmod(units, count)
    amounts = [base * unit] * count
    order = range(count) if remainder == Remainder.FIRST else range(count - 1, -1, -1)
    order = list(order)
    for i in order[:extra_units]:
        amounts[i] += unit
    amounts[order[0]] += odd
    return amounts

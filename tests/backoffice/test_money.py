from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from backoffice.money import (
    currency_exponent,
    format_money,
    parse_amount,
    to_major,
    validate_currency,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("25.00", "USD", 2500), ("25", "USD", 2500), ("0.01", "EUR", 1), ("1500", "JPY", 1500),
     ("1.234", "KWD", 1234), ("100", "KRW", 100), ("12.00", "ISK", 1200)],
)  # fmt: skip
def test_parse_amount_uses_the_currency_minor_unit(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [("12.345", "USD", "more decimals than USD allows"), ("10.5", "JPY", "more decimals"),
     ("-5.00", "USD", "negative"), ("abc", "USD", "not a number"),
     ("1,000.00", "USD", "not a number"),
     ("", "USD", "missing"), ("1e3", "USD", "not a number")],
)  # fmt: skip
def test_parse_amount_refuses_with_a_reason(text, currency, message):
    with pytest.raises(ValueError, match=message):
        parse_amount(text, currency)


def test_unknown_currencies_are_refused():
    validate_currency("GBP")
    for bad in ("ZZZ", "usd", "US", "XXX", ""):
        with pytest.raises(ValidationError, match="Unknown currency"):
            validate_currency(bad)


def test_formatting_follows_the_locale():
    assert format_money(123450, "USD", "en") == "$1,234.50"
    assert format_money(123450, "EUR", "fr").replace("\u202f", " ").replace("\xa0", " ") == (
        "1 234,50 €"
    )
    assert format_money(1500, "JPY", "en") == "¥1,500"


@given(
    minor=st.integers(min_value=1, max_value=10**15),
    currency=st.sampled_from(["USD", "EUR", "GBP", "JPY", "KRW", "KWD", "BHD", "CLP"]),
)
def test_major_and_minor_round_trip_exactly(minor, currency):
    major = to_major(minor, currency)
    assert isinstance(major, Decimal)
    assert major.as_tuple().exponent == -currency_exponent(currency)
    assert parse_amount(str(major), currency) == minor

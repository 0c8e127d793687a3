import re
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


@pytest.mark.parametrize(("typed", "currency", "language", "minor"), [
    ("1234.50", "USD", "en", 123450),
    ("1,234.50", "USD", "en", 123450),
    ("$1,234.50", "USD", "en", 123450),
    ("1 234,50", "EUR", "fr", 123450),
    ("1.234,50", "EUR", "de", 123450),
    ("1234", "JPY", "en", 1234),
    ("0.125", "KWD", "en", 125),
])  # fmt: skip
def test_people_type_amounts_the_way_their_language_writes_them(typed, currency, language, minor):
    from backoffice.money import parse_typed_amount

    assert parse_typed_amount(typed, currency, locale=language) == minor


@pytest.mark.parametrize(("typed", "currency", "said"), [
    ("12,00", "USD", "is not a number (write it like 1234.50)"),
    ("1234.5", "JPY", "more decimals than JPY allows (0)"),
    ("-5", "USD", "is negative"),
    ("abc", "USD", "is not a number"),
])  # fmt: skip
def test_a_mistyped_amount_says_what_is_wrong(typed, currency, said):
    from backoffice.money import parse_typed_amount

    with pytest.raises(ValueError, match=re.escape(said)):
        parse_typed_amount(typed, currency, locale="en")


def test_a_stored_amount_is_shown_back_as_the_language_types_it():
    from django.utils import translation

    from backoffice.forms import major_text

    assert major_text(123450, "USD") == "1234.50" and major_text(1234, "JPY") == "1234"
    with translation.override("fr"):
        assert major_text(123450, "EUR") == "1234,50"

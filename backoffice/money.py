"""Money as Stripe sends it: an integer in the currency's minor unit plus an ISO 4217 code.

Never a float. Babel (CLDR) knows each currency's number of decimals (JPY none, KWD three)
and formats amounts in the reader's locale.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import format_currency, get_currency_precision, list_currencies
from django.core.exceptions import ValidationError
from django.utils import translation

# Where Stripe's minor unit differs from CLDR's: Stripe takes ISK with two (always zero)
# decimals for backwards compatibility. Amounts must mean what Stripe means.
_STRIPE_EXPONENT_OVERRIDES = {"ISK": 2}

# CLDR also lists withdrawn and testing codes; these are not money anyone can give.
_NOT_GIVABLE = {"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR"}

_DECIMAL_RE = re.compile(r"^\d+(\.\d+)?$")


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(c for c in list_currencies() if len(c) == 3 and c not in _NOT_GIVABLE)


def is_known_currency(code: str) -> bool:
    return code in known_currencies()


def validate_currency(code: str) -> None:
    """Model and form validator: a three-letter ISO 4217 code that CLDR knows."""
    if not is_known_currency(code):
        raise ValidationError(
            "Unknown currency %(code)r: use an ISO 4217 code such as USD, EUR or GBP.",
            code="unknown_currency",
            params={"code": code},
        )


@cache
def currency_exponent(code: str) -> int:
    """Number of decimals of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    if code in _STRIPE_EXPONENT_OVERRIDES:
        return _STRIPE_EXPONENT_OVERRIDES[code]
    return get_currency_precision(code)


def parse_amount(text: str, currency: str) -> int:
    """'1234.50' in USD -> 123450. Raises ValueError with a message fit for a person.

    Only plain decimals are accepted: no thousands separators, signs or currency symbols,
    because '1,234' means one thing in London and another in Paris.
    """
    text = text.strip()
    if not text:
        raise ValueError("amount is missing")
    if text.startswith("-"):
        raise ValueError(f"amount {text!r} is negative; amounts must be greater than zero")
    if not _DECIMAL_RE.match(text):
        raise ValueError(f"amount {text!r} is not a number (write it like 1234.50)")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already checked
        raise ValueError(f"amount {text!r} is not a number") from exc
    exponent = currency_exponent(currency)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(f"amount {text!r} has more decimals than {currency} allows ({exponent})")
    return int(minor)


def parse_typed_amount(text: str, currency: str, *, locale: str | None = None) -> int:
    """An amount a person typed into a form, the way their language writes numbers:
    '1,234.50' or '$1,234.50' in English, '1 234,50' in French, '1.234,50' in German. The
    grouping must be right ('12,00' in English is refused, not read as 1200), and the
    currency's own decimals are the most allowed (none for JPY). Files (CSV imports,
    bank statements) keep `parse_amount`'s one plain format."""
    from babel.numbers import (
        NumberFormatError,
        get_currency_symbol,
        get_group_symbol,
        parse_decimal,
    )

    loc = _babel_locale(locale)
    typed = text.strip()
    for mark in sorted({get_currency_symbol(currency, locale=loc), currency}, key=len,
                       reverse=True):  # fmt: skip
        typed = typed.replace(mark, "")
    typed = typed.strip()
    if not typed:
        raise ValueError("amount is missing")
    if typed.startswith("-"):
        raise ValueError(f"amount {text.strip()!r} is negative; amounts must be greater than zero")
    group = get_group_symbol(loc)
    if group.isspace():  # French groups with a narrow space; people type an ordinary one
        typed = re.sub(r"\s", group, typed)
    try:
        value = parse_decimal(typed, locale=loc, strict=True)
    except NumberFormatError:
        example = format_major(Decimal("1234.50"), "EUR", locale=locale)
        raise ValueError(
            f"amount {text.strip()!r} is not a number (write it like {example})"
        ) from None
    exponent = currency_exponent(currency)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(
            f"amount {text.strip()!r} has more decimals than {currency} allows ({exponent})"
        )
    if minor < 0:
        raise ValueError(f"amount {text.strip()!r} is negative; amounts must be greater than zero")
    return int(minor)


def format_major(value: Decimal, currency: str, *, locale: str | None = None) -> str:
    """A major-unit amount as a person types it back: the language's decimal mark, the
    currency's decimals, no grouping ('1234,50' in French, '1234' in JPY)."""
    from babel.numbers import format_decimal

    exponent = currency_exponent(currency)
    pattern = "0" + ("." + "0" * exponent if exponent else "")
    return format_decimal(value, format=pattern, locale=_babel_locale(locale))


def to_major(minor: int, currency: str) -> Decimal:
    """123450 USD -> Decimal('1234.50'); exact, for display and exports."""
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def _babel_locale(locale: str | None) -> str:
    language = locale or translation.get_language() or "en"
    return translation.to_locale(language)


def format_money(minor: int, currency: str, locale: str | None = None) -> str:
    """123450, 'USD' -> '$1,234.50' in English, '1 234,50 $US' in French."""
    return format_currency(to_major(minor, currency), currency, locale=_babel_locale(locale))


def money_label(amount: int | None, currency: str) -> str:
    """`format_money` for labels of records that may not be valid yet (an unknown currency
    shows its raw figures; no amount shows a dash), so that __str__ and messages never fail."""
    if amount is None:
        return "—"
    if not is_known_currency(currency or ""):
        return f"{amount} {currency}"
    return format_money(amount, currency)

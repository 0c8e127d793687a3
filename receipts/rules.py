"""What each jurisdiction requires before a receipt may be issued, and how it counts the
advantage. `check` refuses a receipt that would break a rule, naming the gift and the rule.

United States (IRS Publication 1771): a written acknowledgement for gifts of $250 or more;
for a payment over $75 made partly for goods or services, the receipt must say that only
the amount above their fair market value is deductible; non-cash property is described,
never valued.

Canada (CRA, official donation receipts): receipts are in Canadian dollars and name the
donor's address; no receipt when the advantage is more than 80 % of the gift; an advantage
of not more than the lesser of $75 and 10 % of the gift is disregarded (the CRA's de
minimis rule: "not more than", so exactly $75 or 10 % is still disregarded).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from donors.models import Gift

US_ACKNOWLEDGEMENT_THRESHOLD = 25_000  # cents: $250
US_QUID_PRO_QUO_THRESHOLD = 7_500  # cents: $75
CA_DE_MINIMIS_CAP = 7_500  # cents: $75
CA_DE_MINIMIS_SHARE = 10  # per cent
CA_ADVANTAGE_LIMIT = 80  # per cent
# The currency each jurisdiction's receipts are in: a gift in another currency is outside
# its receipting (no automatic receipt, not waiting for one, not on a statement).
RECEIPT_CURRENCY = {"CA": "CAD", "US": "USD"}
RECEIPTS_ARE = {"CA": "Canadian receipts are in CAD", "US": "US acknowledgements are in USD"}


@dataclass(frozen=True)
class ReceiptedGift:
    gift: Gift
    amount: int  # what the organisation kept (gift less refunds)
    advantage: int  # the advantage as the receipt counts it


def counted(gift: Gift, *, jurisdiction: str) -> ReceiptedGift:
    amount = gift.kept_amount
    advantage = min(gift.fair_market_value, amount)
    if jurisdiction == "CA" and advantage <= min(
        CA_DE_MINIMIS_CAP, amount * CA_DE_MINIMIS_SHARE // 100
    ):
        advantage = 0
    return ReceiptedGift(gift=gift, amount=amount, advantage=advantage)


# What the receipts of each jurisdiction must say of the organisation itself: the CRA's
# official receipts name the charity as registered, its address, its registration number,
# the place of issue and who signs; an IRS acknowledgement names the organisation and its EIN.
REQUIRED_DETAILS = {
    "CA": {
        "legal_name": "its name as registered", "address": "its address as registered",
        "registration_number": "its charity registration number",
        "place_of_issue": "the place of issue", "signatory_name": "who signs the receipts",
    },
    "US": {"legal_name": "its legal name", "ein": "its EIN"},
}  # fmt: skip


def organisation_problems(organisation, *, jurisdiction: str) -> list[str]:
    """The organisation's own details that the jurisdiction's receipts need and it lacks."""
    missing = [
        what for field, what in REQUIRED_DETAILS.get(jurisdiction, {}).items()
        if not str(getattr(organisation, field) or "").strip()
    ]  # fmt: skip
    if not missing:
        return []
    return [f"the organisation's details lack {', '.join(missing)}: receipts are not issued"]


def check(*, jurisdiction: str, lines: list[ReceiptedGift], donor, organisation) -> None:
    """Raise ValidationError with every reason the receipt may not be issued."""
    problems: list[str] = organisation_problems(organisation, jurisdiction=jurisdiction)
    for line in lines:
        gift = line.gift
        if (
            gift.method in (Gift.Method.IN_KIND, Gift.Method.STOCK)
            and not gift.property_description
        ):
            problems.append(f"gift #{gift.pk} is in kind: describe the property first")
        if gift.currency != RECEIPT_CURRENCY.get(jurisdiction, gift.currency):
            problems.append(f"gift #{gift.pk} is in {gift.currency}: {RECEIPTS_ARE[jurisdiction]}")
        if jurisdiction == "CA" and line.advantage * 100 > line.amount * CA_ADVANTAGE_LIMIT:
            problems.append(
                f"gift #{gift.pk}: the advantage is more than {CA_ADVANTAGE_LIMIT} % of the "
                "gift, so no official receipt may be issued"
            )
    if jurisdiction == "CA" and not (donor.address_line1 and donor.city):
        problems.append(f"{donor} has no address: a Canadian receipt must show it")
    if problems:
        raise ValidationError(problems)


def needs_quid_pro_quo_disclosure(*, jurisdiction: str, total: int, advantage: int) -> bool:
    """US: a payment over $75 made partly for goods or services."""
    return jurisdiction == "US" and total > US_QUID_PRO_QUO_THRESHOLD and advantage > 0


def problems_for(gift: Gift, *, jurisdiction: str, organisation) -> list[str]:
    """What would stop a receipt for this one gift now (empty: it can be issued)."""
    if not jurisdiction:
        return ["the organisation has no jurisdiction set: receipts are not issued"]
    try:
        check(jurisdiction=jurisdiction, lines=[counted(gift, jurisdiction=jurisdiction)],
              donor=gift.donor, organisation=organisation)  # fmt: skip
    except ValidationError as exc:
        return exc.messages
    return []


def receipted_in(gift: Gift, *, jurisdiction: str) -> bool:
    """Whether the jurisdiction receipts gifts in this gift's currency."""
    return gift.currency == RECEIPT_CURRENCY.get(jurisdiction)


JURISDICTION_NAMES = {"US": "the United States", "CA": "Canada"}


def why_no_receipt_now(*, amount: int, currency: str, organisation) -> str:
    """Why a gift of `amount` gets no receipt when it is posted, in one sentence for the
    donor (empty: it gets one). Said on the thanks page and in the thank-you e-mail."""
    jurisdiction = organisation.jurisdiction
    if not jurisdiction:
        return "We do not issue tax receipts."
    receipt_currency = RECEIPT_CURRENCY.get(jurisdiction)
    if currency != receipt_currency:
        from babel.numbers import get_currency_name

        name = get_currency_name(currency, count=2, locale="en")
        return (f"Gifts in {name} are not tax-receipted in {JURISDICTION_NAMES[jurisdiction]}, "
                "so no receipt comes for this one.")  # fmt: skip
    floor = organisation.auto_receipt_threshold
    if jurisdiction == "US":
        floor = min(floor, US_ACKNOWLEDGEMENT_THRESHOLD)
    if amount < floor:
        from backoffice.money import format_money

        return (f"Gifts under {format_money(floor, currency)} are acknowledged together in "
                "your year-end statement, not one by one.")  # fmt: skip
    return ""


def receipt_will_print_address(*, amount: int, currency: str, organisation) -> bool:
    """Whether a gift of `amount` will get a receipt that prints the donor's postal address:
    every Canadian one (a receipt when posted, or the year-end statement), and any receipt
    issued when the gift is posted (at or above the threshold; US gifts from $250)."""
    jurisdiction = organisation.jurisdiction
    if not jurisdiction or currency != RECEIPT_CURRENCY.get(jurisdiction):
        return False
    if jurisdiction == "CA":
        return True
    floor = organisation.auto_receipt_threshold
    if jurisdiction == "US":
        floor = min(floor, US_ACKNOWLEDGEMENT_THRESHOLD)
    return amount >= floor


def needs_receipt_automatically(gift: Gift, *, jurisdiction: str, threshold: int) -> bool:
    """Whether posting this gift issues its receipt at once: in the jurisdiction's currency,
    at or above the organisation's threshold, and for US gifts always from $250
    (Publication 1771) and for every quid pro quo payment over $75, whose disclosure is due
    when the payment is received (IRC 6115), whatever the threshold."""
    if not receipted_in(gift, jurisdiction=jurisdiction):
        return False
    if jurisdiction == "US" and (
        gift.kept_amount >= US_ACKNOWLEDGEMENT_THRESHOLD
        or needs_quid_pro_quo_disclosure(
            jurisdiction=jurisdiction, total=gift.kept_amount, advantage=gift.fair_market_value
        )
    ):
        return True
    return gift.kept_amount >= threshold

"""The staff menu, grouped by job, showing only what the person's role may open (each entry
names the permission its page checks)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

# (group, [(label, url name, permission the page requires)])
STAFF_MENU: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("Gifts", [
        ("Gifts", "admin:donors_gift_changelist", "donors.view_gift"),
        ("Deposit batches", "admin:donors_giftbatch_changelist", "donors.view_giftbatch"),
        ("Import a file", "gift_import_new", "donors.add_giftimport"),
        ("Recurring plans", "admin:donors_recurringplan_changelist", "donors.view_recurringplan"),
        ("Online payments", "admin:payments_payment_changelist", "payments.view_payment"),
    ]),
    ("Receipts", [
        ("Receipts", "admin:receipts_receipt_changelist", "receipts.view_receipt"),
        ("Waiting for a receipt", "waiting_for_receipt", "receipts.view_receipt"),
        ("Year-end statements", "statement_runs", "receipts.view_statementrun"),
    ]),
    ("Books", [
        ("Stripe payouts", "reconciliation", "payments.view_payout"),
        ("Bank", "bank_lines", "reconciliation.view_bankline"),
        ("Ledger", "ledger_home", "ledger.view_entry"),
        ("Close the month", "periods", "reconciliation.view_period"),
    ]),
    ("Fundraising", [
        ("Donors", "admin:donors_donor_changelist", "donors.view_donor"),
        ("Campaigns", "admin:donors_campaign_changelist", "donors.view_campaign"),
        ("Sponsorships", "sponsorships_overview", "sponsorships.view_agreement"),
        ("Impact", "impact_overview", "impact.view_report"),
    ]),
]  # fmt: skip


@dataclass(frozen=True)
class Entry:
    label: str
    url: str


def staff_menu(user) -> list[tuple[str, list[Entry]]]:
    groups = []
    for title, entries in STAFF_MENU:
        shown = [
            Entry(label, reverse(name)) for label, name, perm in entries if user.has_perm(perm)
        ]
        if shown:
            groups.append((title, shown))
    return groups

"""Random sequences of money moving (gifts, voids, Stripe payments with refunds and disputes,
payouts, deposit batches, sponsor payments and their later application, prizes paid out)
each with its bank line, some short by a fee. After every step: the ledger balances in
each currency, re-deriving it from the documents gives the ledger as posted, and once
every bank line is matched the bank account in the ledger says what the statement says."""

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from donors.models import Gift
from donors.services import batch_close, batch_open, gift_record, gift_void
from ledger import services as ledger
from ledger.audit import ledger_differences
from ledger.models import Account, Line
from payments.handlers import mirror_refund, payout_upsert
from payments.models import Dispute, Payment
from reconciliation.bank import (
    bank_auto_match,
    bank_match_manual,
    bank_matches_accept,
    proposed_matches,
    unmatched_lines,
)
from reconciliation.models import BankAccount, BankLine, BankStatementImport
from sponsorships.services import disbursement_record, payment_apply, payment_record
from tests.factories import DonorFactory, FundFactory, UserFactory, agreement

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)
amounts = st.integers(min_value=100, max_value=500_000)
counter = itertools.count(1)


class Books(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.user = UserFactory(is_superuser=True, is_staff=True)
        self.general = FundFactory(code="GEN", gl_account="4000")
        self.pool = FundFactory(code="AWARD", gl_account="4200", is_restricted=True)
        self.account = BankAccount.objects.create(name="Checking", currency="USD",
                                                  match_tolerance=50)  # fmt: skip
        self.statement = BankStatementImport.objects.create(account=self.account,
                                                            file_name="s", sha256="x")  # fmt: skip
        self.fees = Account.objects.get(code="6150")
        self.gifts, self.payments, self.credits = [], [], []
        self.deal = agreement(amount=400_000, fund=self.pool, frequency="quarterly")

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _bank_line(self, amount: int, fee: int = 0) -> None:
        """The statement's line for money in or out (short by a bank fee, sometimes)."""
        BankLine.objects.create(account=self.account, statement=self.statement, booked_on=DAY,
                                amount=amount - fee, fingerprint=f"f{next(counter)}")  # fmt: skip

    @rule(amount=amounts, method=st.sampled_from(["cheque", "cash", "bank_transfer"]),
          restricted=st.booleans())  # fmt: skip
    def offline_gift(self, amount, method, restricted):
        fund = self.pool if restricted else self.general
        if method == "bank_transfer":
            gift = gift_record(gift=Gift(donor=DonorFactory(), amount=amount, currency="USD",
                                         received_on=DAY, method=method),
                               split=[(fund, amount)], by=self.user)  # fmt: skip
            self._bank_line(amount)
        else:  # cheques and cash go to the bank in a deposit batch
            batch = batch_open(reference=f"DEP-{next(counter)}", deposited_on=DAY, currency="USD",
                               expected_count=1, expected_total=amount, by=self.user)  # fmt: skip
            gift = gift_record(gift=Gift(donor=DonorFactory(), amount=amount, currency="USD",
                                         received_on=DAY, method=method, batch=batch),
                               split=[(fund, amount)], by=self.user)  # fmt: skip
            batch_close(batch=batch, by=self.user)
            self._bank_line(amount)
        self.gifts.append(gift)

    @rule(data=st.data())
    def void_a_batched_gift(self, data):
        # A bounced cheque: the gift is void, and the bank takes the deposit back.
        batched = [g for g in self.gifts if g.batch_id and g.status == "posted"]
        if not batched:
            return
        gift = data.draw(st.sampled_from(batched))
        gift_void(gift=gift, reason="bounced", by=self.user)
        self._bank_line(-gift.amount)

    @rule(amount=amounts, fee=st.integers(min_value=0, max_value=900))
    def stripe_payment_paid_out(self, amount, fee):
        gift = Gift(donor=DonorFactory(), amount=amount, currency="USD", received_on=DAY,
                    method="card")  # fmt: skip
        gift.paid_through_stripe = True
        gift_record(gift=gift, split=[(self.general, amount)], by=None)
        fee = min(fee, amount - 1)
        payment = Payment.objects.create(
            gift=gift, payment_intent_id=f"pi_{next(counter)}", charge_id=f"ch_{next(counter)}",
            amount=amount, currency="USD", fee=fee, net=amount - fee, settlement_currency="USD",
            paid_at=timezone.now(),
        )  # fmt: skip
        ledger.post_payment(payment)
        self.payments.append(payment)
        self._payout(amount - fee)

    def _payout(self, amount: int, bank_fee: int = 0) -> None:
        if amount == 0:
            return
        stamp = int(dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.UTC).timestamp())
        payout_upsert({"id": f"po_{next(counter)}", "amount": amount, "currency": "usd",
                       "status": "paid", "arrival_date": stamp, "created": stamp})  # fmt: skip
        self._bank_line(amount, bank_fee)

    @rule(data=st.data(), dispute=st.booleans())
    def money_back(self, data, dispute):
        open_ones = [p for p in self.payments if not p.refunds.exists() and not p.disputes.exists()]
        if not open_ones:
            return
        payment = data.draw(st.sampled_from(open_ones))
        amount = data.draw(st.integers(min_value=1, max_value=payment.amount))
        if dispute:
            row = Dispute.objects.create(dispute_id=f"du_{next(counter)}", payment=payment,
                                         amount=amount, currency="USD", status="lost",
                                         funds_withdrawn=True, created=timezone.now())  # fmt: skip
            ledger.post_dispute(row)
        else:
            mirror_refund(
                payment=payment,
                refund={
                    "id": f"re_{next(counter)}",
                    "amount": amount,
                    "currency": "usd",
                    "status": "succeeded",
                },
            )
        self._payout(-amount)  # Stripe takes it back from the next payout: a debit

    @rule(amount=amounts, applied=st.integers(min_value=0, max_value=100_000),
          bank_fee=st.integers(min_value=0, max_value=50))  # fmt: skip
    def sponsor_wire(self, amount, applied, bank_fee):
        first = self.deal.instalments.order_by("number").first()
        share = min(applied, amount, first.open_amount)
        payment = payment_record(sponsor=self.deal.sponsor, amount=amount, currency="USD",
                                 received_on=DAY, method="wire", by=self.user,
                                 apply_to=[(first, share)] if share else [])  # fmt: skip
        self.credits.append(payment)
        self._bank_line(amount, bank_fee)

    @rule(data=st.data())
    def apply_a_credit(self, data):
        with_credit = [p for p in self.credits if p.credit]
        if not with_credit:
            return
        payment = data.draw(st.sampled_from(with_credit))
        instalment = next((i for i in self.deal.instalments.order_by("number") if i.open_amount),
                          None)  # fmt: skip
        if instalment:
            payment_apply(
                payment=payment,
                instalment=instalment,
                amount=min(payment.credit, instalment.open_amount),
                by=self.user,
            )
            payment.refresh_from_db()

    @rule(share=st.integers(min_value=1, max_value=100))
    def prize_paid_out(self, share):
        from sponsorships.selectors import fund_position

        available = fund_position(fund=self.pool).get("USD", {}).get("available", 0)
        amount = available * share // 100
        if amount:
            disbursement_record(fund=self.pool, amount=amount, currency="USD", paid_on=DAY,
                                payee="Winner", purpose="Prize", by=self.user)  # fmt: skip
            self._bank_line(-amount)

    @rule()
    def reconcile(self):
        bank_auto_match(account=self.account)
        bank_matches_accept(matches=list(proposed_matches()), by=self.user)
        for line in unmatched_lines(limit=1000):
            if line.candidates:
                c = line.candidates[0]
                bank_match_manual(lines=[line], by=self.user, note="bank fee",
                                  difference_account=self.fees if c["difference"] else None,
                                  **{c["kind"]: [c["item"]]})  # fmt: skip

    @invariant()
    def balanced_per_currency(self):
        off = Line.objects.values("currency").annotate(t=Sum("amount")).exclude(t=0)
        assert not off

    @invariant()
    def the_rebuild_equals_the_ledger(self):
        assert ledger_differences() == []

    @invariant()
    def matched_bank_equals_the_statement(self):
        lines = BankLine.objects.filter(account=self.account, is_split=False)
        if lines.filter(match__isnull=True).exists():
            return
        statement = lines.aggregate(t=Sum("amount"))["t"] or 0
        books = Line.objects.filter(account__code="1000").aggregate(t=Sum("amount"))["t"] or 0
        assert books == statement


def test_the_books_hold_whatever_happens():
    run_state_machine_as_test(Books, settings=settings(
        max_examples=12, stateful_step_count=10, deadline=None,
        suppress_health_check=list(HealthCheck),
    ))  # fmt: skip

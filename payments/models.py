"""What Stripe told us, kept so that every cent it saw can be traced to a gift exactly once.

- StripeEvent: the webhook inbox. Each event is stored once (unique on Stripe's id) as the
  verified body, then processed by a task; failures are kept with their error for a retry.
- Donation: what a donor asked for on the donation page, until Stripe says it is paid.
- StripeCustomer: the link from a Stripe customer to our donor.
- Payment: one successful Stripe payment and the gift it became, with Stripe's fee, net,
  balance transaction and exchange rate (the line a payout is reconciled against).
- Refund, Dispute: money going back, mirrored from Stripe (Stripe is the source of truth).
- Payout: Stripe's transfers to the bank, stored for reconciliation.
"""

from __future__ import annotations

from django.db import models

from backoffice.money import money_label, validate_currency


class StripeEvent(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # stored, waiting for the task
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"  # nothing for us to do (a type we do not handle)
        WAITING = "waiting", "Waiting"  # about a payment not recorded yet; runs again then
        FAILED = "failed", "Failed"  # kept with its error; retry from the admin

    stripe_id = models.CharField("event id", max_length=100, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="The id of the event's object."
    )
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    body = models.TextField(help_text="The request body exactly as Stripe signed it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    waiting_for = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="The payment this event waits for."
    )
    outcome = models.CharField(max_length=300, blank=True, help_text="What processing did.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="stripe_event_status")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"


class EventQueue(models.Model):
    """One row: whether a drain of received events is already queued. Webhook deliveries
    then queue one task between them instead of one each (see services.events_drain)."""

    drain_pending = models.BooleanField(default=False)
    drain_queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "drain queued" if self.drain_pending else "idle"


class Donation(models.Model):
    """One visit to the donation page that went on to Stripe Checkout."""

    class Frequency(models.TextChoices):
        ONCE = "once", "One-off"
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    class Status(models.TextChoices):
        CREATED = "created", "Created"  # ours; Stripe not reached yet (or was down)
        OPEN = "open", "At checkout"
        AWAITING_PAYMENT = "awaiting", "Awaiting payment"  # bank debits settle later
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"
        EXPIRED = "expired", "Expired"

    campaign = models.ForeignKey("donors.Campaign", on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey("donors.Fund", on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField(help_text="The gift the donor chose.")
    fee_cover = models.PositiveBigIntegerField(
        default=0, help_text="Added by the donor to cover the processing fee."
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    frequency = models.CharField(max_length=5, choices=Frequency.choices)
    tribute_type = models.CharField(max_length=8, blank=True)
    tribute_name = models.CharField(max_length=200, blank=True)
    referral_code = models.CharField(max_length=40, blank=True)
    donor = models.ForeignKey(
        "donors.Donor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CREATED)
    form_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        help_text="Drawn into the form: a double submit is one donation.",
    )
    checkout_session_id = models.CharField(max_length=100, blank=True)
    subscription_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="donation_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["checkout_session_id"],
                condition=~models.Q(checkout_session_id=""),
                name="donation_checkout_session_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Donation #{self.pk} · {self.total_display} {self.get_frequency_display().lower()}"

    @property
    def total(self) -> int:
        return self.amount + self.fee_cover

    @property
    def total_display(self) -> str:
        return money_label(self.total, self.currency)

    @property
    def idempotency_key(self) -> str:
        return f"donation-{self.pk}-checkout"


class StripeCustomer(models.Model):
    customer_id = models.CharField(max_length=100, unique=True)
    donor = models.ForeignKey(
        "donors.Donor", on_delete=models.PROTECT, related_name="stripe_customers"
    )
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.customer_id


class Payment(models.Model):
    """A successful Stripe payment and the gift it became: the thread from a payout line
    (balance transaction) to the gift and back."""

    gift = models.OneToOneField("donors.Gift", on_delete=models.PROTECT, related_name="payment")
    donation = models.ForeignKey(
        Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    payment_intent_id = models.CharField(max_length=100, unique=True)
    charge_id = models.CharField(max_length=100, blank=True, db_index=True)
    invoice_id = models.CharField(max_length=100, blank=True, db_index=True)
    subscription_id = models.CharField(max_length=100, blank=True)
    balance_transaction_id = models.CharField(max_length=100, blank=True, db_index=True)
    amount = models.PositiveBigIntegerField(help_text="What the donor paid.")
    currency = models.CharField(max_length=3)
    fee = models.BigIntegerField(
        null=True, blank=True, help_text="Stripe's fee, settlement currency."
    )
    net = models.BigIntegerField(null=True, blank=True, help_text="What Stripe pays out.")
    settlement_currency = models.CharField(max_length=3, blank=True)
    exchange_rate = models.DecimalField(
        max_digits=20, decimal_places=10, null=True, blank=True,
        help_text="Stripe's rate from the donor's currency to the settlement currency.",
    )  # fmt: skip
    amount_refunded = models.PositiveBigIntegerField(default=0)
    disputed_amount_lost = models.PositiveBigIntegerField(default=0)
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge_id"],
                condition=~models.Q(charge_id=""),
                name="payment_charge_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_intent_id} · {self.amount_display}"

    @property
    def amount_display(self) -> str:
        return money_label(self.amount, self.currency)

    @property
    def fee_display(self) -> str:
        return money_label(self.fee, self.settlement_currency)

    @property
    def net_display(self) -> str:
        return money_label(self.net, self.settlement_currency)


class Refund(models.Model):
    refund_id = models.CharField(max_length=100, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=30)
    reason = models.CharField(max_length=100, blank=True)
    balance_transaction_id = models.CharField(max_length=100, blank=True, db_index=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.refund_id} · {money_label(self.amount, self.currency)} ({self.status})"


class RefundRequest(models.Model):
    """A refund staff asked for from the back office. Its id makes the idempotency key, so
    a double click or a retried task never refunds twice."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refund_requests")
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=200)
    refund_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_request_positive")
        ]

    def __str__(self) -> str:
        return f"Refund request #{self.pk} · {money_label(self.amount, self.payment.currency)}"

    @property
    def idempotency_key(self) -> str:
        return f"refund-{self.pk}"


class Dispute(models.Model):
    """A chargeback. Funds are withdrawn when it opens and reinstated if we win."""

    dispute_id = models.CharField(max_length=100, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=30)
    reason = models.CharField(max_length=100, blank=True)
    funds_withdrawn = models.BooleanField(default=False)
    funds_reinstated = models.BooleanField(default=False)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.dispute_id} · {money_label(self.amount, self.currency)} ({self.status})"


class Payout(models.Model):
    payout_id = models.CharField(max_length=100, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    arrival_date = models.DateField()
    reconciliation_status = models.CharField(max_length=20, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-arrival_date", "-id"]

    def __str__(self) -> str:
        return f"{self.payout_id} · {money_label(self.amount, self.currency)} ({self.status})"

"""What happens to gifts, for the apps built on donors (receipts listens) without donors
knowing them. Sent inside the service's transaction: a receiver's writes commit or roll
back with the change itself."""

from django.dispatch import Signal

gift_posted = Signal()  # gift=, by=
gift_money_returned = Signal()  # gift=, by= : refunded (in part or whole) or voided
donors_merged = Signal()  # merge=, keep=, by= : the gifts of `merge` now belong to `keep`
# Sent before a gift is written (recorded, posted, voided, changed): a receiver refuses the
# change by raising ValidationError (reconciliation does, for a closed month).
gift_changing = Signal()  # gift=, by=

# Stripe fixtures shared with the payments tests (the fake at the HTTP layer, signed delivery).
from tests.payments.conftest import deliver_all, fake_stripe, webhook_secret  # noqa: F401

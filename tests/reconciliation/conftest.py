# The fake Stripe at the HTTP layer, shared with the payments tests.
from tests.payments.conftest import fake_stripe, webhook_secret  # noqa: F401

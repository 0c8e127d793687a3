from tests.payments.conftest import campaign, deliver_all, fake_stripe, webhook_secret  # noqa: F401

from tests.payments.conftest import campaign, deliver_all, offline, webhook_secret  # noqa: F401

"""What a process that serves people checks before it starts."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_start() -> None:
    """No web server or worker without a secret key of its own once DEBUG is off: the
    development key is in this repository, and signs sessions and password-reset links."""
    development = settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY
    if development and not settings.DEBUG and not settings.RUNNING_TESTS:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env) to a long random "
            "value, or set DEBUG=1 on a development machine."
        )

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
application = get_wsgi_application()

from backoffice.startup import refuse_insecure_start  # noqa: E402 - settings are loaded now

refuse_insecure_start()

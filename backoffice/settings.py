"""The one settings module. Every value that differs between a laptop and production comes
from the environment (or a `.env` file beside manage.py); see README "Configuration".

Defaults give the embedded set-up: SQLite, the database task backend, e-mail to the console.
"""

import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A development key stands in for commands that serve nobody (migrate, makemigrations,
# shell) and under the test suite; the web server (wsgi/asgi) and the task worker refuse
# to start without DEBUG and without SECRET_KEY (backoffice/startup.py), rather than sign
# sessions and password-reset links with a key anybody can read here.
DEVELOPMENT_SECRET_KEY = "django-insecure-dev-only-key-change-me"
RUNNING_TESTS = "pytest" in sys.modules
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind TLS in production: HTTPS=1 turns on every transport-security setting at once.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "django_filters",
    "backoffice",  # before django_tasks_db: its db_worker command is ours (busy-proof)
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "donors",
    "payments",
    "receipts",
    "sponsorships",
    "reconciliation",
    "ledger",
    "impact",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backoffice.middleware.RefuseNulInParameters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.branding.brand",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker use the file at the same time; a
    # busy timeout waits for the other writer instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20),
            "transaction_mode": "IMMEDIATE",
            # A 64 MB page cache (2 MB by default): an import's inserts keep a dozen indexes
            # of the gifts table in memory rather than reading their pages back.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
            ),
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("SQLITE_TEST_NAME", default="")
    if not DATABASES["default"]["TEST"]["NAME"]:
        del DATABASES["default"]["TEST"]["NAME"]
# Keep connections between requests and between tasks: a task worker calls
# close_old_connections() around every task, and reconnecting (with SQLite's PRAGMAs, or a
# PostgreSQL handshake) cost more than many a task.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process (the sign-in rate limits live here: a per-process memory cache
# let a second server process take more wrong passwords). The database by default;
# CACHE_URL=redis://127.0.0.1:6379/1 for Redis. Its table is made by a migration.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# --- django-allauth -----------------------------------------------------------------
ACCOUNT_ADAPTER = "backoffice.account_adapters.BrandedAccountAdapter"
MFA_ADAPTER = "backoffice.account_adapters.BrandedMFAAdapter"
# A donor on record who asks for a code gets a sign-in made on the spot (donors/forms.py).
ACCOUNT_FORMS = {"request_login_code": "donors.forms.DonorLoginCodeForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_BY_CODE_ENABLED = True  # donors sign in with an e-mailed code
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    # Codes by e-mail: a few a minute and an hour per address, and per IP, so that a code
    # cannot be guessed by asking for new ones (each allows three tries).
    "request_login_code": "20/m/ip,60/h/ip,3/m/key,10/h/key",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="")  # empty: the organisation's name

# --- tasks -----------------------------------------------------------------------------
# TASK_BACKEND: "db" (default, worker: manage.py db_worker), "rq" (Redis, worker:
# manage.py rqworker), or "immediate" (runs in the calling process; tests).
TASK_BACKEND = env.str("TASK_BACKEND", default="db")
_TASK_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
}
TASKS = {"default": _TASK_BACKENDS[TASK_BACKEND]}
if TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")}}
    # django-tasks-rq needs its own Job class in the worker; set here so that a plain
    # `manage.py rqworker` works.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# --- e-mail ----------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":  # noqa: F821 (just set)
    # The same, able to send to internationalised addresses (SMTPUTF8).
    EMAIL_BACKEND = "backoffice.email_addresses.SMTPEmailBackend"
elif EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821
    EMAIL_BACKEND = "backoffice.email_addresses.ConsoleEmailBackend"  # attachments named
# A bare address goes out under the organisation's name (backoffice.branding.sender); a
# "Name <address>" is used as it is.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="office@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Stripe (used from the Stripe issue on) -------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
# More than one during a secret rotation. In DEBUG (the demo) a local-only secret stands in,
# so that `manage.py stripe_simulate` can sign its events.
STRIPE_WEBHOOK_SECRETS = env.list(
    "STRIPE_WEBHOOK_SECRET", default=["whsec_demo_local_only"] if DEBUG else []
)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# A dotted path to a stripe.HTTPClient subclass: the tests' fake Stripe at the HTTP layer.
STRIPE_HTTP_CLIENT = env.str("STRIPE_HTTP_CLIENT", default="")
# Seconds a signed webhook stays acceptable (Stripe's own default is 300).
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# What "cover the processing fee" adds: a percentage plus a fixed part per currency (minor
# units), e.g. "USD:30,CAD:30,EUR:25,GBP:20". Currencies not listed get the percentage only.
STRIPE_FEE_PERCENT = env.str("STRIPE_FEE_PERCENT", default="2.9")
STRIPE_FEE_FIXED = env.dict("STRIPE_FEE_FIXED", cast={"value": int}, default={
    "USD": 30, "CAD": 30, "AUD": 30, "EUR": 25, "GBP": 20, "CHF": 30,
})  # fmt: skip
# Amounts offered on the donation page, in major units of the chosen currency.
DONATION_PRESETS = env.list("DONATION_PRESETS", cast=int, default=[25, 50, 100, 250])
DONATION_CURRENCIES = env.list("DONATION_CURRENCIES", default=["USD", "CAD", "EUR", "GBP"])

# --- i18n ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("de", "Deutsch")]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# The public address of this site: every link and QR code in an e-mail or a PDF starts
# with it (receipts' verification link, portal links). `make demo PORT=8123` sets it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# The organisation's home currency: totals are shown per currency, this one first.
BASE_CURRENCY = env.str("BASE_CURRENCY", default="USD")

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Stored files (receipts' and reports' PDFs, the logo and signature) go under MEDIA_ROOT, or,
# with S3_BUCKET set, to S3 or any S3-compatible object storage (pip install ".[s3]"), which
# a server that comes and goes (a container) needs: the receipts' archive must outlive it.
# They are never served publicly: every download goes through a view that checks who asks.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
                "region_name": env.str("S3_REGION", default="") or None,
                "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
                "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
                "default_acl": "private",
                "file_overwrite": False,  # a second file of the same name gets its own name
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},  # a line per layout step otherwise
        "fontTools": {"level": "WARNING"},  # a line per table of every font subset
    },
}

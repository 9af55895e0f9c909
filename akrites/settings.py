"""Settings for the Akrites portal, all driven by the environment.

Every value a deployment may change is read from an environment variable; the
README's deployment section lists them. Defaults are safe: DEBUG is off and a
production start without SECRET_KEY refuses to run.
"""

import importlib
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default  # unset or empty: the default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The test suite runs on akrites/settings_test.py, which imports this module and then
# switches what tests need; nothing here guesses whether it runs under a test runner.
DEBUG = env_bool("DEBUG", False)

NO_KEY_MESSAGE = (
    "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
    "string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
    "or set DEBUG=1 for local development."
)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"  # noqa: S105
# Without a key, management commands that sign nothing (migrate, makemigrations,
# check) still run; serving refuses at start (akrites/wsgi.py, asgi.py) and anything
# that signs raises Django's own "SECRET_KEY must not be empty".


def require_secret_key() -> None:
    """Refuse a production start without SECRET_KEY, with a message that says what to do.

    Reads the configured settings module, so a module that extends this one
    (settings_test) is judged by its own key. Django's own check would say only "must
    not be empty", and only at the first request that signs something.
    """
    from django.conf import settings  # the configured module, which may extend this one

    if not getattr(importlib.import_module(settings.SETTINGS_MODULE), "SECRET_KEY", ""):
        raise ImproperlyConfigured(NO_KEY_MESSAGE)


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_q",
    "cases",
    "disclosure",
    "disclosure.notifications",
]
# The benchmark harness (bench/README.md: the seed_scale command, no models) is an app
# only where the benchmark runs (`make bench` sets AKRITES_BENCH=1) and in the tests.
if env_bool("AKRITES_BENCH", False):
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cases.audit.AuditRequestMiddleware",
    "cases.accounts.middleware.IdleTimeoutMiddleware",
    "cases.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lockout flagged during sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "akrites.urls"
WSGI_APPLICATION = "akrites.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.context_processors.portal",
                "disclosure.notifications.context_processors.unread",
            ],
        },
    },
]

DATA_DIR = Path(os.environ.get("AKRITES_DATA_DIR", BASE_DIR / ".data"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'akrites.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs the web server and the django-q2 cluster on one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the API and report throttles' counters, the SIRT dashboard's counts
# and django-q2's cluster heartbeat. With several processes (gunicorn workers, several
# machines) it must be shared, or every process counts on its own: REDIS_URL (e.g.
# redis://cache.internal:6379/0) selects Django's own Redis backend. Without it (the
# demo, one process) it is the local-memory cache; `make serve` refuses several
# workers on it unless ALLOW_LOCAL_CACHE=1.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several portals (or the test suite) may share one Redis database.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "akrites"),
            # A Redis that stops answering must not hold a request for long: the
            # throttles then let requests through (cases/ratelimit.py).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (username, IP) pair before any password check.
    "cases.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: its password_changed hook ends the user's API tokens.
    {"NAME": "cases.accounts.sessions.PasswordChangeEndsTokens"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cases:home"
LOGOUT_REDIRECT_URL = "login"

# guardian: no anonymous user row; object permissions only through direct FK tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Development and tests serve static files straight from the finders; production from
# the collected, hashed and compressed STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files live outside every served folder; only access-checked views read them.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", DATA_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    # First: drops a file's bytes past MAX_UPLOAD_BYTES before they are buffered.
    "cases.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Email: console in the demo (DEBUG), SMTP in production, locmem in tests.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds before a silent mail server is given up on (Django's default waits forever):
# the notification sender plans its batches around it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Akrites SIRT <sirt@akrites.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production values are the defaults whenever DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sign out after this many seconds without a request (cases.accounts.middleware).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
# Invitation links (cases/accounts/invitations.py) work once, for this many seconds.
INVITATION_MAX_AGE = env_int("INVITATION_MAX_AGE", 7 * 24 * 3600)

# Reporting without an account (cases/public_intake.py; README, "Reporting without an
# account"): the confirmation link works once, for this many seconds; unconfirmed
# reports are purged after it. Submissions per address and per client IP and hour.
PUBLIC_REPORT_CONFIRM_MAX_AGE = env_int("PUBLIC_REPORT_CONFIRM_MAX_AGE", 48 * 3600)
PUBLIC_REPORT_RATE_PER_ADDRESS = os.environ.get("PUBLIC_REPORT_RATE_PER_ADDRESS", "5/hour")
PUBLIC_REPORT_RATE_PER_IP = os.environ.get("PUBLIC_REPORT_RATE_PER_IP", "20/hour")
# Files of a form sent back with errors are kept this many seconds for the retry.
UPLOAD_STASH_MAX_AGE = env_int("UPLOAD_STASH_MAX_AGE", 3600)
# /.well-known/security.txt (RFC 9116); Expires is computed: now + SECURITY_TXT_DAYS.
SECURITY_TXT_CONTACT = env_list(
    "SECURITY_TXT_CONTACT", f"{SITE_URL}/report/,mailto:security@akrites.invalid"
)
SECURITY_TXT_POLICY = os.environ.get("SECURITY_TXT_POLICY", f"{SITE_URL}/report/")
SECURITY_TXT_LANGUAGES = os.environ.get("SECURITY_TXT_LANGUAGES", "en")
SECURITY_TXT_DAYS = env_int("SECURITY_TXT_DAYS", 180)

# Second factor (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Akrites")

# Brute force (django-axes): lock a (username, client address) pair after repeated
# failures. Behind a reverse proxy set AXES_IPWARE_PROXY_COUNT to the number of proxies
# and the header they set, so the client address is not the proxy's.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", "REMOTE_ADDR"
) or ["REMOTE_ADDR"]
AXES_VERBOSE = False

# Content Security Policy (django-csp 4): no inline script or style anywhere; templates
# keep JavaScript in static/js and CSS in static/css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.api_common.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "cases.api_schema.AkritesAutoSchema",
    # JSON only: the browsable API would be a second, unreviewed HTML surface.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "cases.api_common.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "cases.api_common.StableCursorPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50),
    "EXCEPTION_HANDLER": "cases.api_common.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "cases.api_common.TokenRateThrottle",
        "cases.api_common.AnonymousRateThrottle",
    ],
    # Per token (or per signed-in user, or per address for anonymous calls).
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_THROTTLE_TOKEN", "1200/hour"),
        "anon": os.environ.get("API_THROTTLE_ANON", "300/hour"),
        "report_submit": os.environ.get("API_THROTTLE_REPORT_SUBMIT", "120/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): hashed at rest, expiring, prefixed so secret scanners
# recognise a leaked one. Users choose a lifetime up to API_TOKEN_MAX_DAYS.
REST_KNOX = {
    "TOKEN_PREFIX": "akr_",
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_DEFAULT_DAYS", 90)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
KNOX_TOKEN_MODEL = "knox.AuthToken"  # noqa: S105 - a model name, not a secret
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
# Token creation is throttled per user (cases/tokens.py).
API_TOKEN_CREATE_PER_HOUR = env_int("API_TOKEN_CREATE_PER_HOUR", 20)
API_IDEMPOTENCY_TTL_HOURS = env_int("API_IDEMPOTENCY_TTL_HOURS", 24)
# A request holds its Idempotency-Key for this long before acting; after a crash that
# left no answer, a retry with the same key acts once this has run out (409 before).
API_IDEMPOTENCY_LEASE_SECONDS = env_int("API_IDEMPOTENCY_LEASE_SECONDS", 30)
# Batch and SARIF intake (cases/batches.py): findings per request (more: 422), the
# largest body (more: 413), and up to how many findings a batch is processed within
# the request (more: queued for the task cluster, answered 202).
REPORT_BATCH_MAX_FINDINGS = env_int("REPORT_BATCH_MAX_FINDINGS", 1000)
SARIF_MAX_BYTES = env_int("SARIF_MAX_BYTES", 20 * 1024 * 1024)
REPORT_BATCH_INLINE_MAX = env_int("REPORT_BATCH_INLINE_MAX", 50)
# Dashboard figure: reading time a maintainer saves per report merged as a duplicate.
DUPLICATE_READING_MINUTES = env_int("DUPLICATE_READING_MINUTES", 30)
# How long the SIRT dashboard's portal-wide counts are kept (cases/dashboard.py).
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)
# How long a rendered case page fragment is kept at most (cases/page_cache.py: a change
# to the case makes a new one at once; this bounds names and code changes); 0: never.
CASE_PAGE_CACHE_SECONDS = env_int("CASE_PAGE_CACHE_SECONDS", 300)
# The SIRT's first-response target for a new report (the work queue marks older ones):
# the OpenSSF guide for maintainers asks for an acknowledgement within 1-2 days.
TRIAGE_FIRST_RESPONSE_HOURS = env_int("TRIAGE_FIRST_RESPONSE_HOURS", 48)
# How many rows each section of the SIRT's work queue shows (cases/dashboard.py).
WORK_QUEUE_ROWS = env_int("WORK_QUEUE_ROWS", 5)
SPECTACULAR_SETTINGS = {
    "TITLE": "Akrites API",
    "DESCRIPTION": (
        "Coordinated vulnerability disclosure: submit reports, follow cases, embargoes, "
        "release plans and advisories. Authenticate with `Authorization: Token <secret>` "
        "(create a token on your profile page). Errors share one shape: "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "state" or "status": name each choice set after its class.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "cases.models.CaseState",
        "ReportStatusEnum": "cases.models.ReportStatus",
        "EmbargoStateEnum": "disclosure.models.embargo.EmbargoState",
        "ProposalStateEnum": "disclosure.models.embargo.ProposalState",
        "ReleaseStatusEnum": "disclosure.models.release.ReleaseStatus",
        "DeploymentStatusEnum": "disclosure.models.release.DeploymentStatus",
        "AdvisoryStateEnum": "disclosure.models.advisory.AdvisoryState",
        "VendorStatusValueEnum": "cases.models.vendor_status.VendorStatusValue",
        "VexJustificationEnum": "cases.models.vendor_status.Justification",
    },
}

# django-q2 on the project database (ORM broker). timeout < retry so a task that
# outlives its timeout is killed before the broker would hand it out again.
Q_CLUSTER: dict[str, Any] = {
    "name": "akrites",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 120),
    "retry": env_int("Q_RETRY", 300),
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "poll": 1,
    "label": "Task queue",
}
# A report batch (cases/batches.py) queued or processing that has not moved for this
# long lost its task; the scheduled sweep queues it again and it resumes where it
# stopped. Longer than Q_CLUSTER["timeout"] (which ends any longer task) and "retry"
# (after which the broker hands out an unacknowledged task again). A started batch
# queued again this many times without advancing is marked failed.
REPORT_BATCH_STALL_SECONDS = env_int("REPORT_BATCH_STALL_SECONDS", 3 * Q_CLUSTER["timeout"])
REPORT_BATCH_MAX_RESUMPTIONS = env_int("REPORT_BATCH_MAX_RESUMPTIONS", 3)

# Audit chain (cases/audit.py; README, "Audit trail"). Rows are chained with
# HMAC-SHA256 under AUDIT_CHAIN_KEY, which lives in the environment and never in the
# database: whoever can write the table but lacks the key cannot rewrite it
# consistently. Each row names its key's id, so keys rotate: the new key under a new
# AUDIT_CHAIN_KEY_ID, the old ones in AUDIT_CHAIN_OLD_KEYS ("id:key,id:key") so the
# rows they signed still verify. Unset, a built-in and public development key signs
# (`check --deploy` warns: cases.W001).
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
AUDIT_CHAIN_KEY_ID = os.environ.get("AUDIT_CHAIN_KEY_ID", "1")


def _audit_key_id(key_id: str, name: str) -> str:
    # Stored in every row (32 characters); "insecure-dev" names the built-in key.
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", key_id) or key_id == "insecure-dev":
        raise ImproperlyConfigured(
            f"{name}: {key_id!r} is not a key id (1-32 letters, digits, '.', '_', '-'; "
            "not 'insecure-dev')."
        )
    return key_id


def parse_audit_keys(value: str, current_id: str) -> dict[str, str]:
    """``id:key,id:key`` -> {id: key}; refuses what would make old rows unverifiable."""
    keys: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        key_id, sep, key = item.partition(":")
        if not sep or not key:
            raise ImproperlyConfigured("AUDIT_CHAIN_OLD_KEYS: write each key as id:key.")
        _audit_key_id(key_id, "AUDIT_CHAIN_OLD_KEYS")
        if key_id in keys or key_id == current_id:
            raise ImproperlyConfigured(
                f"AUDIT_CHAIN_OLD_KEYS: key id {key_id!r} is used twice (AUDIT_CHAIN_KEY_ID "
                "must name a new id when the key changes)."
            )
        keys[key_id] = key
    return keys


if AUDIT_CHAIN_KEY:
    _audit_key_id(AUDIT_CHAIN_KEY_ID, "AUDIT_CHAIN_KEY_ID")
AUDIT_CHAIN_OLD_KEYS = parse_audit_keys(
    os.environ.get("AUDIT_CHAIN_OLD_KEYS", ""), AUDIT_CHAIN_KEY_ID if AUDIT_CHAIN_KEY else ""
)
# Anchors: a signed checkpoint of the chain's head (row id, hash, row count, time),
# written every AUDIT_ANCHOR_MINUTES by the task cluster to the log and, when set, to
# an append-only JSON-lines file and by mail, outside the database; verify_audit_chain
# compares the chain with them, so deleting the newest rows is noticed.
AUDIT_ANCHOR_FILE = os.environ.get("AUDIT_ANCHOR_FILE", "")
AUDIT_ANCHOR_EMAIL = env_list("AUDIT_ANCHOR_EMAIL")
AUDIT_ANCHOR_MINUTES = env_int("AUDIT_ANCHOR_MINUTES", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes logs every successful sign-in at INFO; lockouts (WARNING) and the audit trail remain.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Notifications (disclosure/notifications/README.md). Intervals in hours unless named.
NOTIFY_SWEEP_MINUTES = env_int("NOTIFY_SWEEP_MINUTES", 5)
NOTIFY_ACK_REMINDER_HOURS = env_int("NOTIFY_ACK_REMINDER_HOURS", 24)
NOTIFY_ACK_ESCALATION_HOURS = env_int("NOTIFY_ACK_ESCALATION_HOURS", 48)
NOTIFY_EMBARGO_REMINDER_HOURS = [
    int(h) for h in env_list("NOTIFY_EMBARGO_REMINDER_HOURS", "168,48,24")
]
NOTIFY_RELEASE_REMINDER_HOURS = [int(h) for h in env_list("NOTIFY_RELEASE_REMINDER_HOURS", "48,24")]
NOTIFY_DEPLOYMENT_REMINDER_HOURS = env_int("NOTIFY_DEPLOYMENT_REMINDER_HOURS", 168)
NOTIFY_ADVISORY_REVIEW_HOURS = env_int("NOTIFY_ADVISORY_REVIEW_HOURS", 48)
NOTIFY_OVERDUE_GRACE_MINUTES = env_int("NOTIFY_OVERDUE_GRACE_MINUTES", 30)
NOTIFY_CATCH_UP_DAYS = env_int("NOTIFY_CATCH_UP_DAYS", 7)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 60)
NOTIFY_SEND_BATCH = env_int("NOTIFY_SEND_BATCH", 50)
# Seconds one sender task sends for before handing on to the next task; 0 means
# Q_CLUSTER["timeout"] minus a margin, so no sender is killed by its own timeout.
NOTIFY_SEND_BUDGET_SECONDS = env_int("NOTIFY_SEND_BUDGET_SECONDS", 0)
# Longer than Q_CLUSTER["timeout"]: a claimed row is never taken by a second sender
# while the first may still be sending it.
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 300)
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 7)
# Days after an organisation joins a case (or a vulnerability is added) before the sweep
# reminds it, once per vulnerability, to give its vendor status (cases/services/vendor_status.py).
VENDOR_STATUS_REMINDER_DAYS = env_int("VENDOR_STATUS_REMINDER_DAYS", 7)
# Days after a release during which the deadline lines (dashboard, case page, calendar)
# chase a deployer that has not reported; older laggards stay on the release panel.
DEPLOYMENT_FOLLOW_UP_DAYS = env_int("DEPLOYMENT_FOLLOW_UP_DAYS", 90)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 10)
# Local receivers (127.0.0.1) only in development and tests; production refuses
# private, loopback and link-local targets (SSRF).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)

# Case references: AKR-<year>-<nnnn>.
CASE_REFERENCE_PREFIX = os.environ.get("CASE_REFERENCE_PREFIX", "AKR")

# `make bench` only: routes /bench/floor/, the trivial view every scenario is compared to.
BENCH_FLOOR_VIEW = env_bool("BENCH_FLOOR_VIEW", False)

# Advisories (disclosure/README.md "Advisory"): public identifiers and the publisher
# named in CSAF, OSV and CVE files.
ADVISORY_ID_PREFIX = os.environ.get("ADVISORY_ID_PREFIX", "AKRITES")
# OSV record ids, AKRV-<year>-<nnnn>: a namespace of their own, never mistaken for a
# case reference (AKR-...) or an advisory (AKRITES-...); disclosure/README.md, "Identifiers".
OSV_ID_PREFIX = os.environ.get("OSV_ID_PREFIX", "AKRV")
# The CVE Program organisation UUID of our CNA (providerMetadata.orgId in CVE records).
CVE_ORG_ID = os.environ.get("CVE_ORG_ID", "7e1c3d2a-4b5f-4c6d-8e9f-0a1b2c3d4e5f")
CVE_ORG_SHORT_NAME = os.environ.get("CVE_ORG_SHORT_NAME", "Akrites")
CSAF_PUBLISHER_NAME = os.environ.get("CSAF_PUBLISHER_NAME", "Akrites SIRT")
CSAF_PUBLISHER_NAMESPACE = os.environ.get("CSAF_PUBLISHER_NAMESPACE", SITE_URL)
CSAF_PUBLISHER_CATEGORY = os.environ.get("CSAF_PUBLISHER_CATEGORY", "coordinator")
CSAF_PUBLISHER_CONTACT = os.environ.get("CSAF_PUBLISHER_CONTACT", "sirt@akrites.invalid")
# Atom entry ids are tag: URIs (RFC 4151) minted under a domain the publisher held on a
# date; set them once and never change them, or readers see every advisory again.
FEED_TAG_AUTHORITY = os.environ.get("FEED_TAG_AUTHORITY", "akrites.invalid")
FEED_TAG_DATE = os.environ.get("FEED_TAG_DATE", "2026-01-01")
CSAF_PUBLISHER_ISSUING_AUTHORITY = os.environ.get(
    "CSAF_PUBLISHER_ISSUING_AUTHORITY",
    "Akrites coordinates the disclosure of vulnerabilities in open-source projects.",
)

"""Tasklink settings: every value comes from the environment (see README, Configuration)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from asana_sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from config.env import (
    env_bool,
    env_database,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DJANGO_DEBUG-is-on"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
APP_BASE_URL = env_url("APP_BASE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [APP_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "social_django",
    "axes",
    "django_ratelimit",
    "tracker",
    "ingest",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Sentry SDKs' posts go straight to their view from here (ingest/middleware.py).
    "ingest.middleware.SdkEndpointMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxVaryMiddleware",
    "config.middleware.TechnicalNotFoundForStaffMiddleware",
    "integrations.middleware.SocialAuthErrorMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-ratelimit 4.1 predates Django's own RedisCache and calls it unsupported; it is shared
# and increments atomically, which is all ratelimit needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis:// or rediss://")
    CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tasklink",
        }
    }
    # Sessions are read on every page: from Redis, with the database as the durable copy.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Without Redis, rate limits and caches count per process: fine for one process (the
    # demo, tests); production with several workers sets REDIS_URL, and `check --deploy`
    # says so (django_ratelimit.E003) when DEBUG is off.
    if DEBUG:
        SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses to authenticate at all while an IP or account is locked out.
    "axes.backends.AxesStandaloneBackend",
    "tracker.auth.EmailOrUsernameBackend",
    "integrations.asana.backend.AsanaOAuth2",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "issue_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tasklink <tasklink@localhost>")

# Security: secure cookies and HTTPS headers whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
)

# Brute force: django-axes locks an IP address, or an account, after repeated failed logins.
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_MINUTES", 15.0) / 60
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# Failures count against the canonical account (email matched case-insensitively, stripped),
# and a successful log-in clears that account's failures only, never those of others tried
# from the same address (tracker.auth.AccountScopedAxesHandler).
AXES_USERNAME_CALLABLE = "tracker.auth.axes_username"
AXES_HANDLER = "tracker.auth.AccountScopedAxesHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env_bool("DJANGO_BEHIND_PROXY") else ["REMOTE_ADDR"]
)
# Sign-up and password reset: django-ratelimit, per IP address (and per email for resets).
SIGNUP_RATE = env_str("SIGNUP_RATE", "10/h")
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE", "5/h")
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)

# Fernet keys for OAuth tokens at rest: the first encrypts, all decrypt (key rotation).
TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEY", [])

# --- Background work (Celery) -------------------------------------------------------------
# Redis is the broker when REDIS_URL is set; without it tasks run in the calling process
# (task_always_eager), which is what `make demo` on SQLite and `make test` rely on.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged after it ran, and given back to the queue if its worker dies, so a
# SIGKILL mid-task loses nothing; tasks are idempotent to make the redelivery harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds (a worker that died).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300)}
# The queue workers consume and tasks go to: installations sharing one Redis keep apart.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Events the endpoint spooled while no drain could be queued (broker down, a worker
    # killed): stored within this many seconds.
    "ingest-drain-pending": {"task": "ingest.tasks.drain_pending", "schedule": 10.0},
    "ingest-delete-expired-events": {
        "task": "ingest.tasks.delete_expired_events",
        "schedule": 3600.0,
    },
}
# Modules whose tasks the worker must know beyond each app's tasks.py.
CELERY_IMPORTS = [
    "integrations.asana.sync",
    "integrations.asana.webhooks",
    "integrations.comments",
    # Rule firings, regression follow-ups, resolution syncs, bulk runs.
    "integrations.rules.tasks",
]

# --- Ingestion (ingest/) -------------------------------------------------------------------
# A request body, decompressed, and one event item: over these the endpoint answers 413.
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 20 * 1024 * 1024)
INGEST_MAX_EVENT_BYTES = env_int("INGEST_MAX_EVENT_BYTES", 1024 * 1024)
# How long a queued drain task stands for every event spooled after it (see ingest.tasks).
INGEST_DRAIN_FLAG_SECONDS = env_int("INGEST_DRAIN_FLAG_SECONDS", 10)
# Where the endpoint hands accepted events to the worker: `redis` (one RPUSH; the default with
# a broker) or `database` (the PendingEvent spool: an INSERT and its commit per request).
# Without REDIS_URL it is always the database, drained in the request (ingest/queue.py).
INGEST_QUEUE = env_str("INGEST_QUEUE", "redis")
if INGEST_QUEUE not in ("redis", "database"):
    raise ImproperlyConfigured(f"INGEST_QUEUE={INGEST_QUEUE!r} must be redis or database")
INGEST_QUEUE_REDIS_URL = (
    REDIS_URL if INGEST_QUEUE == "redis" and not CELERY_TASK_ALWAYS_EAGER else ""
)
# A batch a worker claimed from the Redis queue and has not finished after this many seconds
# is given back to the queue (its worker died); storing is idempotent, so a slow batch given
# back by mistake is stored once all the same.
INGEST_CLAIM_SECONDS = env_int("INGEST_CLAIM_SECONDS", 60)
# Events older than this are deleted by the hourly beat task; issues keep their counts.
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 90)

# The issue-tracker plugins this Tasklink runs (integrations/registry.py loads them).
TASKLINK_PLUGINS = ["integrations.asana.plugin.plugin"]

# --- Asana -------------------------------------------------------------------------------
# The sandbox (manage.py asana_sandbox) and app.asana.com differ only by ASANA_BASE_URL.
ASANA_BASE_URL = env_url("ASANA_BASE_URL", "https://app.asana.com")
# The sandbox's own app credentials, from the one place they are defined.
SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET = DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
ASANA_CLIENT_ID = env_str("ASANA_CLIENT_ID") or (SANDBOX_CLIENT_ID if DEBUG else "")
ASANA_CLIENT_SECRET = env_str("ASANA_CLIENT_SECRET") or (SANDBOX_CLIENT_SECRET if DEBUG else "")
ASANA_SCOPES = env_list(
    "ASANA_SCOPES",
    [
        "workspaces:read",
        "users:read",
        "tasks:read",
        "tasks:write",
        "stories:write",
        "projects:read",
        "workspaces.typeahead:read",
        # Two-way sync: comments read back, and Tasklink's webhooks (issue 16).
        "stories:read",
        "webhooks:read",
        "webhooks:write",
        "webhooks:delete",
    ],
)
ASANA_CONNECT_TIMEOUT = env_float("ASANA_CONNECT_TIMEOUT", 3.05)
ASANA_READ_TIMEOUT = env_float("ASANA_READ_TIMEOUT", 10.0)
# A GET answered 429/503 is retried once if Asana asks to wait at most this many seconds.
ASANA_MAX_RETRY_WAIT = env_float("ASANA_MAX_RETRY_WAIT", 3.0)
# Webhooks are at most once: the linked tasks that changed are read again this often (Celery
# beat), so a dropped event delays a change by at most this long.
ASANA_RECONCILE_SECONDS = env_int("ASANA_RECONCILE_SECONDS", 600)
CELERY_BEAT_SCHEDULE["asana-reconcile"] = {
    "task": "asana.reconcile",
    "schedule": float(ASANA_RECONCILE_SECONDS),
}
# Each run above reads only what changed, per Asana project; this often every linked task is
# read one by one (a task moved out of the project it was watched in is caught then).
ASANA_FULL_RECONCILE_SECONDS = env_int("ASANA_FULL_RECONCILE_SECONDS", 86400)
CELERY_BEAT_SCHEDULE["asana-reconcile-full"] = {
    "task": "asana.reconcile",
    "schedule": float(ASANA_FULL_RECONCILE_SECONDS),
    "kwargs": {"full": True},
}

# --- social-auth ---------------------------------------------------------------------------
SOCIAL_AUTH_ASANA_KEY = ASANA_CLIENT_ID
SOCIAL_AUTH_ASANA_SECRET = ASANA_CLIENT_SECRET
SOCIAL_AUTH_ASANA_SCOPE = ASANA_SCOPES
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_REDIRECT_IS_HTTPS = APP_BASE_URL.startswith("https://")
SOCIAL_AUTH_SANITIZE_REDIRECTS = True
SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS: list[str] = []
SOCIAL_AUTH_LOGIN_ERROR_URL = "/account/identities/"
SOCIAL_AUTH_NEW_ASSOCIATION_REDIRECT_URL = None
SOCIAL_AUTH_REQUESTS_TIMEOUT = ASANA_READ_TIMEOUT
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "integrations.pipeline.require_logged_in_user",
    "integrations.pipeline.refuse_identity_of_another_user",
    "integrations.identities.remember_connected_account",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.social_auth.associate_user",
    "integrations.pipeline.remember_previous_grant",
    "social_core.pipeline.social_auth.load_extra_data",
    "integrations.pipeline.revoke_previous_grant",
    "integrations.pipeline.clear_reconnect_flag",
    "integrations.asana.sync.remember_scopes",
    "integrations.pipeline.forget_other_identities",
    "integrations.identities.confirm_connection",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes logs every start and every successful log-in at INFO; failures stay WARNING.
        "axes": {"level": "WARNING"},
    },
}

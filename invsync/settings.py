"""Django settings for invsync. Every value that differs between machines comes from the
environment (see README and .env.example); the defaults are safe and need no servers:
SQLite and a broker kept in files under ``var/``."""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from invsync.env import env, env_bool, env_float, env_int, env_list, fernet_keys
from invsync.logconfig import process_log_level

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("INVSYNC_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not env_bool("INVSYNC_INSECURE_DEV_KEY", False):
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off "
            "(set SECRET_KEY, or DEBUG=1 / INVSYNC_INSECURE_DEV_KEY=1 on a developer machine)."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
elif not DEBUG and SECRET_KEY.startswith("change-me"):
    # check --deploy would accept .env.example's long placeholder: refuse it outright.
    raise ImproperlyConfigured(
        "SECRET_KEY is still the placeholder from .env.example: "
        "set it to 50 or more random characters."
    )

# Fernet keys that encrypt the shops' API keys in the database (integrations/encryption.py):
# the first encrypts, every one decrypts. Empty: a key derived from SECRET_KEY is used, which
# suits a first run; set a dedicated key in production (a changed SECRET_KEY would otherwise
# make the stored API keys unreadable). Rotation: docs/DOCKER_QUEUE_WORKERS.md.
INVSYNC_ENCRYPTION_KEYS = fernet_keys("INVSYNC_ENCRYPTION_KEYS", env("INVSYNC_ENCRYPTION_KEYS", ""))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "invsync.apps.AdminConfig",  # django.contrib.admin with the project's site (Pulpit)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_results",
    "django_celery_beat",
    "warehouse",
    "integrations",
]
# The demo (scripts/demo.sh, scripts/admin.sh) is a development tool, installed only on request.
if env_bool("INVSYNC_DEMO", False):
    INSTALLED_APPS.append("demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Polish unless the language cookie says otherwise; Accept-Language is ignored.
    "invsync.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "invsync.urls"
WSGI_APPLICATION = "invsync.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "invsync" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "libraries": {"invsync_admin": "invsync.templatetags.invsync_admin"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'invsync.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if env("DATABASE_TEST_NAME"):
    # Lets several test runs share one PostgreSQL server without sharing a test database.
    DATABASES["default"]["TEST"] = {"NAME": env("DATABASE_TEST_NAME")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, demo) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env("LANGUAGE_CODE", "pl")
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "invsync" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Warsaw")
USE_I18N = True
# "3 378" in Polish, "3,378" in English: every count the panel shows, grouped as people read.
USE_THOUSAND_SEPARATOR = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
# The Docker image has no web server in front of gunicorn that could serve the admin's CSS
# and JS, so there WhiteNoise serves STATIC_ROOT (collected at build time); the image sets
# SERVE_STATIC=1. Off by default: runserver serves static files itself in development.
SERVE_STATIC = env_bool("SERVE_STATIC", False)
if SERVE_STATIC:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }

# Production hardening, switched on by the environment (see docs/DOCKER_QUEUE_WORKERS.md).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("USE_X_FORWARDED_PROTO", False) else None
)

# Celery. The default broker keeps its messages in files under var/broker: it needs no
# server, and a worker in another process on the same machine sees them. Production sets
# CELERY_BROKER_URL to Redis (redis://...) or RabbitMQ (amqp://...).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The file broker polls its folder; 1 s (kombu's default) delays every task.
        "polling_interval": 0.1,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://", "sentinel://")):
    # A worker on both queues asks them in its -Q order (live first) instead of round robin:
    # a drain waiting in integrations_live is taken before any chunk in integrations.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority"}
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "django-db")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "integrations"
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3300, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The longest wait a Retry-After may ask of a retried sync task (seconds, default 15 minutes).
INVSYNC_RETRY_AFTER_MAX = env_int("INVSYNC_RETRY_AFTER_MAX", 900, minimum=1)
# Redis hands an unacknowledged task to another worker after this many seconds. It must not do
# that to a task still running (or waiting for its retry countdown), so it outlasts both; a
# killed worker's work is taken back much sooner by the leases (INVSYNC_LEASE_TIMEOUT).
INVSYNC_BROKER_VISIBILITY_TIMEOUT = env_int(
    "INVSYNC_BROKER_VISIBILITY_TIMEOUT",
    CELERY_TASK_TIME_LIMIT + INVSYNC_RETRY_AFTER_MAX + 300,
    minimum=60,
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://", "sentinel://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": INVSYNC_BROKER_VISIBILITY_TIMEOUT}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Defaults for new integrations, shaped like the old system's config/integrations.php.
INTEGRATIONS = {
    "prestashop": {
        "inventory_sync": {
            "mode": env("INVSYNC_SYNC_MODE", "local_to_presta"),
            "interval_minutes": env_int("INVSYNC_SYNC_INTERVAL_MINUTES", 5, minimum=1),
            "chunk_size": env_int("INVSYNC_SYNC_CHUNK_SIZE", 500, minimum=1),
        },
    },
}
if INTEGRATIONS["prestashop"]["inventory_sync"]["mode"] not in {
    "local_to_presta",
    "prestashop_to_local",
    "disabled",
}:
    raise ImproperlyConfigured(
        "INVSYNC_SYNC_MODE must be local_to_presta, prestashop_to_local or disabled."
    )

# Shared services for the sync engine (rate limiter); empty means in-process fallback.
INVSYNC_REDIS_URL = env("INVSYNC_REDIS_URL", "")
# The rate limiter (integrations/ratelimit). Requests that may start at once after a quiet
# spell; 1 paces strictly evenly, which any leaky bucket (nginx limit_req) in front of a shop
# accepts. Raise it only for a shop whose proxy allows that burst.
INVSYNC_RATELIMIT_BURST = env_int("INVSYNC_RATELIMIT_BURST", 1, minimum=1)
# Share of a shop's rate that bulk work (full sync, pulls) leaves free while live work
# (drains after a stock change) is around; with no live work, bulk may use the whole rate.
INVSYNC_RATELIMIT_LIVE_SHARE = env_float("INVSYNC_RATELIMIT_LIVE_SHARE", 0.2, minimum=0.0)
if INVSYNC_RATELIMIT_LIVE_SHARE > 0.9:
    raise ImproperlyConfigured("INVSYNC_RATELIMIT_LIVE_SHARE must be at most 0.9.")
# Minutes the learned rate ceiling (after a 429) holds before it rises one small step.
INVSYNC_RATELIMIT_PROBE_MINUTES = env_int("INVSYNC_RATELIMIT_PROBE_MINUTES", 60, minimum=1)
# Concurrent requests per shop when the integration's value is automatic and the connection
# test has not measured the shop yet.
INVSYNC_RATELIMIT_CONCURRENCY = env_int("INVSYNC_RATELIMIT_CONCURRENCY", 4, minimum=1)

# The sync engine (integrations/), read at call time.
# Days the sync log (one entry per write or failure) is kept before the periodic drain prunes it.
INVSYNC_LOG_RETENTION_DAYS = env_int("INVSYNC_LOG_RETENTION_DAYS", 30, minimum=1)
# Seconds a drain waits after a stock change commits: a burst of approvals becomes one write.
INVSYNC_DRAIN_DELAY = env_float("INVSYNC_DRAIN_DELAY", 1.0, minimum=0.0)
# Leases: a running chunk or drain renews its lease (its chunk row and its link claims) every
# INVSYNC_LEASE_RENEW_SECONDS; one not renewed for INVSYNC_LEASE_TIMEOUT seconds belongs to a
# worker that is gone: its claims are freed and its chunk is sent again, whatever the broker does.
INVSYNC_LEASE_TIMEOUT = env_int("INVSYNC_LEASE_TIMEOUT", 120, minimum=1)
INVSYNC_LEASE_RENEW_SECONDS = env_float(
    "INVSYNC_LEASE_RENEW_SECONDS", min(10.0, INVSYNC_LEASE_TIMEOUT / 4), minimum=0.1
)
if INVSYNC_LEASE_RENEW_SECONDS * 2 > INVSYNC_LEASE_TIMEOUT:
    raise ImproperlyConfigured(
        "INVSYNC_LEASE_RENEW_SECONDS must be at most half of INVSYNC_LEASE_TIMEOUT, or a live "
        "task would lose its lease between two renewals."
    )
# Seconds before a link that failed is tried again by a drain, doubled after each failure up to
# an hour (then the link needs attention in the panel).
INVSYNC_LINK_RETRY_SECONDS = env_int("INVSYNC_LINK_RETRY_SECONDS", 30, minimum=1)
# Seconds after a write whose answer was lost (timeout, broken connection) before its row is
# read again: longer than the shop's own execution limit, so a late write has landed by then.
INVSYNC_UNCERTAIN_RECHECK = env_int("INVSYNC_UNCERTAIN_RECHECK", 300, minimum=1)
# Per-request retries in the client (INVSYNC_SHOP_RETRIES after 5xx, timeouts and broken
# connections; INVSYNC_SHOP_RATE_LIMIT_RETRIES after a 429). The client waits at most
# INVSYNC_SHOP_RETRY_AFTER_WAIT seconds in the worker; a longer Retry-After goes to the task.
INVSYNC_SHOP_RETRIES = env_int("INVSYNC_SHOP_RETRIES", 2, minimum=0)
INVSYNC_SHOP_RATE_LIMIT_RETRIES = env_int("INVSYNC_SHOP_RATE_LIMIT_RETRIES", 1, minimum=0)
INVSYNC_SHOP_RETRY_AFTER_WAIT = env_float("INVSYNC_SHOP_RETRY_AFTER_WAIT", 30.0, minimum=0.0)
# Re-read written rows in one bulk read to catch writes the shop accepted but did not apply.
INVSYNC_VERIFY_WRITES = env_bool("INVSYNC_VERIFY_WRITES", True)
# Seconds to wait for the shop: to connect, and for each answer.
INVSYNC_SHOP_CONNECT_TIMEOUT = env_float("INVSYNC_SHOP_CONNECT_TIMEOUT", 5.0, minimum=0.1)
INVSYNC_SHOP_READ_TIMEOUT = env_float("INVSYNC_SHOP_READ_TIMEOUT", 30.0, minimum=0.1)
# Seconds a multi-row write may take: the rows per request grow while a write twice as big
# would still finish within this (shared hosts stop PHP after 30 s), and halve on a timeout.
INVSYNC_WRITE_BATCH_SECONDS = env_float("INVSYNC_WRITE_BATCH_SECONDS", 10.0, minimum=0.1)
# Hours after which a full run's chunks that never started count as lost (the run then ends).
INVSYNC_RUN_TIMEOUT_HOURS = env_int("INVSYNC_RUN_TIMEOUT_HOURS", 12, minimum=1)
# Seconds the reservations of shop orders may be old when stock is written to a shop; an older
# read of the shop's orders is refreshed first (one read per shop per interval, not per chunk).
INVSYNC_ORDERS_MAX_AGE = env_float("INVSYNC_ORDERS_MAX_AGE", 5.0, minimum=0.0)

# Chunk tasks of one full run in the broker at once (sent, not finished); each finished chunk
# sends the next. The queue never holds a whole run, and a cancelled run stops quickly.
INVSYNC_SYNC_CHUNKS_IN_FLIGHT = env_int("INVSYNC_SYNC_CHUNKS_IN_FLIGHT", 4, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        # kombu warns on every connection to the file broker, whose URL has no host by design.
        "no_missing_hostname": {
            "()": "invsync.logconfig.DropMessages",
            "prefixes": ["No hostname was supplied"],
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        # manage.py commands log warnings only, unless -v 2: their INFO lines would mix
        # into the progress they print. Workers and the panel log at LOG_LEVEL.
        "level": process_log_level(sys.argv, env("LOG_LEVEL", "INFO")),
    },
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "kombu.connection": {"filters": ["no_missing_hostname"]},
    },
}

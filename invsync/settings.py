"""Django settings for invsync. Every value that differs between machines comes from the
environment, read through the registry in invsync/envvars.py (its defaults, kinds and bounds;
README's settings table and .env.example follow it); the defaults are safe and need no
servers: SQLite and a broker kept in files under ``var/``."""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from invsync.envvars import read
from invsync.logconfig import process_log_level

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(read("INVSYNC_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = read("DEBUG")
SECRET_KEY = read("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not read("INVSYNC_INSECURE_DEV_KEY"):
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
INVSYNC_ENCRYPTION_KEYS = read("INVSYNC_ENCRYPTION_KEYS")

ALLOWED_HOSTS = read("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = read("CSRF_TRUSTED_ORIGINS")

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
if read("INVSYNC_DEMO"):
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
                "integrations.panel.banner.stopped_integrations",
            ],
            "libraries": {"invsync_admin": "invsync.templatetags.invsync_admin"},
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        read("DATABASE_URL", f"sqlite:///{VAR_DIR / 'invsync.sqlite3'}"),
        conn_max_age=read("DATABASE_CONN_MAX_AGE"),
    )
}
if read("DATABASE_TEST_NAME"):
    # Lets several test runs share one PostgreSQL server without sharing a test database.
    DATABASES["default"]["TEST"] = {"NAME": read("DATABASE_TEST_NAME")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, demo) share the file: wait for locks instead of failing.
    # IMMEDIATE: a transaction takes the write lock when it begins, so one that read first
    # (select_for_update is a no-op here) cannot meet another writer half-way, which SQLite
    # answers at once with "database is locked" instead of waiting for the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=30, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = read("LANGUAGE_CODE")
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "invsync" / "locale"]
TIME_ZONE = read("TIME_ZONE")
USE_I18N = True
# "3 378" in Polish, "3,378" in English: every count the panel shows, grouped as people read.
USE_THOUSAND_SEPARATOR = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(read("STATIC_ROOT", str(VAR_DIR / "static")))
# The Docker image has no web server in front of gunicorn that could serve the admin's CSS
# and JS, so there WhiteNoise serves STATIC_ROOT (collected at build time); the image sets
# SERVE_STATIC=1. Off by default: runserver serves static files itself in development.
SERVE_STATIC = read("SERVE_STATIC")
if SERVE_STATIC:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }

# Production hardening, switched on by the environment (see docs/DOCKER_QUEUE_WORKERS.md).
SECURE_SSL_REDIRECT = read("SECURE_SSL_REDIRECT")
SESSION_COOKIE_SECURE = read("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = read("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = read("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = read("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = read("SECURE_HSTS_PRELOAD")
# Subdomains and preload are a decision for the merchant's whole domain, which the admin's one
# host name cannot make (preload is hard to undo): leaving them off is a choice, not a warning
# for `check --deploy`. HSTS itself (SECURE_HSTS_SECONDS) is still checked.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if read("USE_X_FORWARDED_PROTO") else None
)

# Celery. The default broker keeps its messages in files under var/broker: it needs no
# server, and a worker in another process on the same machine sees them. Production sets
# CELERY_BROKER_URL to Redis (redis://...) or RabbitMQ (amqp://...).
CELERY_BROKER_URL = read("CELERY_BROKER_URL")
REDIS_SCHEMES = ("redis://", "rediss://", "redis+socket://", "sentinel://")
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
elif CELERY_BROKER_URL.startswith(REDIS_SCHEMES):
    # A worker on both queues asks them in its -Q order (live first) instead of round robin:
    # a drain waiting in integrations_live is taken before any chunk in integrations.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority"}
CELERY_RESULT_BACKEND = read("CELERY_RESULT_BACKEND")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "integrations"
CELERY_TASK_TIME_LIMIT = read("CELERY_TASK_TIME_LIMIT")
CELERY_TASK_SOFT_TIME_LIMIT = read("CELERY_TASK_SOFT_TIME_LIMIT")
# A worker stopped with SIGQUIT (supervisord's stopsignal, compose's stop_signal) lets its
# running task go on for this many seconds, then hands it back to the broker at once (acks
# late: another worker, or this one restarted, runs it again) instead of waiting up to the
# time limit. It waits this long only when a task is running. 0 = hand back at once.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = read("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The longest wait a Retry-After may ask (seconds, default 15 minutes): of a retried sync task,
# and of the rate limiter's pause after a 429 (one cap for both).
INVSYNC_RETRY_AFTER_MAX = read("INVSYNC_RETRY_AFTER_MAX")
# Redis hands an unacknowledged task to another worker after this many seconds. It must not do
# that to a task still running (or waiting for its retry countdown), so it outlasts both; a
# killed worker's work is taken back much sooner by the leases (INVSYNC_LEASE_TIMEOUT).
INVSYNC_BROKER_VISIBILITY_TIMEOUT = read(
    "INVSYNC_BROKER_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + INVSYNC_RETRY_AFTER_MAX + 300
)
if CELERY_BROKER_URL.startswith(REDIS_SCHEMES):
    # Added to the options set above: replacing them would lose the live queue's priority.
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = INVSYNC_BROKER_VISIBILITY_TIMEOUT
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Defaults for new integrations, shaped like the old system's config/integrations.php.
INTEGRATIONS = {
    "prestashop": {
        "inventory_sync": {
            "mode": read("INVSYNC_SYNC_MODE"),
            "interval_minutes": read("INVSYNC_SYNC_INTERVAL_MINUTES"),
            "chunk_size": read("INVSYNC_SYNC_CHUNK_SIZE"),
        },
    },
}

# Shared services for the sync engine (rate limiter); empty means in-process fallback.
INVSYNC_REDIS_URL = read("INVSYNC_REDIS_URL")
# Without INVSYNC_REDIS_URL each worker process has its own limiter, so a worker with several
# processes (or a second worker) is refused at start unless this accepts the multiplied rate.
INVSYNC_ALLOW_UNSHARED_LIMITER = read("INVSYNC_ALLOW_UNSHARED_LIMITER")
# Seconds one rate limiter call to Redis may take; a slower answer is taken as Redis being
# down, and each process limits itself for a few seconds (the configured rate per process).
INVSYNC_REDIS_TIMEOUT = read("INVSYNC_REDIS_TIMEOUT")
# The rate limiter (integrations/ratelimit). Requests that may start at once after a quiet
# spell; 1 paces strictly evenly, which any leaky bucket (nginx limit_req) in front of a shop
# accepts. Raise it only for a shop whose proxy allows that burst.
INVSYNC_RATELIMIT_BURST = read("INVSYNC_RATELIMIT_BURST")
# Share of a shop's rate that bulk work (full sync, pulls) leaves free while live work
# (drains after a stock change) is around; with no live work, bulk may use the whole rate.
INVSYNC_RATELIMIT_LIVE_SHARE = read("INVSYNC_RATELIMIT_LIVE_SHARE")
# Minutes the learned rate ceiling (after a 429) holds before it rises one small step.
INVSYNC_RATELIMIT_PROBE_MINUTES = read("INVSYNC_RATELIMIT_PROBE_MINUTES")
# Concurrent requests per shop when the integration's value is automatic and the connection
# test has not measured the shop yet.
INVSYNC_RATELIMIT_CONCURRENCY = read("INVSYNC_RATELIMIT_CONCURRENCY")

# The sync engine (integrations/), read at call time.
# Days the sync log (one entry per write or failure) is kept before the periodic drain prunes it.
INVSYNC_LOG_RETENTION_DAYS = read("INVSYNC_LOG_RETENTION_DAYS")
# Days a failed task stays listed (admin, manage.py sync_failed) unless retried or dismissed
# before; kept in our own table, whatever Celery's result expiry deletes.
INVSYNC_FAILED_TASK_RETENTION_DAYS = read("INVSYNC_FAILED_TASK_RETENTION_DAYS")
# Seconds a drain waits after a stock change commits: a burst of approvals becomes one write.
INVSYNC_DRAIN_DELAY = read("INVSYNC_DRAIN_DELAY")
# Leases: a running chunk or drain renews its lease (its chunk row and its link claims) every
# INVSYNC_LEASE_RENEW_SECONDS; one not renewed for INVSYNC_LEASE_TIMEOUT seconds belongs to a
# worker that is gone: its claims are freed and its chunk is sent again, whatever the broker does.
INVSYNC_LEASE_TIMEOUT = read("INVSYNC_LEASE_TIMEOUT")
INVSYNC_LEASE_RENEW_SECONDS = read(
    "INVSYNC_LEASE_RENEW_SECONDS", min(10.0, INVSYNC_LEASE_TIMEOUT / 4)
)
if INVSYNC_LEASE_RENEW_SECONDS * 2 > INVSYNC_LEASE_TIMEOUT:
    raise ImproperlyConfigured(
        "INVSYNC_LEASE_RENEW_SECONDS must be at most half of INVSYNC_LEASE_TIMEOUT, or a live "
        "task would lose its lease between two renewals."
    )
# Seconds before a link that failed is tried again by a drain, doubled after each failure up to
# an hour (then the link needs attention in the panel).
INVSYNC_LINK_RETRY_SECONDS = read("INVSYNC_LINK_RETRY_SECONDS")
# Seconds after a write whose answer was lost (timeout, broken connection) before its row is
# read again: longer than the shop's own execution limit, so a late write has landed by then.
INVSYNC_UNCERTAIN_RECHECK = read("INVSYNC_UNCERTAIN_RECHECK")
# Per-request retries in the client (INVSYNC_SHOP_RETRIES after 5xx, timeouts and broken
# connections; INVSYNC_SHOP_RATE_LIMIT_RETRIES after a 429). The client waits at most
# INVSYNC_SHOP_RETRY_AFTER_WAIT seconds in the worker; a longer Retry-After goes to the task.
INVSYNC_SHOP_RETRIES = read("INVSYNC_SHOP_RETRIES")
INVSYNC_SHOP_RATE_LIMIT_RETRIES = read("INVSYNC_SHOP_RATE_LIMIT_RETRIES")
INVSYNC_SHOP_RETRY_AFTER_WAIT = read("INVSYNC_SHOP_RETRY_AFTER_WAIT")
# Re-read written rows in one bulk read to catch writes the shop accepted but did not apply.
INVSYNC_VERIFY_WRITES = read("INVSYNC_VERIFY_WRITES")
# Seconds to wait for the shop: to connect, and for each answer.
INVSYNC_SHOP_CONNECT_TIMEOUT = read("INVSYNC_SHOP_CONNECT_TIMEOUT")
INVSYNC_SHOP_READ_TIMEOUT = read("INVSYNC_SHOP_READ_TIMEOUT")
# Seconds a multi-row write may take: the rows per request grow while a write twice as big
# would still finish within this (shared hosts stop PHP after 30 s), and halve on a timeout.
INVSYNC_WRITE_BATCH_SECONDS = read("INVSYNC_WRITE_BATCH_SECONDS")
# Hours after which a full run's chunks that never started count as lost (the run then ends).
INVSYNC_RUN_TIMEOUT_HOURS = read("INVSYNC_RUN_TIMEOUT_HOURS")
# Seconds the reservations of shop orders may be old when stock is written to a shop; an older
# read of the shop's orders is refreshed first (one read per shop per interval, not per chunk).
INVSYNC_ORDERS_MAX_AGE = read("INVSYNC_ORDERS_MAX_AGE")

# Chunk tasks of one full run in the broker at once (sent, not finished); each finished chunk
# sends the next. The queue never holds a whole run, and a cancelled run stops quickly.
INVSYNC_SYNC_CHUNKS_IN_FLIGHT = read("INVSYNC_SYNC_CHUNKS_IN_FLIGHT")

# Notifications (integrations/notify): a stop, a run ending with errors and a failure left
# for INVSYNC_ALERT_FAILURE_AGE_MINUTES go to each integration's e-mails and webhook, checked
# every minute by the periodic drain; INVSYNC_ALERT_EMAILS are told of every integration.
INVSYNC_ALERT_EMAILS = read("INVSYNC_ALERT_EMAILS")
INVSYNC_ALERT_FAILURE_AGE_MINUTES = read("INVSYNC_ALERT_FAILURE_AGE_MINUTES")
INVSYNC_ALERT_ATTEMPTS = read("INVSYNC_ALERT_ATTEMPTS")
INVSYNC_ALERT_WEBHOOK_TIMEOUT = read("INVSYNC_ALERT_WEBHOOK_TIMEOUT")
INVSYNC_SITE_URL = read("INVSYNC_SITE_URL")
# Django's mail settings. Without EMAIL_HOST mail is only written to the worker's log (the
# console backend), so nothing tries an SMTP server that is not there.
EMAIL_HOST = read("EMAIL_HOST")
EMAIL_BACKEND = read(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_USE_SSL = read("EMAIL_USE_SSL")  # TLS from the first byte (port 465)
EMAIL_USE_TLS = read("EMAIL_USE_TLS", not EMAIL_USE_SSL)  # STARTTLS (port 587)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set only one of EMAIL_USE_TLS (port 587) and EMAIL_USE_SSL (465).")
EMAIL_PORT = read("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = read("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = read("EMAIL_HOST_PASSWORD")
EMAIL_TIMEOUT = read("EMAIL_TIMEOUT")
DEFAULT_FROM_EMAIL = read("DEFAULT_FROM_EMAIL")

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
        "level": process_log_level(sys.argv, read("LOG_LEVEL")),
    },
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "kombu.connection": {"filters": ["no_missing_hostname"]},
    },
}

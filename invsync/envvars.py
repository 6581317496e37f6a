"""Every setting invsync reads from the environment, in one place.

Each entry names the variable, its kind, its default as written in an env file (None when
the default is worked out from other settings or the setting is required: ``default_doc``
then says what it is), a one-line description and, where .env.example suggests a value
other than the default, that value (``example``). invsync/settings.py and
deploy/gunicorn.conf.py read through ``read()``; scripts/settings_table.py writes the
README's table from here and tests/test_settings_table.py keeps README and .env.example equal
to it. Adding a setting is one ``Var(...)`` line in its section.

Every kind honours ``NAME_FILE`` (invsync/env.py), except the variables only docker compose
reads (``read_by=COMPOSE``): compose substitutes them into docker-compose.yml itself.
"""

# One line per setting, however long: adding a setting is adding a line.
# ruff: noqa: E501
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from invsync import env

# The kinds of value, as the README's table names them.
TEXT, BOOL, INT, FLOAT, LIST, URL, KEYS = "text", "yes/no", "integer", "number", "list", "URL", "keys"  # fmt: skip
INVSYNC, GUNICORN, HEALTHCHECK, COMPOSE = "invsync", "gunicorn", "health check", "docker compose"


@dataclass(frozen=True)
class Var:
    """One environment variable: what it is, its default and what it does."""

    name: str
    kind: str
    default: str | None
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    default_doc: str | None = None
    example: str | None = None
    secret: bool = False
    read_by: str = INVSYNC

    @property
    def default_text(self) -> str:
        """The default as README and .env.example state it."""
        if self.default_doc is not None:
            return self.default_doc
        return self.default or "empty"

    @property
    def shown_value(self) -> str:
        """The value .env.example gives the variable."""
        return self.default if self.example is None else self.example


SECTIONS: tuple[tuple[str, tuple[Var, ...]], ...] = (
    ("Django", (
        Var("DEBUG", BOOL, "0", "Development mode; never 1 in production."),
        Var("SECRET_KEY", TEXT, None, "Django's signing key, 50 or more random characters.", default_doc="required unless DEBUG=1 or INVSYNC_INSECURE_DEV_KEY=1", example="change-me-to-50-or-more-random-characters-before-the-first-start", secret=True),
        Var("INVSYNC_INSECURE_DEV_KEY", BOOL, "0", "Developer machines only: start without SECRET_KEY, with a fixed insecure key."),
        Var("INVSYNC_ENCRYPTION_KEYS", KEYS, "", "Fernet keys encrypting the shops' API keys in the database, comma-separated: the first encrypts, every one decrypts.", default_doc="empty (a key derived from SECRET_KEY)", secret=True),
        Var("ALLOWED_HOSTS", LIST, "localhost,127.0.0.1,[::1]", "Host names the admin answers to, comma-separated.", example="localhost,127.0.0.1"),
        Var("CSRF_TRUSTED_ORIGINS", LIST, "", "Origins (https://host) allowed to post forms when a proxy on another origin is in front."),
        Var("LANGUAGE_CODE", TEXT, "pl", "Language of the admin for users without a language cookie.", choices=("pl", "en")),
        Var("TIME_ZONE", TEXT, "Europe/Warsaw", "Time zone of the admin, the schedules and the nightly full sync."),
        Var("LOG_LEVEL", TEXT, "INFO", "Log level of the workers, beat and the web process.", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
        Var("INVSYNC_VAR_DIR", TEXT, None, "Writable folder for local state (SQLite, the file broker, the beat's pid file).", default_doc="var/ in the checkout (/app/var in the Docker image)", example="/srv/invsync/var"),
        Var("STATIC_ROOT", TEXT, None, "Folder collectstatic fills with the admin's CSS and JavaScript.", default_doc="static/ under INVSYNC_VAR_DIR (/app/static in the Docker image)", example="/srv/invsync/var/static"),
        Var("SERVE_STATIC", BOOL, "0", "1: the application serves STATIC_ROOT itself (WhiteNoise); the Docker image sets 1."),
        Var("INVSYNC_DEMO", BOOL, "0", "Developer machines only: install the demo app (scripts/demo.sh and scripts/admin.sh)."),
    )),
    ("Behind TLS", (
        Var("SECURE_SSL_REDIRECT", BOOL, "0", "Redirect plain http requests to https.", example="1"),
        Var("USE_X_FORWARDED_PROTO", BOOL, "0", "Trust the X-Forwarded-Proto header to tell http from https; only behind a proxy that always sets it.", example="1"),
        Var("SESSION_COOKIE_SECURE", BOOL, None, "Send the login cookie over https only.", default_doc="1 when DEBUG=0", example="1"),
        Var("CSRF_COOKIE_SECURE", BOOL, None, "Send the form-protection cookie over https only.", default_doc="1 when DEBUG=0", example="1"),
        Var("SECURE_HSTS_SECONDS", INT, "0", "Seconds browsers remember to use https only for this host (HSTS); 0 sends no HSTS header.", minimum=0, example="3600"),
        Var("SECURE_HSTS_INCLUDE_SUBDOMAINS", BOOL, "0", "HSTS covers the host's subdomains too."),
        Var("SECURE_HSTS_PRELOAD", BOOL, "0", "Ask browsers to put the domain on their built-in https-only list (hard to undo)."),
    )),
    ("Database", (
        Var("DATABASE_URL", URL, None, "The database: PostgreSQL in production (postgres://user:password@host:5432/name).", default_doc="SQLite file invsync.sqlite3 under INVSYNC_VAR_DIR", example="postgres://invsync:change-me-database-password@postgres:5432/invsync", secret=True),
        Var("DATABASE_CONN_MAX_AGE", INT, "0", "Seconds a database connection is reused (0: a new one per request or task).", minimum=0, example="60"),
        Var("DATABASE_TEST_NAME", TEXT, "", "Test runs only: the test database's name, so parallel runs can share a server."),
        Var("POSTGRES_DB", TEXT, "", "The database the postgres container creates on its first start.", example="invsync", read_by=COMPOSE),
        Var("POSTGRES_USER", TEXT, "", "The user the postgres container creates on its first start.", example="invsync", read_by=COMPOSE),
        Var("POSTGRES_PASSWORD", TEXT, "", "That user's password; the same as in DATABASE_URL.", example="change-me-database-password", secret=True, read_by=COMPOSE),
    )),
    ("Celery and Redis", (
        Var("CELERY_BROKER_URL", URL, "filesystem://", "The task broker: redis://host:6379/0 or amqp://user:password@host:5672// in production.", default_doc="filesystem:// (files under INVSYNC_VAR_DIR/broker)", example="redis://redis:6379/0", secret=True),
        Var("CELERY_RESULT_BACKEND", TEXT, "django-db", "Where Celery keeps task results (django-db: the database); the failed-task list is invsync's own table, whatever this says."),
        Var("CELERY_TASK_TIME_LIMIT", INT, "3600", "Seconds after which a running task's worker process is killed.", minimum=1),
        Var("CELERY_TASK_SOFT_TIME_LIMIT", INT, "3300", "Seconds after which a running task is interrupted by an error and fails.", minimum=1),
        Var("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", FLOAT, "60", "Seconds a stopping worker (SIGQUIT) lets its running task go on before handing it back to the broker.", minimum=0.0),
        Var("CELERY_WORKER_CONCURRENCY", INT, "2", "Processes in each `worker` container.", minimum=1, read_by=COMPOSE),
        Var("INVSYNC_REDIS_URL", URL, "", "Redis that every worker shares for each shop's rate limit.", default_doc="empty (a separate limit in each process)", example="redis://redis:6379/1", secret=True),
        Var("INVSYNC_ALLOW_UNSHARED_LIMITER", BOOL, "0", "1: several worker processes may start without INVSYNC_REDIS_URL (each keeps its own limit, so the shop may get that many times its rate)."),
        Var("INVSYNC_REDIS_TIMEOUT", FLOAT, "2", "Seconds one rate limiter call to Redis may take; slower counts as Redis being down (each process then limits itself for a few seconds).", minimum=0.1),
        Var("INVSYNC_RATELIMIT_BURST", INT, "1", "Requests that may start at once after a quiet spell (1: strictly even pace).", minimum=1),
        Var("INVSYNC_RATELIMIT_LIVE_SHARE", FLOAT, "0.2", "Share of a shop's rate a full sync leaves free while live changes come in.", minimum=0.0, maximum=0.9),
        Var("INVSYNC_RATELIMIT_PROBE_MINUTES", INT, "60", "Minutes a rate ceiling learned from a 429 holds before it rises one small step.", minimum=1),
        Var("INVSYNC_RATELIMIT_CONCURRENCY", INT, "4", "Concurrent requests per shop while its own value is automatic and not measured yet.", minimum=1),
    )),
    ("Sync engine", (
        Var("INVSYNC_LOG_RETENTION_DAYS", INT, "30", "Days the sync log (one entry per write or failure) is kept.", minimum=1),
        Var("INVSYNC_FAILED_TASK_RETENTION_DAYS", INT, "30", "Days a failed task stays listed unless retried or dismissed first; Celery's result cleanup does not touch it.", minimum=1),
        Var("INVSYNC_DRAIN_DELAY", FLOAT, "1.0", "Seconds between two drains of one shop: the first stock change after a quiet spell goes out after a tenth of this, later ones wait for the rest, so a burst of approvals becomes one write.", minimum=0.0),
        Var("INVSYNC_LEASE_TIMEOUT", INT, "120", "Seconds a running chunk or drain may go without renewing its lease before its claims are freed and its chunk sent again.", minimum=1),
        Var("INVSYNC_LEASE_RENEW_SECONDS", FLOAT, None, "Seconds between two renewals of a lease; at most half of INVSYNC_LEASE_TIMEOUT.", minimum=0.1, default_doc="10 (a quarter of INVSYNC_LEASE_TIMEOUT if that is less)", example="10"),
        Var("INVSYNC_BROKER_VISIBILITY_TIMEOUT", INT, None, "Redis only: seconds before a task taken but not acknowledged is handed out again.", minimum=60, default_doc="CELERY_TASK_TIME_LIMIT + INVSYNC_RETRY_AFTER_MAX + 300 (4800)", example="4800"),
        Var("INVSYNC_RETRY_AFTER_MAX", INT, "900", "The longest wait a Retry-After may ask (seconds), of a retried sync task and of the rate limiter's pause after a 429.", minimum=1),
        Var("INVSYNC_UNCERTAIN_RECHECK", INT, "300", "Seconds after a write whose answer was lost before its row is read again.", minimum=1),
        Var("INVSYNC_LINK_RETRY_SECONDS", INT, "30", "Seconds before a drain tries a failed link again, doubled after each failure up to an hour.", minimum=1),
        Var("INVSYNC_SHOP_RETRIES", INT, "2", "Retries of one request after a 5xx, a timeout or a broken connection.", minimum=0),
        Var("INVSYNC_SHOP_RATE_LIMIT_RETRIES", INT, "1", "Retries of one request after a 429.", minimum=0),
        Var("INVSYNC_SHOP_RETRY_AFTER_WAIT", FLOAT, "30", "The longest wait the client spends in the worker before such a retry; a longer one goes to the task.", minimum=0.0),
        Var("INVSYNC_VERIFY_WRITES", BOOL, "1", "Re-read written rows to catch writes the shop accepted but did not apply."),
        Var("INVSYNC_SHOP_CONNECT_TIMEOUT", FLOAT, "5", "Seconds to wait for a connection to the shop.", minimum=0.1),
        Var("INVSYNC_SHOP_READ_TIMEOUT", FLOAT, "30", "Seconds to wait for each answer of the shop.", minimum=0.1),
        Var("INVSYNC_WRITE_BATCH_SECONDS", FLOAT, "10", "Seconds a multi-row write may take: rows per request grow while a write twice as big would fit, and halve after a timeout.", minimum=0.1),
        Var("INVSYNC_RUN_TIMEOUT_HOURS", INT, "12", "Hours after which a full run's chunks that never started count as lost.", minimum=1),
        Var("INVSYNC_ORDERS_MAX_AGE", FLOAT, "5", "Seconds the shop's orders (reservations) may be old when stock is written; older ones are read again first.", minimum=0.0),
        Var("INVSYNC_SYNC_CHUNKS_IN_FLIGHT", INT, "4", "Chunk tasks of one full sync in the broker at once.", minimum=1),
    )),
    ("Defaults for new integrations", (
        Var("INVSYNC_SYNC_MODE", TEXT, "local_to_presta", "Sync mode of a new integration.", choices=("local_to_presta", "prestashop_to_local", "disabled")),
        Var("INVSYNC_SYNC_INTERVAL_MINUTES", INT, "5", "Minutes between a new integration's scheduled syncs.", minimum=1),
        Var("INVSYNC_SYNC_CHUNK_SIZE", INT, "500", "Products per chunk of a new integration's full sync.", minimum=1),
    )),
    ("Notifications", (
        Var("INVSYNC_ALERT_EMAILS", LIST, "", "E-mail addresses told of every integration's stops, runs ending with errors and failures left for an hour, besides each integration's own addresses."),
        Var("INVSYNC_ALERT_FAILURE_AGE_MINUTES", INT, "60", "Minutes a failure (a product still failing, a task in the failed-task list) lasts before it is told.", minimum=1),
        Var("INVSYNC_ALERT_ATTEMPTS", INT, "5", "Deliveries of a notification tried, one a minute, before it is marked not delivered.", minimum=1),
        Var("INVSYNC_ALERT_WEBHOOK_TIMEOUT", FLOAT, "10", "Seconds to wait for a notification webhook's answer.", minimum=0.1),
        Var("INVSYNC_SITE_URL", URL, "", "The admin's public address (https://stany.example.pl): notifications link to the integration's page.", default_doc="empty (no link)"),
        Var("EMAIL_HOST", TEXT, "", "The SMTP server notifications are sent through.", default_doc="empty (mail is only written to the worker's log)"),
        Var("EMAIL_BACKEND", TEXT, None, "Django's mail backend, e.g. django.core.mail.backends.console.EmailBackend to only log mail.", default_doc="SMTP when EMAIL_HOST is set, else the console", example="django.core.mail.backends.smtp.EmailBackend"),
        Var("EMAIL_USE_SSL", BOOL, "0", "1: TLS from the first byte (port 465) instead of STARTTLS."),
        Var("EMAIL_USE_TLS", BOOL, None, "STARTTLS (port 587); not together with EMAIL_USE_SSL.", default_doc="1 unless EMAIL_USE_SSL=1", example="1"),
        Var("EMAIL_PORT", INT, None, "The SMTP server's port.", minimum=1, default_doc="587 (465 with EMAIL_USE_SSL=1)", example="587"),
        Var("EMAIL_HOST_USER", TEXT, "", "The SMTP login."),
        Var("EMAIL_HOST_PASSWORD", TEXT, "", "The SMTP password.", secret=True),
        Var("EMAIL_TIMEOUT", INT, "10", "Seconds to wait for the SMTP server.", minimum=1),
        Var("DEFAULT_FROM_EMAIL", TEXT, "invsync@localhost", "The sender of the notifications."),
    )),
    ("gunicorn (the admin's web server)", (
        Var("GUNICORN_WORKERS", INT, "3", "Web worker processes.", minimum=1, read_by=GUNICORN),
        Var("GUNICORN_THREADS", INT, "2", "Threads in each web worker process.", minimum=1, read_by=GUNICORN),
        Var("GUNICORN_TIMEOUT", INT, "60", "Seconds a request may take before its web worker is restarted.", minimum=1, read_by=GUNICORN),
        Var("GUNICORN_BIND", TEXT, "0.0.0.0:8000", "Address and port gunicorn listens on.", example="127.0.0.1:8000", read_by=GUNICORN),
        Var("GUNICORN_FORWARDED_ALLOW_IPS", TEXT, "127.0.0.1,::1", "Proxies (addresses or host names) whose X-Forwarded-Proto gunicorn believes; dropped from any other client.", read_by=GUNICORN),
        Var("HEALTHCHECK_ADDRESS", TEXT, "127.0.0.1:8000", "Where the web container's health check asks gunicorn (deploy/healthcheck.py).", read_by=HEALTHCHECK),
    )),
    ("docker compose only", (
        Var("WEB_PORT", INT, "8000", "Host port of the admin (the web service).", read_by=COMPOSE),
        Var("WEB_BIND", TEXT, "127.0.0.1", "Host address the admin's port is published on (0.0.0.0: every interface, past the host's firewall).", read_by=COMPOSE),
        Var("SITE_ADDRESS", TEXT, "localhost", "Domain the optional Caddy proxy (profile proxy) serves and gets a certificate for.", example="stany.example.pl", read_by=COMPOSE),
        Var("PROXY_HTTP_PORT", INT, "80", "Host port of the TLS proxy for http.", read_by=COMPOSE),
        Var("PROXY_HTTPS_PORT", INT, "443", "Host port of the TLS proxy for https.", read_by=COMPOSE),
        Var("FLOWER_PORT", INT, "5555", "Host port of Flower, on 127.0.0.1 only.", read_by=COMPOSE),
        Var("FLOWER_BASIC_AUTH", TEXT, "", "Flower's login as user:password (empty: no login).", example="admin:change-me-flower-password", secret=True, read_by=COMPOSE),
    )),
)  # fmt: skip

REGISTRY: dict[str, Var] = {var.name: var for _title, group in SECTIONS for var in group}


def read(name: str, default=None):
    """The value of a registered setting, read from NAME_FILE or NAME as its kind says.

    ``default`` is only for a setting whose default the registry leaves to the caller
    (computed from other settings); every other default lives in the registry.
    """
    var = REGISTRY[name]
    if var.read_by == COMPOSE:
        raise ImproperlyConfigured(f"{name} is read by docker compose, not by invsync.")
    if default is not None and var.default is not None:
        raise ImproperlyConfigured(f"{name}: its default is in invsync/envvars.py.")
    value = env.raw(name)
    # An empty number, or an empty value of a setting with a worked-out default, is unset.
    if value is None or (value.strip() == "" and (var.kind in (INT, FLOAT) or not var.default)):
        if var.default is None:
            return default
        value = var.default
    return parse(var, value)


def parse(var: Var, value: str):
    """The value of a variable's text, checked as its kind, bounds and choices say."""
    name = var.name
    if var.choices and value not in var.choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(var.choices)}.")
    if var.kind == BOOL:
        return env.parse_bool(name, value)
    if var.kind in (INT, FLOAT):
        number = env.parse_int if var.kind == INT else env.parse_float
        return number(name, value, minimum=var.minimum, maximum=var.maximum)
    if var.kind == LIST:
        return env.parse_list(value)
    if var.kind == URL:
        return env.parse_url(name, value)
    if var.kind == KEYS:
        return env.fernet_keys(name, value)
    return value

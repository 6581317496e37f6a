"""gunicorn settings for the invsync web process (Docker and supervisord alike).

Read by ``gunicorn -c deploy/gunicorn.conf.py invsync.wsgi``; every value can be changed
through the environment without editing this file (or a NAME_FILE), read through the
registry of settings, invsync/envvars.py, which holds the defaults.
"""

from invsync.envvars import read

bind = read("GUNICORN_BIND")
workers = read("GUNICORN_WORKERS")
threads = read("GUNICORN_THREADS")
# The admin's slowest page (a large import or a run's progress) answers well inside this;
# full syncs never run in the web process, they are Celery tasks.
timeout = read("GUNICORN_TIMEOUT")
graceful_timeout = 30
# Recycle workers now and then so a slow leak in a long-lived process cannot grow unbounded.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
loglevel = read("LOG_LEVEL").lower()
# Addresses whose X-Forwarded-* headers gunicorn believes (gunicorn's own default). Django
# decides http versus https itself, from USE_X_FORWARDED_PROTO.
forwarded_allow_ips = read("GUNICORN_FORWARDED_ALLOW_IPS")

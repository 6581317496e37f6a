"""gunicorn settings for the invsync web process (Docker and supervisord alike).

Read by ``gunicorn -c deploy/gunicorn.conf.py invsync.wsgi``; every value can be changed
through the environment without editing this file.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# The admin's slowest page (a large import or a run's progress) answers well inside this;
# full syncs never run in the web process, they are Celery tasks.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak in a long-lived process cannot grow unbounded.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Addresses whose X-Forwarded-* headers gunicorn believes (gunicorn's own default). Django
# decides http versus https itself, from USE_X_FORWARDED_PROTO.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

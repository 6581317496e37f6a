# The invsync image: one image for every process (web, worker, beat, migrate); the command
# chooses which. Build: docker compose build (or docker build -t invsync .).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=invsync.settings \
    INVSYNC_VAR_DIR=/app/var \
    STATIC_ROOT=/app/static \
    SERVE_STATIC=1

WORKDIR /app

RUN groupadd --system --gid 10001 invsync \
    && useradd --system --uid 10001 --gid invsync --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin invsync

# Dependencies first, from the lock (every package pinned with its hashes; scripts/lock.sh
# refreshes it), so a change in the code does not reinstall them.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt

# The application itself; the simulator, the demo, benchmarks and tests are not shipped.
COPY pyproject.toml README.md ./
COPY invsync ./invsync
COPY warehouse ./warehouse
COPY integrations ./integrations
RUN pip install --no-deps . && rm -rf build *.egg-info

COPY manage.py ./
COPY deploy ./deploy
RUN mkdir -p /app/var /app/static && chown invsync:invsync /app/var /app/static

USER invsync

# collectstatic needs settings, and settings need SECRET_KEY when DEBUG is off. The dummy
# key lives only in this one command's environment: it is not an ENV or ARG, so it is not
# in the image's configuration and the containers must bring their own SECRET_KEY.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    python manage.py collectstatic --noinput --verbosity 0

EXPOSE 8000

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "invsync.wsgi"]

"""The production files (issue #6): docker-compose.yml, supervisord.conf, the cron line,
the Dockerfile and the settings they rely on, each checked by the tool that reads it."""

import http.server
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from tests.services import require_service

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"web", "worker", "worker-live", "beat", "redis", "postgres", "flower", "proxy"}


def read_env_example() -> dict[str, str]:
    """The NAME=value lines of .env.example (commented-out ones left out)."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process that sees only the given environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    """.env.example as an operator fills it in, on SQLite so that no server is needed."""
    env = read_env_example()
    env.update(
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="shop.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        INVSYNC_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        SERVE_STATIC="1",
    )
    return env


def resolve_compose(workdir: Path, extra_env: str = "") -> dict:
    """docker-compose.yml as `docker-compose config` resolves it with .env.example (plus
    ``extra_env`` lines) as .env."""
    binary = shutil.which("docker-compose")
    require_service(
        binary is not None,
        "docker-compose is not installed (Debian: apt-get install -y docker-compose)",
    )
    shutil.copy(ROOT / "docker-compose.yml", workdir / "docker-compose.yml")
    (workdir / ".env").write_text((ROOT / ".env.example").read_text() + extra_env)
    result = subprocess.run(
        [binary, "config"], cwd=workdir, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def compose_config(tmp_path_factory) -> dict:
    """docker-compose.yml as `docker-compose config` resolves it with .env.example as .env."""
    return resolve_compose(tmp_path_factory.mktemp("compose"))


def test_compose_config_has_every_service_each_with_a_health_check(compose_config):
    services = compose_config["services"]
    assert services.keys() >= SERVICES
    for name in SERVICES:
        assert services[name]["healthcheck"]["test"], name
    assert services["postgres"]["healthcheck"]["test"][1].startswith("pg_isready")
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in ("worker", "worker-live"):
        assert "inspect ping -d celery@$$HOSTNAME" in services[name]["healthcheck"]["test"][1]
    assert set(compose_config["volumes"]) == {
        "postgres-data",
        "redis-data",
        "caddy-data",
        "caddy-config",
    }


def worker_queues(command: list[str]) -> list[str]:
    """The queues a celery worker command line consumes, in the order it asks them."""
    return command[command.index("-Q") + 1].split(",")


def test_compose_workers_take_live_work_first_and_one_takes_it_alone(compose_config):
    services = compose_config["services"]
    worker, live = services["worker"], services["worker-live"]
    for service in (worker, live):
        command = service["command"].split()
        assert command[:4] == ["celery", "-A", "invsync", "worker"]
        assert "--time-limit=3600" in command
        assert "--soft-time-limit=3300" in command
        # QUIT: the running task gets CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT (60 s), then goes
        # back to the broker; Docker waits longer than that before it kills.
        assert service["stop_signal"] == "SIGQUIT"
        assert service["stop_grace_period"] == "2m"
        # --scale needs containers without a fixed name or host port.
        assert "container_name" not in service
        assert "ports" not in service
    assert worker_queues(worker["command"].split()) == ["integrations_live", "integrations"]
    assert "--concurrency=2" in worker["command"].split()
    assert worker_queues(live["command"].split()) == ["integrations_live"]
    assert live["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def published(service: dict) -> list[str]:
    """A service's published ports as host_ip:host_port:container_port strings."""
    return [
        port
        if isinstance(port, str)
        else f"{port.get('host_ip', '0.0.0.0')}:{port['published']}:{port['target']}"  # noqa: S104
        for port in service.get("ports", [])
    ]


def test_compose_publishes_the_admin_on_this_machine_only_unless_told(compose_config, tmp_path):
    assert [p.split("/")[0] for p in published(compose_config["services"]["web"])] == [
        "127.0.0.1:8000:8000"
    ]
    opened = resolve_compose(tmp_path, "WEB_BIND=0.0.0.0\n")
    assert [p.split("/")[0] for p in published(opened["services"]["web"])] == ["0.0.0.0:8000:8000"]
    # Only the optional proxy listens on every interface.
    for name, service in compose_config["services"].items():
        if name != "proxy":
            assert all(p.startswith("127.0.0.1:") for p in published(service)), name


def test_every_compose_service_rotates_its_log(compose_config):
    for name, service in compose_config["services"].items():
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert (logging["options"]["max-size"], logging["options"]["max-file"]) == ("10m", "5")


def test_the_proxy_profile_puts_caddy_with_tls_in_front_of_the_admin(compose_config):
    proxy = compose_config["services"]["proxy"]
    assert proxy["profiles"] == ["proxy"]
    assert proxy["image"].startswith("caddy:2")
    assert any(
        str(volume).endswith("/deploy/Caddyfile:/etc/caddy/Caddyfile:ro")
        for volume in proxy["volumes"]
    )
    assert {p.split(":")[-1].split("/")[0] for p in published(proxy)} == {"80", "443"}
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "{$SITE_ADDRESS} {" in caddyfile
    assert "reverse_proxy web:8000" in caddyfile
    # gunicorn believes X-Forwarded-Proto from the proxy (and the in-container health check).
    trusted = compose_config["services"]["web"]["environment"]["GUNICORN_FORWARDED_ALLOW_IPS"]
    assert trusted.split(",") == ["127.0.0.1", "::1", "proxy"]


def test_compose_starts_the_app_only_after_migrations_succeeded(compose_config):
    services = compose_config["services"]
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    for name in ("web", "worker", "worker-live", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
    beat = services["beat"]["command"].split()
    assert beat[beat.index("-S") + 1] == "django_celery_beat.schedulers:DatabaseScheduler"
    assert services["flower"]["image"].startswith("mher/flower:")


def load_supervisor_config(tmp_path: Path):
    """supervisord.conf parsed by supervisor's own loader, placed as in a deployment."""
    from supervisor.options import ServerOptions

    shutil.copy(ROOT / "supervisord.conf", tmp_path / "supervisord.conf")
    (tmp_path / "var" / "log").mkdir(parents=True)
    options = ServerOptions()
    options.configfile = str(tmp_path / "supervisord.conf")
    options.process_config(do_usage=False)
    return {p.name: p for group in options.process_group_configs for p in group.process_configs}


def test_supervisord_runs_eight_workers_two_on_live_work_alone_all_may_finish_their_task(
    tmp_path,
):
    processes = load_supervisor_config(tmp_path)
    workers = {name: p for name, p in processes.items() if name.startswith("integrations_")}
    live = [f"integrations_live_{n:02d}" for n in range(2)]
    both = [f"integrations_{n:02d}" for n in range(6)]
    assert sorted(workers) == sorted(live + both)
    node_names = set()
    for name, process in workers.items():
        command = process.command.split()
        expected = ["integrations_live"] if name in live else ["integrations_live", "integrations"]
        assert worker_queues(command) == expected, name
        assert command[command.index("-c") + 1] == "1"
        assert "--time-limit=3600" in command
        node_names.add(command[command.index("-n") + 1])
        # QUIT to the main process only: the pool process (and its task) is not killed by a
        # signal to the group; the worker hands the task back after its soft shutdown.
        assert process.stopsignal.name == "SIGQUIT"
        assert not process.stopasgroup
        assert process.killasgroup
        assert 60 < process.stopwaitsecs < 3600, name
        assert process.directory == str(tmp_path)
    assert len(node_names) == 8
    assert {"integrations_03@%h", "integrations_live_01@%h"} <= node_names


def test_supervisord_starts_web_then_workers_then_one_beat(tmp_path):
    processes = load_supervisor_config(tmp_path)
    assert {"web", "beat"} <= processes.keys()
    assert "gunicorn -c deploy/gunicorn.conf.py invsync.wsgi" in processes["web"].command
    assert "django_celery_beat.schedulers:DatabaseScheduler" in processes["beat"].command
    assert processes["web"].priority < processes["integrations_00"].priority
    assert processes["integrations_live_00"].priority == processes["integrations_00"].priority
    assert processes["integrations_00"].priority < processes["beat"].priority
    assert processes["web"].stdout_logfile == str(tmp_path / "var" / "log" / "web.log")


def test_check_deploy_is_clean_with_the_production_settings_of_env_example(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_secret_key_and_debug_off_the_process_refuses_to_start(tmp_path):
    env = {"DEBUG": "0", "INVSYNC_VAR_DIR": str(tmp_path)}
    result = run_manage(["check"], env)
    assert result.returncode == 1
    # One line that says what to set, no traceback (manage.py).
    assert result.stderr.startswith("manage.py: SECRET_KEY is required when DEBUG is off")
    assert len(result.stderr.splitlines()) == 1


def test_a_malformed_setting_is_named_in_one_line_without_a_traceback(tmp_path):
    env = {"INVSYNC_INSECURE_DEV_KEY": "1", "INVSYNC_VAR_DIR": str(tmp_path)}
    result = run_manage(["check"], {**env, "INVSYNC_SYNC_CHUNK_SIZE": "dużo"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "manage.py: INVSYNC_SYNC_CHUNK_SIZE='dużo' is not a whole number. "
        "See README.md, section Settings."
    ]


def test_the_placeholder_secret_key_of_env_example_is_refused(tmp_path):
    env = production_env(tmp_path)
    env["SECRET_KEY"] = read_env_example()["SECRET_KEY"]
    result = run_manage(["check", "--deploy"], env)
    assert result.returncode == 1
    assert "SECRET_KEY is still the placeholder from .env.example" in result.stderr


def test_env_example_names_every_variable_the_settings_read():
    # The full agreement (defaults, values, the README's table) is tests/test_settings_table.py.
    source = (ROOT / "invsync" / "settings.py").read_text()
    read = set(re.findall(r"\bread\(\s*\"([A-Z0-9_]+)\"", source))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(?:# )?([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"} <= read
    assert read - documented == set()


def cron_job() -> tuple[dict[str, str], str, str]:
    """The cron file's variables, its job's schedule (5 fields) and its command."""
    variables, jobs = {}, []
    for line in (ROOT / "deploy" / "cron" / "invsync").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            name, _, value = line.partition("=")
            variables[name] = value
        else:
            jobs.append(line)
    assert len(jobs) == 1
    fields = jobs[0].split(maxsplit=5)
    return variables, " ".join(fields[:5]), fields[5]


def test_cron_line_runs_sync_inventory_at_two_in_the_night_warsaw_time():
    variables, schedule, command = cron_job()
    assert variables["CRON_TZ"] == "Europe/Warsaw"
    assert schedule == "0 2 * * *"
    assert command.startswith("cd /srv/invsync && deploy/envexec .venv/bin/python manage.py ")
    assert re.search(r"manage\.py (\S+)", command).group(1) == "sync_inventory"


def test_the_cron_lines_command_exists():
    _, _, command = cron_job()
    assert re.search(r"manage\.py (\S+)", command).group(1) in get_commands()


def test_envexec_exports_the_env_file_and_refuses_a_missing_one(tmp_path):
    (tmp_path / ".env").write_text("INVSYNC_SYNC_CHUNK_SIZE=250\n")
    envexec = str(ROOT / "deploy" / "envexec")
    ok = subprocess.run(
        [envexec, "sh", "-c", 'echo "$INVSYNC_SYNC_CHUNK_SIZE"'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ok.returncode, ok.stdout) == (0, "250\n")
    (tmp_path / ".env").unlink()
    missing = subprocess.run([envexec, "true"], cwd=tmp_path, capture_output=True, text=True)
    assert missing.returncode == 1
    assert "cannot read ./.env" in missing.stderr


def test_dockerfile_builds_a_non_root_image_without_baking_the_build_key():
    text = (ROOT / "Dockerfile").read_text()
    instructions = text.replace("\\\n", " ").splitlines()
    assert "FROM python:3.11-slim" in instructions
    # Locked dependencies first (hashes required), the code after: a code change keeps them.
    locked = instructions.index("RUN pip install --require-hashes -r requirements/runtime.txt")
    code = instructions.index("COPY integrations ./integrations")
    assert (
        locked < code < instructions.index("RUN pip install --no-deps . && rm -rf build *.egg-info")
    )
    copied = [line for line in instructions if line.startswith("COPY")]
    assert not [line for line in copied if "prestashop_sim" in line or " demo" in line]
    assert instructions.index("USER invsync") < next(
        n for n, line in enumerate(instructions) if "collectstatic" in line
    )
    # The dummy key lives only in the collectstatic RUN, never in an ENV or ARG of the image.
    baked = [line for line in instructions if line.startswith(("ENV", "ARG"))]
    assert baked
    assert [line for line in baked if "SECRET_KEY" in line] == []
    assert "DEBUG" not in " ".join(baked)


def test_image_static_files_are_collected_at_build_and_served_by_the_app(tmp_path):
    static_root = tmp_path / "static"
    image_env = {  # the Dockerfile's ENV and its collectstatic RUN's build-only key
        "SECRET_KEY": "collectstatic-build-only-not-a-secret",
        "SERVE_STATIC": "1",
        "STATIC_ROOT": str(static_root),
        "INVSYNC_VAR_DIR": str(tmp_path / "var"),
    }
    result = run_manage(["collectstatic", "--noinput"], image_env)
    assert result.returncode == 0, result.stderr
    assert (static_root / "admin" / "css" / "base.css.gz").is_file()
    fetch = (
        "from django.test import Client; r = Client().get('/static/admin/css/base.css'); "
        "print(r.status_code, len(b''.join(r.streaming_content)))"
    )
    served = run_manage(
        ["shell", "--no-imports", "-c", fetch], {**image_env, "ALLOWED_HOSTS": "testserver"}
    )
    size = (static_root / "admin" / "css" / "base.css").stat().st_size
    assert served.stdout.split() == ["200", str(size)], served.stderr


def load_healthcheck():
    """deploy/healthcheck.py as a module (deploy/ is not a package)."""
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy/healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Answer(http.server.BaseHTTPRequestHandler):
    status = 200
    seen: list = []

    def do_GET(self):
        self.seen.append((self.path, self.headers["Host"], self.headers["X-Forwarded-Proto"]))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (301, 0), (400, 1), (500, 1)])
def test_web_healthcheck_passes_on_a_page_or_redirect_only(monkeypatch, status, exit_code):
    healthcheck = load_healthcheck()
    handler = type("Answer", (_Answer,), {"status": status, "seen": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    monkeypatch.setenv("HEALTHCHECK_ADDRESS", f"127.0.0.1:{server.server_port}")
    monkeypatch.setenv("ALLOWED_HOSTS", ".shop.example,localhost")
    try:
        assert healthcheck.main() == exit_code
    finally:
        server.server_close()
    assert handler.seen == [("/admin/login/", "shop.example", "https")]

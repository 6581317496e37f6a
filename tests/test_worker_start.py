"""Without a shared limiter (INVSYNC_REDIS_URL empty) a worker that would run more than one
process, each with its own rate limit per shop, is refused at start with a message that says
what to set (issue 15: eight workers sent eight times the shop's limit)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # generous: a loaded machine must not fail the test


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A worker's environment with no shared limiter, on SQLite (the check needs no database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "INVSYNC_"))}
    env.update(
        DEBUG="0",
        INVSYNC_INSECURE_DEV_KEY="1",
        INVSYNC_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_URL="filesystem://",
        INVSYNC_REDIS_URL="",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def worker_command(name: str, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "invsync",
        "worker",
        "-l",
        "info",
        "-n",
        name,
        *options,
    ]


def run_worker(name: str, *options: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Start a worker and wait for it to exit (a refused one does at once)."""
    return subprocess.run(
        worker_command(name, *options),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )


def start_worker(name: str, *options: str, env: dict[str, str], log_path: Path):
    """Start a worker in the background, its output in `log_path`."""
    with log_path.open("w") as log:
        return subprocess.Popen(
            worker_command(name, *options),
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_two_worker_processes_without_a_shared_limiter_are_refused_with_a_clear_message(
    tmp_path,
):
    result = run_worker(
        "two@localhost", "--concurrency=2", "--pool=prefork", env=worker_env(tmp_path)
    )

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "invsync: refusing to start: 2 worker processes (--concurrency) without INVSYNC_REDIS_URL."
    )
    assert "Set INVSYNC_REDIS_URL to a Redis that every worker shares" in last
    assert " ready." not in result.stdout + result.stderr


def test_autoscale_to_several_processes_is_refused_too(tmp_path):
    result = run_worker("auto@localhost", "--autoscale=4,1", env=worker_env(tmp_path))

    assert result.returncode == 1
    assert "refusing to start: 4 worker processes" in result.stderr


def wait_for_line(path: Path, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}):\n{path.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"no {text!r} in the worker's log:\n{path.read_text()[-3000:]}")


def test_a_second_single_process_worker_is_refused_while_the_first_runs(tmp_path, redis_url):
    env = worker_env(tmp_path, CELERY_BROKER_URL=redis_url)
    first_log = tmp_path / "first.log"
    first = start_worker("first@localhost", "--concurrency=1", env=env, log_path=first_log)
    try:
        wait_for_line(first_log, "first@localhost ready.", first)
        second = run_worker("second@localhost", "--concurrency=1", env=env)
        assert first.poll() is None  # the first one goes on
    finally:
        first.terminate()
        first.wait(timeout=START_TIMEOUT)

    assert second.returncode == 1
    assert (
        "invsync: refusing to start: 2 workers (second@localhost, first@localhost) without "
        "INVSYNC_REDIS_URL." in second.stdout + second.stderr
    )


def test_with_the_opt_in_one_worker_of_two_processes_starts(tmp_path, redis_url):
    env = worker_env(tmp_path, CELERY_BROKER_URL=redis_url, INVSYNC_ALLOW_UNSHARED_LIMITER="1")
    log_path = tmp_path / "worker.log"
    worker = start_worker("allowed@localhost", "--concurrency=2", env=env, log_path=log_path)
    try:
        wait_for_line(log_path, "allowed@localhost ready.", worker)
    finally:
        worker.terminate()
        worker.wait(timeout=START_TIMEOUT)
    assert "refusing to start" not in log_path.read_text()

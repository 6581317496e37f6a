import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from invsync import env as envmod


def test_env_bool_rejects_a_value_that_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        envmod.env_bool("X_FLAG", False)


def test_env_int_enforces_its_minimum(monkeypatch):
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        envmod.env_int("X_NUM", 5, minimum=1)
    monkeypatch.setenv("X_NUM", "7")
    assert envmod.env_int("X_NUM", 5, minimum=1) == 7


def test_a_file_secret_wins_over_the_plain_variable(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET", "plain")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert envmod.env("X_SECRET") == "from-file"


def test_settings_default_to_polish_and_warsaw(settings):
    assert settings.LANGUAGE_CODE == "pl"
    assert dict(settings.LANGUAGES).keys() == {"pl", "en"}
    assert settings.TIME_ZONE == "Europe/Warsaw"


def manage(*args, **env):
    """Run manage.py in a clean environment (PATH and the given variables only)."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, str(root / "manage.py"), *args],
        cwd=root,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_manage_py_without_its_settings_says_what_to_set_in_one_line():
    result = manage("sync_inventory")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "manage.py: SECRET_KEY is required when DEBUG is off (set SECRET_KEY, or DEBUG=1 / "
        "INVSYNC_INSECURE_DEV_KEY=1 on a developer machine). See README.md, section Settings."
    ]


def test_manage_py_names_a_malformed_setting_in_one_line():
    result = manage("check", INVSYNC_INSECURE_DEV_KEY="1", INVSYNC_SYNC_CHUNK_SIZE="dużo")

    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert "INVSYNC_SYNC_CHUNK_SIZE" in result.stderr
    assert "Traceback" not in result.stderr

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
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


def settings_in_a_process(**env) -> subprocess.CompletedProcess:
    """Import invsync.settings in a fresh interpreter with this environment added."""
    code = (
        "import json, invsync.settings as s; print(json.dumps("
        "[s.CELERY_BROKER_TRANSPORT_OPTIONS, s.INVSYNC_LEASE_TIMEOUT]))"
    )
    environment = {**os.environ, "DEBUG": "0", "INVSYNC_INSECURE_DEV_KEY": "1", **env}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )


def test_redis_keeps_unacknowledged_tasks_longer_than_a_task_and_its_retry_can_take():
    done = settings_in_a_process(CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    options, lease = json.loads(done.stdout)
    assert options == {"visibility_timeout": 3600 + 900 + 300}
    assert lease == 120


def test_a_lease_renewed_less_often_than_twice_per_timeout_is_refused():
    done = settings_in_a_process(INVSYNC_LEASE_TIMEOUT="10", INVSYNC_LEASE_RENEW_SECONDS="6")
    assert done.returncode != 0
    assert "INVSYNC_LEASE_RENEW_SECONDS must be at most half" in done.stderr


def test_encryption_keys_come_from_a_file_one_a_line_or_comma_separated(monkeypatch, tmp_path):
    first, second = (Fernet.generate_key().decode() for _ in range(2))
    keys = tmp_path / "keys"
    keys.write_text(f"{first}\n{second}\n")
    monkeypatch.setenv("X_KEYS_FILE", str(keys))

    assert envmod.fernet_keys("X_KEYS", envmod.env("X_KEYS")) == [first, second]
    assert envmod.fernet_keys("X_KEYS", f" {second}, {first},") == [second, first]
    assert envmod.fernet_keys("X_KEYS", None) == []


def test_a_malformed_encryption_key_stops_the_start_without_showing_any_key():
    good = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured) as refused:
        envmod.fernet_keys("X_KEYS", f"{good},not-a-fernet-key-just-a-password")

    assert str(refused.value).startswith("X_KEYS: key 2 is not a Fernet key")
    assert "not-a-fernet-key" not in str(refused.value)
    assert good not in str(refused.value)

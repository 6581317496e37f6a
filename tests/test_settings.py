import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from invsync import env as envmod
from invsync import envvars


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


# NAME_FILE stands in for NAME whatever the kind of the setting (Docker and systemd secrets).
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("DEBUG", "1\n", True),
        ("INVSYNC_VERIFY_WRITES", "no", False),
        ("INVSYNC_SYNC_CHUNK_SIZE", " 250\n", 250),
        ("INVSYNC_DRAIN_DELAY", "2.5", 2.5),
        ("ALLOWED_HOSTS", "shop.example\nadmin.example\n", ["shop.example", "admin.example"]),
        (
            "CSRF_TRUSTED_ORIGINS",
            "https://a.example,https://b.example",
            ["https://a.example", "https://b.example"],
        ),
        (
            "INVSYNC_REDIS_URL",
            "redis://:secret@127.0.0.1:6379/1\n",
            "redis://:secret@127.0.0.1:6379/1",
        ),
        ("LANGUAGE_CODE", "en", "en"),
        ("SECRET_KEY", "from-a-docker-secret\n", "from-a-docker-secret"),
    ],
)
def test_every_kind_of_setting_is_read_from_its_name_file(
    monkeypatch, tmp_path, name, content, expected
):
    secret = tmp_path / name.lower()
    secret.write_text(content)
    monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(f"{name}_FILE", str(secret))
    assert envvars.read(name) == expected


def test_the_low_level_readers_honour_name_file_too(monkeypatch, tmp_path):
    for name, content in {"X_BOOL": "yes", "X_INT": "7", "X_FLOAT": "0.5", "X_LIST": "a,b"}.items():
        (tmp_path / name).write_text(content + "\n")
        monkeypatch.setenv(name, "plain value that the file overrides")
        monkeypatch.setenv(f"{name}_FILE", str(tmp_path / name))
    assert envmod.env_bool("X_BOOL", False) is True
    assert envmod.env_int("X_INT", 1, minimum=1) == 7
    assert envmod.env_float("X_FLOAT", 1.0) == 0.5
    assert envmod.env_list("X_LIST") == ["a", "b"]


def test_fernet_keys_come_from_their_name_file_through_the_registry(monkeypatch, tmp_path):
    first, second = (Fernet.generate_key().decode() for _ in range(2))
    (tmp_path / "keys").write_text(f"{first}\n{second}\n")
    monkeypatch.setenv("INVSYNC_ENCRYPTION_KEYS_FILE", str(tmp_path / "keys"))
    assert envvars.read("INVSYNC_ENCRYPTION_KEYS") == [first, second]


def test_a_bad_value_in_a_name_file_is_refused_like_a_bad_variable(monkeypatch, tmp_path):
    (tmp_path / "size").write_text("dużo")
    monkeypatch.setenv("INVSYNC_SYNC_CHUNK_SIZE_FILE", str(tmp_path / "size"))
    with pytest.raises(ImproperlyConfigured, match="INVSYNC_SYNC_CHUNK_SIZE='dużo' is not a whole"):
        envvars.read("INVSYNC_SYNC_CHUNK_SIZE")


def test_a_missing_name_file_is_refused_with_its_path(monkeypatch, tmp_path):
    monkeypatch.setenv("DEBUG_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG_FILE=.*absent.* cannot be read"):
        envvars.read("DEBUG")


def test_the_settings_module_reads_name_files_of_numbers_in_a_real_start(tmp_path):
    (tmp_path / "lease").write_text("90\n")
    done = settings_in_a_process(INVSYNC_LEASE_TIMEOUT_FILE=str(tmp_path / "lease"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[1] == 90


def test_the_registry_refuses_what_is_not_its_kind_bound_or_choice(monkeypatch):
    monkeypatch.setenv("INVSYNC_RATELIMIT_LIVE_SHARE", "0.95")
    with pytest.raises(ImproperlyConfigured, match=r"must be at most 0\.9"):
        envvars.read("INVSYNC_RATELIMIT_LIVE_SHARE")
    monkeypatch.setenv("INVSYNC_SYNC_MODE", "both_ways")
    with pytest.raises(ImproperlyConfigured, match="INVSYNC_SYNC_MODE must be one of"):
        envvars.read("INVSYNC_SYNC_MODE")
    monkeypatch.setenv("DATABASE_URL", "invsync:password@db/invsync")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not a URL") as refused:
        envvars.read("DATABASE_URL")
    assert "password" not in str(refused.value)


def test_unset_settings_take_the_registrys_default_and_a_second_default_is_refused(monkeypatch):
    monkeypatch.delenv("INVSYNC_SYNC_CHUNK_SIZE", raising=False)
    monkeypatch.delenv("INVSYNC_SYNC_CHUNK_SIZE_FILE", raising=False)
    assert envvars.read("INVSYNC_SYNC_CHUNK_SIZE") == 500
    with pytest.raises(ImproperlyConfigured, match=r"its default is in invsync/envvars\.py"):
        envvars.read("INVSYNC_SYNC_CHUNK_SIZE", 100)
    with pytest.raises(ImproperlyConfigured, match="read by docker compose"):
        envvars.read("WEB_PORT")

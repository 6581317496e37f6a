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

"""Small, strict readers for settings that come from environment variables.

Every reader rejects a malformed value with a clear error instead of guessing, and a
``NAME_FILE`` variable (a path) may stand in for ``NAME`` so that secrets can come from
files mounted by Docker or systemd.
"""

import os
import re

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env(name: str, default: str | None = None) -> str | None:
    """Return NAME, or the contents of the file named by NAME_FILE, or the default."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; accepts 1/0, true/false, yes/no, on/off."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read an integer, optionally with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """Read a number, optionally with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list, dropping empty items."""
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def fernet_keys(name: str, raw: str | None) -> list[str]:
    """Split a list of Fernet keys (commas or new lines between them), rejecting a bad one.

    The message names the key's position only: a secret never goes into an error.
    """
    keys = [item for item in re.split(r"[\s,]+", raw or "") if item]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:  # binascii.Error, the bad-padding case, is a ValueError too
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (44 characters of URL-safe "
                'base64). Make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None
    return keys

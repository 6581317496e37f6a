"""Small, strict readers for settings that come from environment variables.

Every reader rejects a malformed value with a clear error instead of guessing, and for every
kind of value (text, yes/no, numbers, lists, URLs, keys) a ``NAME_FILE`` variable (a path)
may stand in for ``NAME``, so that secrets can come from files mounted by Docker or systemd.
The file wins when both are set; its surrounding white space is dropped.
"""

import os
import re

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def raw(name: str) -> str | None:
    """The text of NAME_FILE's file if NAME_FILE is set, else NAME, else None."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env(name: str, default: str | None = None) -> str | None:
    """Return NAME, or the contents of the file named by NAME_FILE, or the default."""
    value = raw(name)
    return default if value is None else value


def parse_bool(name: str, value: str) -> bool:
    """A yes/no value: 1/0, true/false, yes/no, on/off (empty is no)."""
    cleaned = value.strip().lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def _bounded(name: str, value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} must be at most {maximum}.")
    return value


def parse_int(name: str, value: str, *, minimum=None, maximum=None) -> int:
    """A whole number within the bounds given."""
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    return _bounded(name, number, minimum, maximum)


def parse_float(name: str, value: str, *, minimum=None, maximum=None) -> float:
    """A number within the bounds given."""
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    return _bounded(name, number, minimum, maximum)


def parse_list(value: str) -> list[str]:
    """Items separated by commas or line breaks (a file may hold one a line), empty ones dropped."""
    return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]


def parse_url(name: str, value: str) -> str:
    """A URL with a scheme (postgres://, redis://, ...), or empty; the value is never shown."""
    if value and not _URL.match(value):
        raise ImproperlyConfigured(f"{name} is not a URL (it must start with scheme://).")
    return value


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; accepts 1/0, true/false, yes/no, on/off."""
    value = raw(name)
    return default if value is None else parse_bool(name, value)


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read an integer, optionally with a lower bound."""
    value = raw(name)
    if value is None or value.strip() == "":
        return default
    return parse_int(name, value, minimum=minimum)


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """Read a number, optionally with a lower bound."""
    value = raw(name)
    if value is None or value.strip() == "":
        return default
    return parse_float(name, value, minimum=minimum)


def env_list(name: str, default: str = "") -> list[str]:
    """Read a list separated by commas (or line breaks), dropping empty items."""
    return parse_list(env(name, default))


def fernet_keys(name: str, text: str | None) -> list[str]:
    """Split a list of Fernet keys (commas or new lines between them), rejecting a bad one.

    The message names the key's position only: a secret never goes into an error.
    """
    keys = [item for item in re.split(r"[\s,]+", text or "") if item]
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
